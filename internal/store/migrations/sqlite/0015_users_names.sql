-- A review list reads each author's display name. This narrow index
-- answers that from itself, without a descent into the users table, whose
-- rows (e-mail, password hash) fill many more pages; the review queries
-- name it (sqliteReviewJoins). Additive: older releases ignore it.
CREATE INDEX users_names ON users(id, display_name);
