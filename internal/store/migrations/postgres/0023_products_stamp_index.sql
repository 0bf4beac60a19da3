-- Nothing on PostgreSQL. On SQLite this migration adds an index of each
-- product's id and stamp, so the stamp read of a kept answer is one index
-- search instead of an index search and a row read (see the SQLite
-- migration). On PostgreSQL the primary key's search and the row are in
-- shared buffers, and an index-only scan would need the visibility map,
-- which review traffic keeps clearing on the products' pages.
SELECT 1;
