-- A review list reads each author's display name: with this index the
-- planner can read it by an index-only scan instead of a heap fetch per
-- review. Additive: older releases ignore it.
CREATE INDEX users_names ON users (id) INCLUDE (display_name);
