-- A deliberately bad migration for the revert drill's own test: it drops
-- a column the previous release reads (reviews.title) in one step instead
-- of expand, then contract. The drill must fail on it.
ALTER TABLE reviews DROP COLUMN title;
