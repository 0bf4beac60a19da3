-- Every review written changes a leaf of each index of reviews, and the
-- product-led ones are spread over the whole file, so each costs a page
-- read, a page in the WAL and a page written back at checkpoint. Three of
-- them paid that for nothing on most reviews:
--   - reviews_author (author_id, id) repeats reviews_author_status
--     (author_id, status, id): a user's own list, every status, reads their
--     few reviews through it and sorts them;
--   - the ?harvest_year= and ?verified=true filters only ever read reviews
--     that name a harvest or redeemed a purchase code, so their indexes keep
--     only those (partial indexes; the queries' own conditions,
--     harvest BETWEEN … and verified_purchase = TRUE, select them).
-- Additive for older releases: they name no review index, and the planner
-- of an older binary finds the same indexes by their columns.
DROP INDEX reviews_author;
DROP INDEX reviews_product_harvest;
CREATE INDEX reviews_product_harvest ON reviews(product_id, status, harvest, id) WHERE harvest IS NOT NULL;
DROP INDEX reviews_product_verified;
CREATE INDEX reviews_product_verified ON reviews(product_id, status, verified_purchase, id) WHERE verified_purchase = TRUE;
