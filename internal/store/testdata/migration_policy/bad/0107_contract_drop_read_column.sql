-- contract-after: 0005
ALTER TABLE reviews DROP COLUMN title;
