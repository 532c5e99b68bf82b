-- What an account owes per currency, copied from the ERP by the bridge,
-- each currency with the source version of its last report (older or
-- equal reports of the currency are ignored). The account's
-- payment_status, balance_currency, open_balance and overdue_balance keep
-- what the account shows: the status over all currencies and the amounts
-- of the currency that decides it.
CREATE TABLE account_balances (
  account_id      uuid    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  currency_code   text    NOT NULL,
  open_balance    numeric NOT NULL,
  overdue_balance numeric NOT NULL,
  source_version  bigint  NOT NULL,
  PRIMARY KEY (account_id, currency_code)
);

-- The one currency reported so far becomes the account's first.
INSERT INTO account_balances (account_id, currency_code, open_balance, overdue_balance, source_version)
SELECT id, balance_currency, coalesce(open_balance, 0), coalesce(overdue_balance, 0), payment_version
FROM accounts
WHERE balance_currency IS NOT NULL AND payment_version IS NOT NULL;
