ALTER TABLE reviews ALTER COLUMN rating TYPE numeric(3,1);
