-- Whether a product takes whole quantities only, as its ERP item says
-- (erp.v1.Item.whole_quantities), copied by the bridge with the item's
-- other fields (ProductUpsert.whole_quantities). Opportunity lines and
-- the win are held to it; the CRM no longer classifies units itself.
--
-- A product stored before has no flag from the ERP yet. So that an
-- upgraded CRM keeps refusing 0.5 ea before the bridge syncs the item
-- again (its next item event, or a reconciliation pass, which compares
-- the flag), the products whose stored unit_of_measure is a count unit
-- are set now, by the list of count units the ERP holds
-- (erp-service/internal/catalog, IsCountUnit), compared as it does:
-- ignoring letter case and surrounding white space. From then on the
-- bridge's copy decides. The version (etag) goes up on the rows it sets,
-- as their content changed.
ALTER TABLE products ADD COLUMN whole_quantities boolean NOT NULL DEFAULT false;

UPDATE products SET whole_quantities = true, version = version + 1
WHERE lower(btrim(unit_of_measure, E' \t\n\r\f\v')) = ANY (ARRAY[
  'ea', 'each', 'pc', 'pcs', 'piece', 'pieces', 'unit', 'units', 'u',
  'box', 'boxes', 'bx', 'pk', 'pkg', 'pack', 'packs', 'package', 'packages',
  'pr', 'pair', 'pairs', 'set', 'sets', 'kit', 'kits',
  'dz', 'doz', 'dozen', 'bag', 'bags', 'bg', 'bt', 'btl', 'bottle', 'bottles',
  'can', 'cans', 'cs', 'case', 'cases', 'ct', 'ctn', 'carton', 'cartons',
  'pal', 'pallet', 'pallets', 'plt', 'roll', 'rolls', 'rl', 'tube', 'tubes',
  'drum', 'drums', 'crate', 'crates', 'sheet', 'sheets'
]);
