-- Named a contract but says nothing of when the column stopped being read.
ALTER TABLE products DROP COLUMN legacy_note;
