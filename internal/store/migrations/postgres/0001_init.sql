-- Core schema. Times are integer microseconds since the Unix epoch (UTC) in
-- both dialects, so scanning and comparing them needs no dialect code.

CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT COLLATE "C" NOT NULL UNIQUE,   -- fpr.NormalizeEmail(email)
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('member','producer','moderator','admin')),
    password_hash TEXT NOT NULL,
    probe         BOOLEAN NOT NULL DEFAULT false,
    created_at    BIGINT NOT NULL
);

-- sessions holds API tokens and web sessions; only a SHA-256 of the secret.
CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('api','web')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- login_failures counts failed logins per key ("email:…" or "addr:…") in a
-- fixed window, shared by every instance.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);

-- idempotency_keys remembers the first response to a keyed request.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,           -- route and principal
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,  -- 0 while the first request runs
    body         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

CREATE TABLE farms (
    id          TEXT COLLATE "C" PRIMARY KEY,
    owner_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    name        TEXT COLLATE "C" NOT NULL,
    slug        TEXT COLLATE "C" NOT NULL UNIQUE,
    region      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX farms_owner ON farms(owner_id);
CREATE INDEX farms_name ON farms(name, id);

-- products carries its rating summary (published, non-probe reviews only),
-- changed in the same transaction as the reviews.
CREATE TABLE products (
    id            TEXT COLLATE "C" PRIMARY KEY,
    farm_id       TEXT COLLATE "C" NOT NULL REFERENCES farms(id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    slug          TEXT COLLATE "C" NOT NULL,
    category      TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    unit          TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    rating_count  INTEGER NOT NULL DEFAULT 0,
    rating_sum    INTEGER NOT NULL DEFAULT 0,
    rating_1      INTEGER NOT NULL DEFAULT 0,
    rating_2      INTEGER NOT NULL DEFAULT 0,
    rating_3      INTEGER NOT NULL DEFAULT 0,
    rating_4      INTEGER NOT NULL DEFAULT 0,
    rating_5      INTEGER NOT NULL DEFAULT 0,
    -- (sum + 3.5*10) / (count + 10): see fpr.Rating.BayesianAverage.
    rating_score  DOUBLE PRECISION NOT NULL DEFAULT 3.5
);
CREATE INDEX products_farm ON products(farm_id, id);
CREATE INDEX products_category ON products(category, id);
CREATE INDEX products_score ON products(rating_score, id);
CREATE INDEX products_count ON products(rating_count, id);
CREATE INDEX products_name ON products(name, id);

CREATE TABLE reviews (
    id            TEXT COLLATE "C" PRIMARY KEY,
    product_id    TEXT COLLATE "C" NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    author_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title         TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('published','pending','rejected','removed')),
    helpful_count INTEGER NOT NULL DEFAULT 0,
    probe         BOOLEAN NOT NULL DEFAULT false,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (product_id, author_id)
);
CREATE INDEX reviews_product_newest ON reviews(product_id, status, id);
CREATE INDEX reviews_product_helpful ON reviews(product_id, status, helpful_count, id);
CREATE INDEX reviews_product_rating ON reviews(product_id, status, rating, id);
CREATE INDEX reviews_author ON reviews(author_id, id);
CREATE INDEX reviews_status ON reviews(status, id);

CREATE TABLE review_votes (
    review_id  TEXT COLLATE "C" NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, user_id)
);

CREATE TABLE review_flags (
    id         TEXT COLLATE "C" PRIMARY KEY,
    review_id  TEXT COLLATE "C" NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    resolved   BOOLEAN NOT NULL DEFAULT false,  -- set when a moderator decides
    created_at BIGINT NOT NULL,
    UNIQUE (review_id, user_id)
);
CREATE INDEX review_flags_open ON review_flags(resolved, review_id);

CREATE TABLE review_replies (
    review_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
    author_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- moderation_log is the audit trail of moderators' decisions. review_id is
-- not a foreign key: the trail outlives a deleted review.
CREATE TABLE moderation_log (
    id           TEXT COLLATE "C" PRIMARY KEY,
    review_id    TEXT COLLATE "C" NOT NULL,
    moderator_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    action       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX moderation_log_review ON moderation_log(review_id, id);

-- Full-text search over product name (weight A), farm name (B) and
-- description (C), mirroring SQLite's products_fts (unicode61 with
-- remove_diacritics 2) without extensions: unaccent is not installed
-- everywhere, so fpr_search_fold folds the accented Latin letters that
-- Unicode decomposes (é→e, ç→c; not ø, ß or æ, as SQLite's tokenizer),
-- drops combining accents (e + U+0301, as typed on some systems) and
-- ASCII punctuation becomes a space, so "free-range", "www.farm.org" and
-- "farmer's" split into words as SQLite splits them. The 'simple' config
-- lowercases and does not stem, again like SQLite. Triggers keep search up
-- to date on product insert and update and on farm rename, so the store's
-- SQL stays the same in both dialects; store/postgres.go builds the
-- tsquery with the same fold.
CREATE FUNCTION fpr_search_fold(s text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_replace(translate(lower(s),
        'àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸĀĂĄĆĈĊČĎĒĔĖĘĚĜĞĠĢĤĨĪĬĮĴĶĹĻĽŃŅŇŌŎŐŔŖŘŚŜŞŠŢŤŨŪŬŮŰŲŴŶŹŻŽ',
        'aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzaaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzz'), '[\u0300-\u036f]+', '', 'g') $$;

CREATE FUNCTION fpr_search_document(name text, farm_name text, description text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT setweight(to_tsvector('simple'::regconfig, regexp_replace(fpr_search_fold(coalesce(name, '')), '[[:punct:]]+', ' ', 'g')), 'A')
        || setweight(to_tsvector('simple'::regconfig, regexp_replace(fpr_search_fold(coalesce(farm_name, '')), '[[:punct:]]+', ' ', 'g')), 'B')
        || setweight(to_tsvector('simple'::regconfig, regexp_replace(fpr_search_fold(coalesce(description, '')), '[[:punct:]]+', ' ', 'g')), 'C') $$;

ALTER TABLE products ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX products_search ON products USING GIN (search);

CREATE FUNCTION products_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := fpr_search_document(NEW.name, (SELECT f.name FROM farms f WHERE f.id = NEW.farm_id), NEW.description);
    RETURN NEW;
END
$$;
CREATE TRIGGER products_search BEFORE INSERT OR UPDATE OF name, description, farm_id ON products
    FOR EACH ROW EXECUTE FUNCTION products_search_update();

CREATE FUNCTION farms_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET search = fpr_search_document(name, NEW.name, description) WHERE farm_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER farms_search AFTER UPDATE OF name ON farms
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION farms_search_update();
