-- A supplier's payments in id order: ListSupplierPayments filtered by
-- supplier_id reads its page from here (by bill_id from
-- supplier_payments_bill_idx). Compatible: an index only.
CREATE INDEX supplier_payments_supplier_idx ON supplier_payments (supplier_id, id);
