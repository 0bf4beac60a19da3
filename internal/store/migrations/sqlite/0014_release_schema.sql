-- Each start of a release records the schema it ran on and the newest
-- migration it embeds, so /ops/releases shows a revert as what it is: a
-- release running on a schema newer than its own. Nullable: older releases
-- insert without them.
ALTER TABLE releases ADD COLUMN schema_version INTEGER;
ALTER TABLE releases ADD COLUMN own_schema_version INTEGER;
