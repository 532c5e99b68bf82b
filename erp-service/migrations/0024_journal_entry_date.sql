-- Journal entries have the date they belong to, carried by each of their
-- lines (entry_date): the document's date for invoices (issue date),
-- payments (received date) and refunds (refund date), the day of posting
-- (UTC) for everything else. A trial balance of a period sums the lines
-- dated in it, so an invoice issued on the last day of a month and
-- entered the next morning is in the month it was issued in, as in its
-- aging.
--
-- Lines posted before this migration have no entry_date and are read as
-- dated on their entry's post_time's day (UTC); the journal stays
-- append-only. Compatible: earlier binaries do not name the column, and
-- their lines take the default, the day of posting.
ALTER TABLE journal_lines ADD COLUMN entry_date date;
ALTER TABLE journal_lines ALTER COLUMN entry_date SET DEFAULT (now() AT TIME ZONE 'UTC')::date;
