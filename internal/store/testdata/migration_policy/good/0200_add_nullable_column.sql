ALTER TABLE users ADD COLUMN phone TEXT;
CREATE INDEX users_phone ON users(phone);
DROP INDEX IF EXISTS users_phone_old;
