-- kept_pages keeps answers of public product reads that are too many to
-- keep in an instance's memory: the first page of each product's reviews,
-- about 10 KB each. A row holds the answer's JSON as a release (Release,
-- an instance's etag name) encoded it, with the product's stamp read
-- before it was made (migration 0019); a read takes it only while the
-- product's stamp and the release are still the same, in the statement
-- that reads the stamp (internal/http/respcache.go). It is a cache: a row
-- may be missing or stale at any time, and nothing else reads it. Shared
-- by every instance.
CREATE TABLE kept_pages (
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    variant    TEXT COLLATE "C" NOT NULL,
    release    TEXT COLLATE "C" NOT NULL,
    stamp      BIGINT NOT NULL,
    body       BYTEA NOT NULL,
    PRIMARY KEY (product_id, variant)
);

-- A page never outlives what it shows: when the product's stamp moves (a
-- review written, removed or edited, an author's name changed, an account
-- deleted), its kept pages are deleted in the same transaction, so the
-- text of a review removed or an account deleted is not kept in them. The
-- next request makes and keeps the page again. With no page kept, the
-- DELETE is one probe of the primary key. (Not UPDATE OF stamp: the
-- products_stamp trigger moves the stamp of updates that do not name it.)
CREATE FUNCTION kept_pages_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM kept_pages WHERE product_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER kept_pages_stale AFTER UPDATE ON products
    FOR EACH ROW WHEN (NEW.stamp IS DISTINCT FROM OLD.stamp) EXECUTE FUNCTION kept_pages_stale();
