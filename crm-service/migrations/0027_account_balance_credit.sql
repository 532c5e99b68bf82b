-- The customer's credit per currency (payments the ERP has not applied to
-- an invoice), copied with the currency's open and overdue balance and
-- versioned with them. Balances reported before the bridge sent credit
-- start at zero; the bridge's next report of the currency, or its
-- reconciliation, brings the ERP's.
ALTER TABLE account_balances ADD COLUMN credit numeric NOT NULL DEFAULT 0;
