-- Purchase price variance: purchase order receipts put inventory at the
-- item's standard cost and payables at the order's unit cost; the
-- difference goes here.
INSERT INTO accounts (code, name, type) VALUES ('5100', 'Purchase price variance', 'expense');

-- The sales report reads invoices by issue date.
CREATE INDEX invoices_issue_date_idx ON invoices (issue_date, id) WHERE status <> 'VOID';
