-- Payments by received date: the payments list's received_date filter,
-- in id order, and the aging's check for a payment dated after the day
-- it is run for (a payment may be dated a day ahead; then today's aging
-- reads the invoices' history instead of the open invoices). Before, that
-- check read the payments created since the day before by their UUIDv7
-- ids, which holds only for ids made in time order.
CREATE INDEX payments_received_date_idx ON payments (received_date, id);
