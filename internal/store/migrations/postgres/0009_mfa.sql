-- Two-factor authentication (SPEC section 7): a TOTP secret per user,
-- pending until confirmed, the last time step whose code was accepted (so
-- a code is accepted once, on every instance), and the SHA-256 hashes of
-- the single-use recovery codes. users.mfa_enabled mirrors a confirmed
-- secret and changes in the same transaction.
ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE mfa_totp (
    user_id      TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,               -- base32; never logged
    confirmed_at BIGINT NOT NULL DEFAULT 0,   -- 0 while pending
    last_step    BIGINT NOT NULL DEFAULT 0,   -- RFC 6238 step of the last accepted code
    created_at   BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT COLLATE "C" NOT NULL,
    used_at   BIGINT NOT NULL DEFAULT 0,      -- 0 while unused
    PRIMARY KEY (user_id, code_hash)
);
