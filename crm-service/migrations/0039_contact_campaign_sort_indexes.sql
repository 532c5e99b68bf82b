-- order_by on the contact list: name, in lower case as the other lists
-- sort names (0038), and create_time. As in 0036 and 0038, a sorted list
-- reads its page from an index on (sort key, id), or (owner, sort key,
-- id) when it is filtered by owner, starting at the page token's key: no
-- list sorts the table. The name order reads the folded name contacts
-- have had since 0023 (name_fold), then the name.
CREATE INDEX contacts_name_fold_idx ON contacts (name_fold, name, id);
CREATE INDEX contacts_owner_name_fold_idx ON contacts (owner, name_fold, name, id);
CREATE INDEX contacts_create_time_idx ON contacts (create_time, id);
CREATE INDEX contacts_owner_create_time_idx ON contacts (owner, create_time, id);
