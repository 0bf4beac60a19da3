DROP TABLE IF EXISTS review_flags;
