-- Nothing on PostgreSQL. On SQLite this migration deletes kept pages only
-- when a change could take away something they show, instead of at every
-- move of their product's stamp (see the SQLite migration): there the
-- delete was the dearest part of a review's transaction on the one
-- writer. PostgreSQL keeps migration 0020's rule, stricter, whose delete
-- runs after the product's row lock that KeepPages also takes first: a
-- delete at the change itself, before the deferred stamp triggers lock
-- the product, would take the two locks in the order opposite to
-- KeepPages', and a review removed while its page is kept could deadlock.
SELECT 1;
