-- CREDITED: an invoice cancelled by credit. Its credit notes cover the
-- total and no payment remains allocated to it (paid_amount 0, nothing
-- open). Until now such an invoice was PAID, which read as "the customer
-- paid"; an invoice settled by payments and credit notes together stays
-- PAID. A credited invoice is never overdue (MarkOverdueInvoices marks
-- OPEN and PARTIALLY_PAID ones) nor voided (invoices_credited_not_voided).
--
-- An order is PAID when fully invoiced and every invoice of it that is
-- not void is PAID or CREDITED, at least one PAID: an order whose
-- invoices were all cancelled by credit stays INVOICED.
--
-- Backfill: the fully credited, unpaid invoices that are PAID become
-- CREDITED, and the PAID orders none of whose live invoices is PAID any
-- more become INVOICED, each with revision + 1 (so the bridge's next
-- look, at an event of the order or the reconciliation, writes the new
-- state over the old one; no feed event is written here).
--
-- Compatible: an earlier binary shows a CREDITED invoice's status as
-- UNSPECIFIED and never changes it (nothing is open to pay or credit and
-- it cannot be voided); when an earlier binary settles an order with
-- PAID and CREDITED invoices (a payment, a shipment or an amendment of
-- it), it takes the order back to INVOICED, which the next settle by this
-- release corrects.
ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
  CHECK (status IN ('OPEN', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'VOID', 'CREDITED'));

UPDATE invoices SET status = 'CREDITED', revision = revision + 1, update_time = now()
WHERE status = 'PAID' AND paid_amount = 0 AND credited_amount > 0 AND credited_amount >= total;

UPDATE sales_orders o SET status = 'INVOICED', revision = revision + 1, update_time = now()
WHERE o.status = 'PAID'
  AND EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status = 'CREDITED')
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status = 'PAID');
