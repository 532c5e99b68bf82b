-- Activities with a lead: the calls, emails, meetings and tasks of a sales
-- rep working a prospect before it is qualified. Converting the lead
-- moves them to its contact and account and keeps lead_id, so the lead's
-- history stays listed under it; merging leads moves them to the kept
-- lead; deleting the lead clears the link as an update of each activity
-- (the application does both; ON DELETE SET NULL is the safety net, as
-- for the other links). (lead_id, id) serves the lead's timeline, the
-- moves and the SET NULL action.
ALTER TABLE activities ADD COLUMN lead_id uuid CONSTRAINT activities_lead_id_fkey REFERENCES leads (id) ON DELETE SET NULL;
CREATE INDEX activities_lead_id_idx ON activities (lead_id, id);
