-- Manual journal entries and reversals of supplier payments.
--
-- A manual entry is a journal entry finance posts by hand (kind
-- 'manual', reference 'journalEntries/<its id>') with a memo saying why;
-- its reversal (kind 'manual_reversal') carries the reason as its memo.
-- Memos are kept beside the journal, in journal_entry_memos: entries
-- with one are few, and journal_entries, which every posting writes and
-- the journal's lists scan, keeps its rows as narrow as they were.
--
-- A manual entry and a supplier payment's entry are reversed at most
-- once: the writers check under their locks, and this unique index backs
-- that up (and finds an entry's reversal).
--
-- A reversed supplier payment stays, marked reversed with its reason and
-- time; its bill no longer counts it as paid.
--
-- Compatible: earlier binaries never name the new columns, whose defaults
-- are what they mean (not reversed), nor post the new kinds; the memos
-- are a table of their own.
CREATE TABLE journal_entry_memos (
  entry_id uuid PRIMARY KEY REFERENCES journal_entries (id),
  memo     text NOT NULL CHECK (memo <> '')
);
-- Append-only, as the journal.
CREATE TRIGGER journal_entry_memos_immutable BEFORE UPDATE OR DELETE ON journal_entry_memos
  FOR EACH STATEMENT EXECUTE FUNCTION journal_immutable();
CREATE UNIQUE INDEX journal_entries_reversed_once ON journal_entries (reverses_id)
  WHERE kind IN ('manual_reversal', 'supplier_payment_reversal');

ALTER TABLE supplier_payments ADD COLUMN reversed boolean NOT NULL DEFAULT false;
ALTER TABLE supplier_payments ADD COLUMN reverse_reason text NOT NULL DEFAULT '';
ALTER TABLE supplier_payments ADD COLUMN reverse_time timestamptz;
ALTER TABLE supplier_payments ADD CONSTRAINT supplier_payments_reversed
  CHECK (reversed = (reverse_time IS NOT NULL) AND (NOT reversed OR reverse_reason <> ''));
