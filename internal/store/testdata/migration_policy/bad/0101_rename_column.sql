ALTER TABLE reviews RENAME COLUMN body TO text;
