-- Reports at volume: per-account balances kept by every posting (the trial
-- balance reads them instead of summing the journal), and open invoices
-- indexed by customer (receivables aging reads only those).

-- The sums of the journal's lines per account and currency, written in the
-- same transaction as the lines. A posting adds to one of a few slots,
-- picked by its transaction id, so concurrent postings to one account
-- rarely wait for each other; an account's balance is the sum over its
-- slots.
CREATE TABLE account_balances (
  account_code  text     NOT NULL REFERENCES accounts (code),
  currency_code text     NOT NULL,
  slot          smallint NOT NULL,
  debit         numeric  NOT NULL DEFAULT 0,
  credit        numeric  NOT NULL DEFAULT 0,
  PRIMARY KEY (account_code, currency_code, slot)
);
INSERT INTO account_balances (account_code, currency_code, slot, debit, credit)
SELECT l.account_code, e.currency_code, 0, sum(l.debit), sum(l.credit)
FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
GROUP BY l.account_code, e.currency_code;

-- Open invoices (neither paid nor void) by customer, carrying what aging
-- needs so it reads the index alone.
CREATE INDEX invoices_open_customer_idx ON invoices (customer_id, currency_code, due_date)
  INCLUDE (issue_date, total, paid_amount) WHERE status NOT IN ('VOID', 'PAID');
