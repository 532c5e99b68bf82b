-- Refunds: a payment's credit (its unallocated amount) paid back to the
-- customer. payments.unallocated is the amount minus the allocations and
-- the refunds. Compatible with earlier binaries: they keep reading the
-- unallocated amount, and the trigger below stops them from reversing a
-- refunded payment, which they would not know to refuse.

CREATE TABLE payment_refunds (
  payment_id    uuid        NOT NULL REFERENCES payments (id),
  -- 1, 2, ... per payment, in the order of the refunds.
  refund_number integer     NOT NULL,
  amount        numeric     NOT NULL,
  refund_date   date        NOT NULL,
  reference     text        NOT NULL DEFAULT '',
  create_time   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (payment_id, refund_number),
  CONSTRAINT payment_refunds_amount_positive CHECK (amount > 0)
);

-- A refund is final: the money has left.
CREATE FUNCTION payment_refunds_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payment_refunds is append-only';
END;
$$;
CREATE TRIGGER payment_refunds_immutable BEFORE UPDATE OR DELETE ON payment_refunds
  FOR EACH STATEMENT EXECUTE FUNCTION payment_refunds_immutable();

-- A refunded payment is never reversed (the refunded money cannot be
-- taken back).
CREATE FUNCTION payments_refunded_not_reversed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'REVERSED' AND OLD.status <> 'REVERSED'
     AND EXISTS (SELECT 1 FROM payment_refunds WHERE payment_id = NEW.id) THEN
    RAISE EXCEPTION 'payment % has refunds and cannot be reversed', NEW.number
      USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_refunded_not_reversed';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER payments_refunded_not_reversed BEFORE UPDATE OF status ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_refunded_not_reversed();
