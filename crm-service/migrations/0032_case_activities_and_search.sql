-- Activities about a case: a call, email or meeting logged on a case, a
-- task to follow it up, or a note (an agent's comment on the case, the
-- new type). Deleting the case clears the link, as deleting the other
-- linked records does; (case_id, id) serves the case's timeline.
ALTER TABLE activities ADD COLUMN case_id uuid CONSTRAINT activities_case_id_fkey REFERENCES cases (id) ON DELETE SET NULL;
CREATE INDEX activities_case_id_idx ON activities (case_id, id);
ALTER TABLE activities DROP CONSTRAINT activities_type_check,
  ADD CONSTRAINT activities_type_check CHECK (type IN ('call', 'email', 'meeting', 'task', 'note'));

-- Text search of cases: the words of a query are looked for anywhere in
-- the subject and the description, case ignored. The text is folded once
-- per write by ICU's root locale, as the names of 0023 are, so every
-- letter folds whatever the database's ctype; a trigram index finds the
-- cases that contain a word of three or more characters.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE cases ADD COLUMN search_fold text COLLATE "C"
    GENERATED ALWAYS AS (lower((subject || E'\n' || description) COLLATE "und-x-icu")) STORED;
CREATE INDEX cases_search_fold_trgm_idx ON cases USING gin (search_fold gin_trgm_ops);
-- The folded text follows the subject and description; the trail shows
-- their changes.
DROP TRIGGER cases_audit ON cases;
CREATE TRIGGER cases_audit AFTER UPDATE ON cases FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time', 'sla_paused_at', 'sla_paused_for', 'search_fold');
