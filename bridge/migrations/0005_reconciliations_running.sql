-- A pass is stored when it starts, so that a caller can follow it by id;
-- finished_at stays empty while it runs.
ALTER TABLE reconciliations ALTER COLUMN finished_at DROP NOT NULL;
