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
-- The rating summary's UPDATE (applyRatingDelta) moves the stamp itself,
-- so the trigger on products adds no statement to a review submission on
-- this release; an UPDATE that leaves the stamp as it was (an older
-- release, any other statement) gets one more.
ALTER TABLE products ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;

-- A replier's name change reaches the products they replied on.
CREATE INDEX review_replies_author ON review_replies(author_id);

CREATE TRIGGER products_stamp AFTER UPDATE ON products
WHEN NEW.stamp = OLD.stamp
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER farms_stamp AFTER UPDATE OF name ON farms
WHEN NEW.name IS NOT OLD.name
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE farm_id = NEW.id;
END;

CREATE TRIGGER users_stamp AFTER UPDATE OF display_name ON users
WHEN NEW.display_name IS NOT OLD.display_name
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (
        SELECT product_id FROM reviews WHERE author_id = NEW.id
        UNION
        SELECT r.product_id FROM review_replies rr JOIN reviews r ON r.id = rr.review_id WHERE rr.author_id = NEW.id);
END;

CREATE TRIGGER reviews_stamp_insert AFTER INSERT ON reviews
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = NEW.product_id;
END;
CREATE TRIGGER reviews_stamp_update AFTER UPDATE ON reviews
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (NEW.product_id, OLD.product_id);
END;
CREATE TRIGGER reviews_stamp_delete AFTER DELETE ON reviews
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = OLD.product_id;
END;

CREATE TRIGGER review_replies_stamp_insert AFTER INSERT ON review_replies
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = NEW.review_id);
END;
CREATE TRIGGER review_replies_stamp_update AFTER UPDATE ON review_replies
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (SELECT product_id FROM reviews WHERE id IN (NEW.review_id, OLD.review_id));
END;
CREATE TRIGGER review_replies_stamp_delete AFTER DELETE ON review_replies
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER review_aspects_stamp_insert AFTER INSERT ON review_aspects
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = NEW.review_id);
END;
CREATE TRIGGER review_aspects_stamp_update AFTER UPDATE ON review_aspects
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (SELECT product_id FROM reviews WHERE id IN (NEW.review_id, OLD.review_id));
END;
CREATE TRIGGER review_aspects_stamp_delete AFTER DELETE ON review_aspects
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER review_revisions_stamp_insert AFTER INSERT ON review_revisions
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = NEW.review_id);
END;
CREATE TRIGGER review_revisions_stamp_update AFTER UPDATE ON review_revisions
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (SELECT product_id FROM reviews WHERE id IN (NEW.review_id, OLD.review_id));
END;
CREATE TRIGGER review_revisions_stamp_delete AFTER DELETE ON review_revisions
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER product_aspects_stamp_insert AFTER INSERT ON product_aspects
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = NEW.product_id;
END;
CREATE TRIGGER product_aspects_stamp_update AFTER UPDATE ON product_aspects
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id IN (NEW.product_id, OLD.product_id);
END;
CREATE TRIGGER product_aspects_stamp_delete AFTER DELETE ON product_aspects
BEGIN
    UPDATE products SET stamp = stamp + 1 WHERE id = OLD.product_id;
END;

CREATE TRIGGER photos_stamp_insert AFTER INSERT ON photos
BEGIN
    UPDATE products SET stamp = stamp + 1
    WHERE id IN (NEW.product_id, (SELECT product_id FROM reviews WHERE id = NEW.review_id));
END;
CREATE TRIGGER photos_stamp_update AFTER UPDATE ON photos
BEGIN
    UPDATE products SET stamp = stamp + 1
    WHERE id IN (NEW.product_id, OLD.product_id,
        (SELECT product_id FROM reviews WHERE id = NEW.review_id),
        (SELECT product_id FROM reviews WHERE id = OLD.review_id));
END;
CREATE TRIGGER photos_stamp_delete AFTER DELETE ON photos
BEGIN
    UPDATE products SET stamp = stamp + 1
    WHERE id IN (OLD.product_id, (SELECT product_id FROM reviews WHERE id = OLD.review_id));
END;
