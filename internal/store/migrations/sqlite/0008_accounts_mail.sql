-- Accounts and mail (issue 11): verified e-mail addresses, single-use
-- e-mail tokens (verification, password reset), the mail outbox drained by
-- the mail worker, notification switches and their unsubscribe tokens, and
-- reviews held until their author's e-mail is verified.

-- email_verified_at is 0 while the address is unverified. Accounts that
-- existed before verification did are counted as verified: they were
-- accepted under the old rules and their reviews are already published.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET email_verified_at = created_at;
-- deleted_at is set when the account is deleted: the row stays, without
-- personal data, so the reviews keep an author ("Former member").
ALTER TABLE users ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;

-- held_unverified marks a review that waits (pending) only because its
-- author's e-mail is not verified yet; verification publishes it.
ALTER TABLE reviews ADD COLUMN held_unverified INTEGER NOT NULL DEFAULT 0;

-- email_tokens holds the SHA-256 of each token mailed in a link; the
-- token itself is only in the mail.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify','reset')),
    email      TEXT NOT NULL,            -- the address a verify token confirms
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX email_tokens_user ON email_tokens(user_id, purpose);

-- mail_outbox: every mail, written in the transaction of the change that
-- causes it. A worker claims a due mail by setting claimed_until (a
-- lease); a crashed worker's lease runs out and another takes the mail.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    user_id         TEXT,                -- the recipient's account, if any
    data            TEXT NOT NULL,       -- JSON; emptied once sent or given up
    status          TEXT NOT NULL CHECK (status IN ('pending','sent','undeliverable')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    claimed_by      TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);
CREATE INDEX mail_outbox_user ON mail_outbox(user_id);

-- notification_optouts: a row per notification a user switched off;
-- every notification is on by default.
CREATE TABLE notification_optouts (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, topic)
);

-- unsubscribe_tokens: the SHA-256 of the token in each notification's
-- List-Unsubscribe link, and what it switches off.
CREATE TABLE unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX unsubscribe_tokens_user ON unsubscribe_tokens(user_id);

-- password_reset_requests counts reset requests in one row. Every request
-- updates it, whether or not the address has an account, so both answers
-- commit a write and take the same time (no timing oracle for which
-- addresses have accounts).
CREATE TABLE password_reset_requests (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    total INTEGER NOT NULL
);
INSERT INTO password_reset_requests (id, total) VALUES (1, 0);
