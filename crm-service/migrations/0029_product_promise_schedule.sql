-- The ERP's promise schedule of a product beyond what is available now,
-- copied with its availability (same source version): a JSON array of
-- ["YYYY-MM-DD", "quantity"] steps, cumulative and increasing, by which
-- opportunity lines are promised. NULL until a bridge sends schedules;
-- lines then keep the older rule (the product's promise date).
ALTER TABLE products ADD COLUMN promise_schedule jsonb;
