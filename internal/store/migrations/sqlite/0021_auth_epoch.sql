-- auth_epoch counts the changes to what FindSession reads: a session
-- ended, shortened or otherwise changed, an account changed or deleted.
-- On SQLite an instance keeps the sessions it read, each with the epoch
-- read in the same statement, and serves one again while a read of the
-- epoch (one row, one page) finds it unchanged (internal/store/session.go):
-- so a logout, a role changed by `fpr user role` in another process or an
-- account deleted takes effect on the next request, as without the cache.
-- Triggers keep it, not store code, so that no write path can forget it,
-- and an older release's writes move it too.
--
-- Left out on purpose: a new session (no instance keeps it yet), and the
-- touch of a session in use, which only moves last_used_at and extends
-- expires_at: a kept copy with the older expiry only ends sooner, and the
-- instance that touches a session drops its own copy. A column added
-- later to sessions or users that FindSession reads must be added to the
-- conditions below.
CREATE TABLE auth_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);

CREATE TRIGGER auth_epoch_session_deleted AFTER DELETE ON sessions
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER auth_epoch_session_changed AFTER UPDATE ON sessions
WHEN NOT (NEW.token_hash IS OLD.token_hash AND NEW.id IS OLD.id AND NEW.user_id IS OLD.user_id
    AND NEW.kind IS OLD.kind AND NEW.created_at IS OLD.created_at AND NEW.expires_at >= OLD.expires_at
    AND NEW.user_agent IS OLD.user_agent AND NEW.address IS OLD.address)
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;

-- Any change to an account, but not an UPDATE that changes nothing.
CREATE TRIGGER auth_epoch_user_changed AFTER UPDATE ON users
WHEN NOT (NEW.id IS OLD.id AND NEW.email IS OLD.email AND NEW.email_key IS OLD.email_key
    AND NEW.display_name IS OLD.display_name AND NEW.role IS OLD.role
    AND NEW.password_hash IS OLD.password_hash AND NEW.probe IS OLD.probe
    AND NEW.created_at IS OLD.created_at AND NEW.email_verified_at IS OLD.email_verified_at
    AND NEW.deleted_at IS OLD.deleted_at AND NEW.mfa_enabled IS OLD.mfa_enabled)
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER auth_epoch_user_deleted AFTER DELETE ON users
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;
