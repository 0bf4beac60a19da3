-- The reviews farm products need (issue 13, SPEC section 8 "Reviews"):
-- harvest months, verified purchases, edit history, aspects, moderation
-- reasons, purchase codes and photos.

-- harvest is 'YYYY-MM' (fpr.ValidateHarvest) or NULL; verified_purchase is
-- set when the review redeemed a purchase code.
ALTER TABLE reviews ADD COLUMN harvest TEXT;
ALTER TABLE reviews ADD COLUMN verified_purchase BOOLEAN NOT NULL DEFAULT false;
-- ?harvest_year= and ?verified=true filters, and the rating by year.
CREATE INDEX reviews_product_harvest ON reviews(product_id, status, harvest, id);
CREATE INDEX reviews_product_verified ON reviews(product_id, status, verified_purchase, id);

-- review_revisions keeps the earlier versions of an edited review: the
-- version written at written_at, replaced by an edit at replaced_at.
CREATE TABLE review_revisions (
    id          TEXT COLLATE "C" PRIMARY KEY,
    review_id   TEXT COLLATE "C" NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    harvest     TEXT,
    written_at  BIGINT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX review_revisions_review ON review_revisions(review_id, id);

-- review_aspects holds a review's 1–5 scores of its category's aspects;
-- product_aspects their summary over the counted reviews (fpr.CountsInRating),
-- moved in the same transaction as the review, like the rating summary.
CREATE TABLE review_aspects (
    review_id TEXT COLLATE "C" NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    aspect    TEXT NOT NULL,
    score     INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    PRIMARY KEY (review_id, aspect)
);
CREATE TABLE product_aspects (
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    aspect     TEXT NOT NULL,
    count      INTEGER NOT NULL DEFAULT 0,
    sum        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, aspect)
);

-- A moderation decision may say why (a flag reason); product_id lets a
-- product's decisions be counted after a review is deleted.
ALTER TABLE moderation_log ADD COLUMN reason TEXT;
ALTER TABLE moderation_log ADD COLUMN product_id TEXT COLLATE "C";
UPDATE moderation_log SET product_id = (SELECT product_id FROM reviews WHERE reviews.id = moderation_log.review_id);
CREATE INDEX moderation_log_product ON moderation_log(product_id, action);

-- purchase_codes stores only a SHA-256 of each code. A code belongs to a
-- farm, optionally to one product, may expire, and is redeemed once.
CREATE TABLE purchase_codes (
    code_hash   TEXT COLLATE "C" PRIMARY KEY,
    farm_id     TEXT COLLATE "C" NOT NULL REFERENCES farms(id) ON DELETE CASCADE,
    product_id  TEXT COLLATE "C" REFERENCES products(id) ON DELETE CASCADE,
    created_by  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    redeemed_at BIGINT,
    review_id   TEXT COLLATE "C"
);
CREATE INDEX purchase_codes_farm ON purchase_codes(farm_id, created_at);

-- photos holds re-encoded images (no metadata survives) of a review, a
-- product or a farm: exactly one owner column is set.
CREATE TABLE photos (
    id           TEXT COLLATE "C" PRIMARY KEY,
    review_id    TEXT COLLATE "C" REFERENCES reviews(id) ON DELETE CASCADE,
    product_id   TEXT COLLATE "C" REFERENCES products(id) ON DELETE CASCADE,
    farm_id      TEXT COLLATE "C" REFERENCES farms(id) ON DELETE CASCADE,
    uploader_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    large        BYTEA NOT NULL,
    thumb        BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK (num_nonnulls(review_id, product_id, farm_id) = 1)
);
CREATE INDEX photos_review ON photos(review_id, id);
CREATE INDEX photos_product ON photos(product_id, id);
CREATE INDEX photos_farm ON photos(farm_id, id);
