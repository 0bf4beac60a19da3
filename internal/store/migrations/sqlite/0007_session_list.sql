-- Sessions a user can see and revoke (issue 10, SPEC section 7): a public
-- id (not the token, whose hash is the key), when it was last used, and the
-- client's user agent and address when it opened. Sessions opened before
-- this migration get a random id and their creation as last use.
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
UPDATE sessions SET id = lower(hex(randomblob(13))), last_used_at = created_at;
CREATE UNIQUE INDEX sessions_id ON sessions(id);
