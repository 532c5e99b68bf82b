-- The source version of the last pipeline demand sent to the ERP. The next
-- one is the later of the sending replica's clock and this plus one, so
-- versions grow across replicas whose clocks disagree.
CREATE TABLE demand_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL
);
