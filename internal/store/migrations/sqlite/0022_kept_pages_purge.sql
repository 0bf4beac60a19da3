-- Kept pages (migration 0020) are deleted when a change could take away
-- something they show, not at every move of their product's stamp.
--
-- A kept page is served only while its product's stamp is the one it was
-- made at (KeptPage), so a stale page is never served, whatever is done
-- with it; deleting it is for what it holds at rest: the text of a review
-- removed, edited or deleted, or a name changed, must not stay in the
-- file. A change that only adds (a review, reply, aspect score, revision
-- or photo written) or moves a summary takes nothing away, so it leaves
-- the stale page for the next keep to replace. On the one writer of
-- SQLite the delete was the dearest part of a review's transaction when
-- the page existed (a 10 KB row: a leaf cell and an overflow chain to read
-- and free): submissions ran 8-21% faster without it.
--
-- What a review page shows (apiReviewJSON): reviews with their authors'
-- names (users), replies and their authors' names, aspect scores,
-- whether a review was edited (review_revisions) and photos. Every UPDATE
-- or DELETE of those deletes the pages of the products concerned, in the
-- same transaction; TestKeptPagesPurge_EveryTakingAwayHasATrigger keeps
-- this list equal to the stamp triggers of those tables (migration 0019).
-- The product's own row, its farm and its aspect summaries are on no
-- review page. A kept variant that shows them would need triggers too.
--
-- PostgreSQL keeps migration 0020's rule (see its 0022).
DROP TRIGGER kept_pages_stale;

CREATE TRIGGER kept_pages_purge_users AFTER UPDATE OF display_name ON users
WHEN NEW.display_name IS NOT OLD.display_name
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (
        SELECT product_id FROM reviews WHERE author_id = NEW.id
        UNION
        SELECT r.product_id FROM review_replies rr JOIN reviews r ON r.id = rr.review_id WHERE rr.author_id = NEW.id);
END;

CREATE TRIGGER kept_pages_purge_reviews_update AFTER UPDATE ON reviews
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (NEW.product_id, OLD.product_id);
END;
CREATE TRIGGER kept_pages_purge_reviews_delete AFTER DELETE ON reviews
BEGIN
    DELETE FROM kept_pages WHERE product_id = OLD.product_id;
END;

CREATE TRIGGER kept_pages_purge_review_replies_update AFTER UPDATE ON review_replies
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (SELECT product_id FROM reviews WHERE id IN (NEW.review_id, OLD.review_id));
END;
CREATE TRIGGER kept_pages_purge_review_replies_delete AFTER DELETE ON review_replies
BEGIN
    DELETE FROM kept_pages WHERE product_id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER kept_pages_purge_review_aspects_update AFTER UPDATE ON review_aspects
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (SELECT product_id FROM reviews WHERE id IN (NEW.review_id, OLD.review_id));
END;
CREATE TRIGGER kept_pages_purge_review_aspects_delete AFTER DELETE ON review_aspects
BEGIN
    DELETE FROM kept_pages WHERE product_id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER kept_pages_purge_review_revisions_update AFTER UPDATE ON review_revisions
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (SELECT product_id FROM reviews WHERE id IN (NEW.review_id, OLD.review_id));
END;
CREATE TRIGGER kept_pages_purge_review_revisions_delete AFTER DELETE ON review_revisions
BEGIN
    DELETE FROM kept_pages WHERE product_id = (SELECT product_id FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER kept_pages_purge_photos_update AFTER UPDATE ON photos
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (NEW.product_id, OLD.product_id,
        (SELECT product_id FROM reviews WHERE id = NEW.review_id),
        (SELECT product_id FROM reviews WHERE id = OLD.review_id));
END;
CREATE TRIGGER kept_pages_purge_photos_delete AFTER DELETE ON photos
BEGIN
    DELETE FROM kept_pages WHERE product_id IN (OLD.product_id, (SELECT product_id FROM reviews WHERE id = OLD.review_id));
END;
