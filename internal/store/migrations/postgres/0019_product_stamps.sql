-- products.stamp changes, in the same transaction, with everything a
-- product's public JSON shows: its row, its farm's name, its aspect
-- summaries and photo, its reviews (with their replies, aspect scores,
-- revisions and photos) and their authors' names. An instance keeps the
-- product's detail and review pages it answered, with the stamp read
-- before them, and answers one again while a read of the stamp finds it
-- unchanged (internal/http/respcache.go). Triggers keep it, not store
-- code, so that no write path can forget it, and an older release's
-- writes move it too (a revert, or instances of two releases at once).
--
-- On products a BEFORE trigger moves it in the row being written: no
-- statement more. The other tables' triggers update the product row at
-- commit (constraint triggers, INITIALLY DEFERRED): its row lock is then
-- the last a transaction takes, after the farm-then-product order of
-- applyRatingDelta, so a moderation or an edit, which changes the review
-- before the summaries, never holds the product while it waits for the
-- farm that a new review of the same product holds.
ALTER TABLE products ADD COLUMN stamp BIGINT NOT NULL DEFAULT 0;

-- A replier's name change reaches the products they replied on.
CREATE INDEX review_replies_author ON review_replies(author_id);

CREATE FUNCTION products_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stamp = OLD.stamp THEN
        NEW.stamp := OLD.stamp + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER products_stamp BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION products_stamp();

CREATE FUNCTION farms_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE farm_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER farms_stamp AFTER UPDATE OF name ON farms
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION farms_stamp();

CREATE FUNCTION users_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (
        SELECT product_id FROM reviews WHERE author_id = NEW.id
        UNION
        SELECT r.product_id FROM review_replies rr JOIN reviews r ON r.id = rr.review_id WHERE rr.author_id = NEW.id);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER users_stamp AFTER UPDATE OF display_name ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.display_name IS DISTINCT FROM OLD.display_name) EXECUTE FUNCTION users_stamp();

-- Rows that name their product (reviews, product_aspects).
CREATE FUNCTION stamp_by_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE products SET stamp = stamp + 1 WHERE id = NEW.product_id;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.product_id IS DISTINCT FROM NEW.product_id) THEN
        UPDATE products SET stamp = stamp + 1 WHERE id = OLD.product_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER reviews_stamp AFTER INSERT OR UPDATE OR DELETE ON reviews
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stamp_by_product();
CREATE CONSTRAINT TRIGGER product_aspects_stamp AFTER INSERT OR UPDATE OR DELETE ON product_aspects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stamp_by_product();

-- Rows that name a review (replies, aspect scores, revisions).
CREATE FUNCTION stamp_by_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = NEW.review_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.review_id IS DISTINCT FROM NEW.review_id) THEN
        UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER review_replies_stamp AFTER INSERT OR UPDATE OR DELETE ON review_replies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stamp_by_review();
CREATE CONSTRAINT TRIGGER review_aspects_stamp AFTER INSERT OR UPDATE OR DELETE ON review_aspects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stamp_by_review();
CREATE CONSTRAINT TRIGGER review_revisions_stamp AFTER INSERT OR UPDATE OR DELETE ON review_revisions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stamp_by_review();

-- Photos name a review, a product or a farm (a farm's photo is on no
-- product's JSON).
CREATE FUNCTION photos_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE products SET stamp = stamp + 1
        WHERE id IN (NEW.product_id, (SELECT product_id FROM reviews WHERE id = NEW.review_id));
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE products SET stamp = stamp + 1
        WHERE id IN (OLD.product_id, (SELECT product_id FROM reviews WHERE id = OLD.review_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER photos_stamp AFTER INSERT OR UPDATE OR DELETE ON photos
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION photos_stamp();
