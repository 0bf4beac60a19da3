-- Drops a column the previous release reads.
ALTER TABLE reviews DROP COLUMN title;
