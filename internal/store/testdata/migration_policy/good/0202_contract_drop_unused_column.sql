-- contract-after: 0005
-- Nothing has read products.legacy_note since 0005.
ALTER TABLE products DROP COLUMN legacy_note;
