-- Search by name or email prefix, case ignored: btree indexes on the
-- lower-cased text with text_pattern_ops, so a prefix is a range scan
-- (~>=~ / ~<~) whatever the database's collation.
CREATE INDEX accounts_search_name_idx ON accounts (lower(name) text_pattern_ops);
CREATE INDEX contacts_search_name_idx ON contacts (lower(name) text_pattern_ops);
CREATE INDEX contacts_search_email_idx ON contacts (email_key text_pattern_ops);
CREATE INDEX leads_search_name_idx ON leads (lower(name) text_pattern_ops);
CREATE INDEX leads_search_email_idx ON leads (email_key text_pattern_ops);
