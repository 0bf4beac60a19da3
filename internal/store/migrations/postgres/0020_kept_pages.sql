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
