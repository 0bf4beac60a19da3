ALTER TABLE reviews ADD COLUMN verified_purchase BOOLEAN NOT NULL DEFAULT FALSE;
-- A comment may say DROP TABLE reviews without being one.
INSERT INTO notes VALUES ('DROP COLUMN title');
