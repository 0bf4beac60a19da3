-- A new review looks up its producer's latest new-review mail, to join it
-- while it waits (fpr.ReviewMailInterval): a seek on (user_id, kind, id)
-- that reads one row (IDs are time-ordered). mail_outbox_user (user_id) held every
-- mail a user was ever sent and was read whole for that. The new index
-- leads with user_id too, so it serves the account's own reads (deletion,
-- export) as the old one did. Additive for older releases: they name no
-- outbox index.
CREATE INDEX mail_outbox_user_kind ON mail_outbox(user_id, kind, id);
DROP INDEX mail_outbox_user;
