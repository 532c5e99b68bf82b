-- Imports match accounts by website domain (contacts and leads by
-- email_key, which is indexed already). Accounts without a website are
-- never matched this way, so they are left out of the index.
CREATE INDEX accounts_website_domain_idx ON accounts (website_domain, id) WHERE website_domain <> '';
