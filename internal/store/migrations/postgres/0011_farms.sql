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
ALTER TABLE farms ADD COLUMN rating_score DOUBLE PRECISION NOT NULL DEFAULT 3.5;

-- A product removed while it had reviews is archived (microseconds; 0 =
-- listed): it leaves lists and search, its page and reviews stay.
ALTER TABLE products ADD COLUMN archived_at BIGINT NOT NULL DEFAULT 0;

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
    id           TEXT COLLATE "C" PRIMARY KEY,
    applicant_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    farm_name    TEXT NOT NULL,
    region       TEXT NOT NULL,
    description  TEXT NOT NULL,
    contact      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending','approved','rejected')),
    note         TEXT NOT NULL DEFAULT '',
    farm_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    decided_by   TEXT COLLATE "C" NOT NULL DEFAULT '',
    decided_at   BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
CREATE INDEX farm_applications_status ON farm_applications(status, id);
CREATE INDEX farm_applications_applicant ON farm_applications(applicant_id, id);
CREATE UNIQUE INDEX farm_applications_one_pending ON farm_applications(applicant_id) WHERE status = 'pending';

-- Search with stemming and prefixes. fpr_english is the 'english'
-- configuration with a snowball stemmer that keeps stop words, so it
-- stems as SQLite's porter tokenizer does ("tomatoes" and "tomato" are both
-- 'tomato') and, like SQLite, every word typed must match: "or", "and",
-- "not" are words, never dropped. The query side (store/postgres.go)
-- stems the same way and keeps the last word a prefix. The product
-- document gains the farm's region (weight B, as the farm name); triggers
-- follow renames and region changes. fpr_search_document (0001) stays for
-- the record; the functions the triggers call are replaced.
CREATE TEXT SEARCH DICTIONARY fpr_english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION fpr_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION fpr_english
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH fpr_english_stem;
CREATE FUNCTION fpr_search_text(s text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT regexp_replace(fpr_search_fold(coalesce(s, '')), '[[:punct:]]+', ' ', 'g') $$;

CREATE FUNCTION fpr_product_document(name text, farm_name text, region text, description text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(name)), 'A')
        || setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(farm_name)), 'B')
        || setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(region)), 'B')
        || setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(description)), 'C') $$;

CREATE FUNCTION fpr_farm_document(name text, region text, description text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(name)), 'A')
        || setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(region)), 'B')
        || setweight(to_tsvector('fpr_english'::regconfig, fpr_search_text(description)), 'C') $$;

CREATE OR REPLACE FUNCTION products_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := (SELECT fpr_product_document(NEW.name, f.name, f.region, NEW.description) FROM farms f WHERE f.id = NEW.farm_id);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION farms_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET search = fpr_product_document(name, NEW.name, NEW.region, description) WHERE farm_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER farms_search_region AFTER UPDATE OF region ON farms
    FOR EACH ROW WHEN (OLD.region IS DISTINCT FROM NEW.region AND OLD.name IS NOT DISTINCT FROM NEW.name)
    EXECUTE FUNCTION farms_search_update();

UPDATE products p SET search = fpr_product_document(p.name, f.name, f.region, p.description) FROM farms f WHERE f.id = p.farm_id;

ALTER TABLE farms ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX farms_search_gin ON farms USING GIN (search);
CREATE FUNCTION farms_document_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := fpr_farm_document(NEW.name, NEW.region, NEW.description);
    RETURN NEW;
END
$$;
CREATE TRIGGER farms_document BEFORE INSERT OR UPDATE OF name, region, description ON farms
    FOR EACH ROW EXECUTE FUNCTION farms_document_update();
UPDATE farms SET search = fpr_farm_document(name, region, description);
