-- Operations: release starts, error groups and events, the per-route
-- request counters behind the 5xx ratio alert, and the alerts sent. Shared
-- by every instance on the database, so several instances send one alert.

-- releases has one row per start of an instance.
CREATE TABLE releases (
    id         TEXT PRIMARY KEY,
    release    TEXT NOT NULL,
    commit_sha TEXT NOT NULL DEFAULT '',
    instance   TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
CREATE INDEX releases_release ON releases(release, started_at);

-- error_groups holds one row per fingerprint (error type + top frames of
-- FPR's code + route), with the latest message and stack.
CREATE TABLE error_groups (
    fingerprint   TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    message       TEXT NOT NULL,
    route         TEXT NOT NULL,
    stack         TEXT NOT NULL,
    count         BIGINT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    first_release TEXT NOT NULL,
    last_release  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open','resolved')),
    resolved_at   BIGINT NOT NULL DEFAULT 0,
    regressed     BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX error_groups_last_seen ON error_groups(last_seen, fingerprint);
CREATE INDEX error_groups_first_release ON error_groups(first_release);

-- error_events keeps the newest events of each group (the recorder trims).
CREATE TABLE error_events (
    id          TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL REFERENCES error_groups(fingerprint) ON DELETE CASCADE,
    request_id  TEXT NOT NULL,
    route       TEXT NOT NULL,
    type        TEXT NOT NULL,
    message     TEXT NOT NULL,
    stack       TEXT NOT NULL,
    release     TEXT NOT NULL,
    instance    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX error_events_group ON error_events(fingerprint, id);
CREATE INDEX error_events_request ON error_events(request_id);
CREATE INDEX error_events_route ON error_events(route, id);

-- route_counts: requests and 5xx per route per 10-second bucket, added to
-- by every instance every few seconds.
CREATE TABLE route_counts (
    route    TEXT NOT NULL,
    bucket   BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    errors   BIGINT NOT NULL,
    PRIMARY KEY (route, bucket)
);
CREATE INDEX route_counts_bucket ON route_counts(bucket);

-- alerts: the unique key lets exactly one instance claim (and send) each.
CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    route       TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    release     TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    seq         BIGINT NOT NULL DEFAULT 0,
    instance    TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL DEFAULT 0,
    send_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_ratio ON alerts(route, kind, seq);
