-- Trust and limits (SPEC section 7): rate limit counters, the audit log,
-- login throttling per (account, address), flag weight and moderator
-- vetting of reviews.

-- rate_counts counts writes per (kind, subject) in a fixed window that
-- starts at the first counted write; subject is "account:ID" or
-- "address:IP". Shared by every instance on the database.
CREATE TABLE rate_counts (
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX rate_counts_window ON rate_counts(window_start);

-- audit_log: who (actor_id, '' for nobody) did what (action) to what
-- (target, "TYPE:ID" or ''), from where (address) and when; details is a
-- JSON object of strings. No foreign keys: the log outlives what it names.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    action     TEXT NOT NULL,
    actor_id   TEXT NOT NULL DEFAULT '',
    target     TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
CREATE INDEX audit_log_target ON audit_log(target, id);
CREATE INDEX audit_log_action ON audit_log(action, id);

-- login_failures keys are now "pair:EMAIL|ADDR" and "addr:ADDR"; account
-- holds the e-mail key of a pair, so `fpr user unlock` finds its rows.
ALTER TABLE login_failures ADD COLUMN account TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_account ON login_failures(account);

-- review_flags.counts: whether the flag counts toward unpublishing the
-- review (fpr.FlagCounts at the time of the flag).
ALTER TABLE review_flags ADD COLUMN counts INTEGER NOT NULL DEFAULT 1;

-- reviews.vetted: a moderator published the review since its last edit;
-- flags then queue it for a moderator but do not unpublish it.
ALTER TABLE reviews ADD COLUMN vetted INTEGER NOT NULL DEFAULT 0;
