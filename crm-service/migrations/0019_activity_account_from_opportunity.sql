-- An activity linked to an opportunity and to no account belongs to the
-- opportunity's account: the service derives it on every write from now
-- on, and this gives it to the activities written before, so that they
-- show in the account's overview. Each activity changed here gets a new
-- version (etag); no event is recorded for it.
UPDATE activities a
SET account_id = o.account_id, version = a.version + 1, update_time = now()
FROM opportunities o
WHERE o.id = a.opportunity_id AND a.account_id IS NULL;
