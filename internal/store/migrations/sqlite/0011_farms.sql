-- Farms as first-class members (SPEC section 8): where to buy, the farm's
-- rating summary, archived products, farm applications, and search with
-- stemming.

-- Where to buy, all optional (fpr.Farm).
ALTER TABLE farms ADD COLUMN shop_address TEXT NOT NULL DEFAULT '';
ALTER TABLE farms ADD COLUMN shop_hours TEXT NOT NULL DEFAULT '';
ALTER TABLE farms ADD COLUMN markets TEXT NOT NULL DEFAULT '';
ALTER TABLE farms ADD COLUMN website TEXT NOT NULL DEFAULT '';

-- The farm's rating summary over the published, non-probe reviews of all
-- its products (archived ones too) and its count of listed products, moved
-- in the same transaction as the reviews and products (store/rating.go).
ALTER TABLE farms ADD COLUMN product_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_1 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_2 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_3 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_4 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_5 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE farms ADD COLUMN rating_score REAL NOT NULL DEFAULT 3.5;

-- A product removed while it had reviews is archived (microseconds; 0 =
-- listed): it leaves lists and search, its page and reviews stay.
ALTER TABLE products ADD COLUMN archived_at INTEGER NOT NULL DEFAULT 0;

UPDATE farms SET
    product_count = (SELECT COUNT(*) FROM products p WHERE p.farm_id = farms.id),
    rating_count = (SELECT COALESCE(SUM(p.rating_count), 0) FROM products p WHERE p.farm_id = farms.id),
    rating_sum = (SELECT COALESCE(SUM(p.rating_sum), 0) FROM products p WHERE p.farm_id = farms.id),
    rating_1 = (SELECT COALESCE(SUM(p.rating_1), 0) FROM products p WHERE p.farm_id = farms.id),
    rating_2 = (SELECT COALESCE(SUM(p.rating_2), 0) FROM products p WHERE p.farm_id = farms.id),
    rating_3 = (SELECT COALESCE(SUM(p.rating_3), 0) FROM products p WHERE p.farm_id = farms.id),
    rating_4 = (SELECT COALESCE(SUM(p.rating_4), 0) FROM products p WHERE p.farm_id = farms.id),
    rating_5 = (SELECT COALESCE(SUM(p.rating_5), 0) FROM products p WHERE p.farm_id = farms.id);
UPDATE farms SET rating_score = (CAST(rating_sum AS DOUBLE PRECISION) + 35) / (rating_count + 10);

CREATE INDEX farms_region ON farms(region, name, id);
CREATE INDEX farms_score ON farms(rating_score, id);
CREATE INDEX farms_count ON farms(rating_count, id);

-- farm_applications: members' requests to list a farm. farm_id and
-- decided_by are '' until an admin decides. At most one pending
-- application per applicant.
CREATE TABLE farm_applications (
    id           TEXT PRIMARY KEY,
    applicant_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    farm_name    TEXT NOT NULL,
    region       TEXT NOT NULL,
    description  TEXT NOT NULL,
    contact      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending','approved','rejected')),
    note         TEXT NOT NULL DEFAULT '',
    farm_id      TEXT NOT NULL DEFAULT '',
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX farm_applications_status ON farm_applications(status, id);
CREATE INDEX farm_applications_applicant ON farm_applications(applicant_id, id);
CREATE UNIQUE INDEX farm_applications_one_pending ON farm_applications(applicant_id) WHERE status = 'pending';

-- Search with stemming: products_search replaces products_fts (kept, no
-- longer written: migrations only add) with the porter stemmer over
-- unicode61, so "tomatoes" finds "Tomato", and adds the farm's region.
-- farms_search indexes farms for the directory. The store keeps both in
-- step with products and farms.
CREATE VIRTUAL TABLE products_search USING fts5(
    product_id UNINDEXED, name, description, farm_name, region,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO products_search (product_id, name, description, farm_name, region)
    SELECT p.id, p.name, p.description, f.name, f.region FROM products p JOIN farms f ON f.id = p.farm_id;

CREATE VIRTUAL TABLE farms_search USING fts5(
    farm_id UNINDEXED, name, region, description,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO farms_search (farm_id, name, region, description) SELECT id, name, region, description FROM farms;
