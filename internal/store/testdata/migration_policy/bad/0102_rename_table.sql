ALTER TABLE farms RENAME TO holdings;
