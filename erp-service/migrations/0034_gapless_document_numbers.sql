-- Invoice and credit note numbers without gaps.
--
-- Invoices (INV-) and customer credit notes (CN-) are numbered documents
-- that tax authorities expect in one unbroken series. Their numbers came
-- from sequences, which keep a number drawn by a transaction that rolls
-- back: an invoice refused for the closed period, a request that lost the
-- race to its own retry, any failure after the number was drawn left a
-- hole in the series.
--
-- document_counters holds the last number issued per series. A
-- transaction takes the next number by updating the series' row
-- (next_document_number), which locks it until commit: a rolled-back
-- transaction gives its number back, and creations of one series commit
-- one after another from the moment they draw. The counters start where
-- the sequences are.
--
-- Other numbers (orders, payments, purchase orders, supplier bills and
-- payments and credit notes) stay on their sequences: they are internal
-- references, and gaps in them are harmless.
--
-- During a rolling deploy, an earlier binary still draws invoice and
-- credit note numbers from the sequences; one that draws a number a new
-- binary issued is refused by the unique number constraint (a failed
-- call, never a duplicate number), and succeeds when retried on a new
-- binary.
CREATE TABLE document_counters (
  series      text   PRIMARY KEY,
  last_number bigint NOT NULL CHECK (last_number >= 0)
);

INSERT INTO document_counters (series, last_number)
SELECT 'invoice', CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM invoice_number_seq
UNION ALL
SELECT 'credit_note', CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM credit_note_number_seq;

-- next_document_number issues the next number of series, holding the
-- series until the calling transaction ends.
CREATE FUNCTION next_document_number(p_series text) RETURNS bigint
LANGUAGE sql VOLATILE STRICT AS $$
  UPDATE document_counters SET last_number = last_number + 1 WHERE series = p_series RETURNING last_number
$$;
