-- Dates for reports as of a past day.
--
-- Shipments have their own date (ship_date): the day the goods left,
-- which dates the shipment's cost of goods sold (its journal lines'
-- entry_date) and its stock moves, so that a shipment entered the morning
-- after the month end is in the month it left in, with the invoice made
-- from it. Shipments made before have the day (UTC) they were created.
--
-- Stock moves have the day they count from in the stock valuation as of a
-- date (move_date): a shipment's ship_date, the day (UTC) of the move for
-- everything else. Moves written before have none and are read as dated
-- on their created_at's day (UTC); the ledger stays append-only. The index
-- sums an item's on hand up to a day.
--
-- Payment allocations have the date they count from in the receivables
-- aging as of a day (received_date): their payment's received date,
-- filled from the payment when not given (earlier binaries, and the
-- allocations made before, backfilled here).
--
-- Compatible: earlier binaries name none of the columns, and the defaults
-- and the trigger date what they write as they would have been dated.
ALTER TABLE shipments ADD COLUMN ship_date date;
UPDATE shipments SET ship_date = (create_time AT TIME ZONE 'UTC')::date;
ALTER TABLE shipments ALTER COLUMN ship_date SET DEFAULT (now() AT TIME ZONE 'UTC')::date,
  ALTER COLUMN ship_date SET NOT NULL;

ALTER TABLE stock_moves ADD COLUMN move_date date;
ALTER TABLE stock_moves ALTER COLUMN move_date SET DEFAULT (now() AT TIME ZONE 'UTC')::date;

-- The day a move counts from: its move_date, or its created_at's day (UTC).
CREATE FUNCTION stock_move_day(move_date date, created_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(move_date, (created_at AT TIME ZONE 'UTC')::date);

CREATE INDEX stock_moves_sku_day_idx ON stock_moves (sku, stock_move_day(move_date, created_at)) INCLUDE (on_hand_delta);

ALTER TABLE payment_allocations ADD COLUMN received_date date;
UPDATE payment_allocations a SET received_date = p.received_date FROM payments p WHERE p.id = a.payment_id;

CREATE FUNCTION payment_allocations_received_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.received_date IS NULL THEN
    SELECT received_date INTO NEW.received_date FROM payments WHERE id = NEW.payment_id;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER payment_allocations_received_date BEFORE INSERT ON payment_allocations
  FOR EACH ROW EXECUTE FUNCTION payment_allocations_received_date();

ALTER TABLE payment_allocations ALTER COLUMN received_date SET NOT NULL;
