package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// This file implements fpr.OpsService. The SQL is shared by both dialects:
// INSERT … ON CONFLICT works unchanged on SQLite and PostgreSQL, and the
// "who changed it" questions (new group, reopened group, claimed alert) are
// answered by the rows a conditional statement affected, so with several
// instances on one database exactly one sees each change.

// requireAdmin returns unauthenticated or forbidden unless the acting user
// is an admin.
func requireAdmin(ctx context.Context) error {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if !fpr.CanSeeOperations(u) {
		return fpr.Errorf(fpr.CodeForbidden, "Only admins may see operations data.")
	}
	return nil
}

// RecordRelease records one start of an instance, with the schema it runs
// on and the newest migration this binary embeds.
func (db *DB) RecordRelease(ctx context.Context, r *fpr.Release) error {
	ms, err := db.migrationFiles()
	if err != nil {
		return err
	}
	r.OwnSchema = 0
	for _, m := range ms {
		r.OwnSchema = max(r.OwnSchema, m.Version)
	}
	return db.inTx(ctx, true, func(tx *Tx) error {
		if r.StartedAt.IsZero() {
			r.StartedAt = tx.now
		}
		var schema sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&schema); err != nil {
			return err
		}
		r.Schema = int(schema.Int64)
		_, err := tx.ExecContext(ctx, `INSERT INTO releases (id, release, commit_sha, instance, started_at, schema_version, own_schema_version)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			db.NewID(tx.now), r.Release, r.Commit, r.Instance, micros(r.StartedAt), r.Schema, r.OwnSchema)
		return err
	})
}

// FindReleases lists releases by first start, newest first, with the error
// groups first seen in each and seen since each started. Admins only.
func (db *DB) FindReleases(ctx context.Context, p fpr.Page) ([]*fpr.ReleaseSummary, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	if err := p.Normalize(); err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(p.Cursor, "releases")
	if err != nil {
		return nil, "", err
	}
	var afterStart int64
	var afterRelease string
	if c != nil {
		afterStart, afterRelease = c.Int, c.ID
	}
	var out []*fpr.ReleaseSummary
	err = db.inTx(ctx, false, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `WITH rel AS (
				SELECT release, MIN(commit_sha) AS commit_sha, MIN(started_at) AS started_at, COUNT(*) AS starts,
					COALESCE(MAX(schema_version), 0) AS schema_version, COALESCE(MAX(own_schema_version), 0) AS own_schema_version
				FROM releases GROUP BY release)
			SELECT rel.release, rel.commit_sha, rel.started_at, rel.starts, rel.schema_version, rel.own_schema_version,
				(SELECT COUNT(*) FROM error_groups g WHERE g.first_release = rel.release),
				(SELECT COUNT(*) FROM error_groups g WHERE g.last_seen >= rel.started_at)
			FROM rel
			WHERE $1 = '' OR rel.started_at < $2 OR (rel.started_at = $2 AND rel.release < $1)
			ORDER BY rel.started_at DESC, rel.release DESC
			LIMIT $3`, afterRelease, afterStart, p.Limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r fpr.ReleaseSummary
			var started int64
			if err := rows.Scan(&r.Release, &r.Commit, &started, &r.Starts, &r.Schema, &r.OwnSchema, &r.NewGroups, &r.GroupsSince); err != nil {
				return err
			}
			r.StartedAt = fromMicros(started)
			out = append(out, &r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1]
		next = cursor{Sort: "releases", ID: last.Release, Int: micros(last.StartedAt)}.encode()
	}
	return out, next, nil
}

const errorGroupColumns = `fingerprint, type, message, route, stack, count, first_seen, last_seen,
	first_release, last_release, status, resolved_at, regressed`

func scanErrorGroup(row interface{ Scan(...any) error }) (*fpr.ErrorGroup, error) {
	var g fpr.ErrorGroup
	var first, last, resolved int64
	if err := row.Scan(&g.Fingerprint, &g.Type, &g.Message, &g.Route, &g.Stack, &g.Count, &first, &last,
		&g.FirstRelease, &g.LastRelease, &g.Status, &resolved, &g.Regressed); err != nil {
		return nil, err
	}
	g.FirstSeen, g.LastSeen = fromMicros(first), fromMicros(last)
	if resolved != 0 {
		g.ResolvedAt = fromMicros(resolved)
	}
	return &g, nil
}

// RecordErrorEvents stores a batch of events and their groups in one
// transaction. A group is new when this call's INSERT … ON CONFLICT DO
// NOTHING inserted it, and regressed when this call's conditional UPDATE
// moved it from resolved to open; the database decides both, so concurrent
// instances never both report one change.
func (db *DB) RecordErrorEvents(ctx context.Context, events []*fpr.ErrorEvent, keep int) ([]fpr.ErrorGroupChange, error) {
	if len(events) == 0 {
		return nil, nil
	}
	keep = max(keep, 1)
	// Touch groups in fingerprint order, so two instances' batches lock
	// rows in one order and cannot deadlock on PostgreSQL.
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b *fpr.ErrorEvent) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
	var changes []fpr.ErrorGroupChange
	err := db.inTx(ctx, true, func(tx *Tx) error {
		changes = changes[:0]
		var seen []string // fingerprints in the batch, in order
		for _, e := range events {
			if e.Time.IsZero() {
				e.Time = tx.now
			}
			at := micros(e.Time)
			res, err := tx.ExecContext(ctx, `INSERT INTO error_groups (`+errorGroupColumns+`)
				VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7, $7, 'open', 0, $8)
				ON CONFLICT (fingerprint) DO NOTHING`,
				e.Fingerprint, e.Type, e.Message, e.Route, e.Stack, at, e.Release, false)
			if err != nil {
				return err
			}
			inserted, err := res.RowsAffected()
			if err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, `UPDATE error_groups SET status = 'open', regressed = $2, resolved_at = 0
				WHERE fingerprint = $1 AND status = 'resolved'`, e.Fingerprint, true)
			if err != nil {
				return err
			}
			reopened, err := res.RowsAffected()
			if err != nil {
				return err
			}
			// MAX keeps last_seen right when a batch arrives late.
			_, err = tx.ExecContext(ctx, `UPDATE error_groups SET count = count + 1,
					last_seen = CASE WHEN last_seen > $2 THEN last_seen ELSE $2 END,
					last_release = $3, message = $4, stack = $5, type = $6
				WHERE fingerprint = $1`, e.Fingerprint, at, e.Release, e.Message, e.Stack, e.Type)
			if err != nil {
				return err
			}
			e.ID = db.NewID(e.Time)
			_, err = tx.ExecContext(ctx, `INSERT INTO error_events
				(id, fingerprint, request_id, route, type, message, stack, release, instance, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				e.ID, e.Fingerprint, e.RequestID, e.Route, e.Type, e.Message, e.Stack, e.Release, e.Instance, at)
			if err != nil {
				return err
			}
			if len(seen) == 0 || seen[len(seen)-1] != e.Fingerprint {
				seen = append(seen, e.Fingerprint)
			}
			if inserted == 1 || reopened == 1 {
				changes = append(changes, fpr.ErrorGroupChange{Event: e, New: inserted == 1, Regressed: reopened == 1})
			}
		}
		for _, fp := range seen {
			_, err := tx.ExecContext(ctx, `DELETE FROM error_events WHERE fingerprint = $1 AND id NOT IN (
					SELECT id FROM error_events WHERE fingerprint = $1 ORDER BY id DESC LIMIT $2)`, fp, keep)
			if err != nil {
				return err
			}
		}
		for i := range changes {
			g, err := scanErrorGroup(tx.QueryRowContext(ctx, `SELECT `+errorGroupColumns+` FROM error_groups WHERE fingerprint = $1`,
				changes[i].Event.Fingerprint))
			if err != nil {
				return err
			}
			changes[i].Group = g
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// FindErrorGroups lists groups by last seen, newest first. Admins only.
func (db *DB) FindErrorGroups(ctx context.Context, f fpr.ErrorGroupFilter) ([]*fpr.ErrorGroup, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	if err := f.Normalize(); err != nil {
		return nil, "", err
	}
	if f.Status != nil && !f.Status.Valid() {
		return nil, "", &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Unknown status.",
			Fields: map[string]string{"status": "Use open or resolved."}}
	}
	c, err := decodeCursor(f.Cursor, "errors")
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + errorGroupColumns + ` FROM error_groups WHERE 1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Status != nil {
		q += ` AND status = ` + arg(string(*f.Status))
	}
	if f.Route != nil {
		q += ` AND route = ` + arg(*f.Route)
	}
	if c != nil {
		ls, id := arg(c.Int), arg(c.ID)
		q += ` AND (last_seen < ` + ls + ` OR (last_seen = ` + ls + ` AND fingerprint < ` + id + `))`
	}
	q += ` ORDER BY last_seen DESC, fingerprint DESC LIMIT ` + arg(f.Limit+1)
	var out []*fpr.ErrorGroup
	err = db.inTx(ctx, false, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanErrorGroup(rows)
			if err != nil {
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = cursor{Sort: "errors", ID: last.Fingerprint, Int: micros(last.LastSeen)}.encode()
	}
	return out, next, nil
}

// FindErrorGroup returns one group and its newest events. Admins only.
func (db *DB) FindErrorGroup(ctx context.Context, fingerprint string, events int) (*fpr.ErrorGroup, []*fpr.ErrorEvent, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, nil, err
	}
	var g *fpr.ErrorGroup
	var evs []*fpr.ErrorEvent
	err := db.inTx(ctx, false, func(tx *Tx) error {
		var err error
		g, err = scanErrorGroup(tx.QueryRowContext(ctx, `SELECT `+errorGroupColumns+` FROM error_groups WHERE fingerprint = $1`, fingerprint))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("error group")
		}
		if err != nil || events <= 0 {
			return err
		}
		evs, err = findErrorEvents(ctx, tx, `fingerprint = $1`, []any{fingerprint}, events)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return g, evs, nil
}

// FindErrorByRequestID returns a request's error event and its group.
// Admins only.
func (db *DB) FindErrorByRequestID(ctx context.Context, requestID string) (*fpr.ErrorEvent, *fpr.ErrorGroup, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, nil, err
	}
	var e *fpr.ErrorEvent
	var g *fpr.ErrorGroup
	err := db.inTx(ctx, false, func(tx *Tx) error {
		evs, err := findErrorEvents(ctx, tx, `request_id = $1`, []any{requestID}, 1)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return fpr.Errorf(fpr.CodeNotFound, "No error was recorded for that request ID (only the newest events of each group are kept).")
		}
		e = evs[0]
		g, err = scanErrorGroup(tx.QueryRowContext(ctx, `SELECT `+errorGroupColumns+` FROM error_groups WHERE fingerprint = $1`, e.Fingerprint))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return e, g, nil
}

// findErrorEvents returns up to limit events matching where, newest first.
func findErrorEvents(ctx context.Context, tx *Tx, where string, args []any, limit int) ([]*fpr.ErrorEvent, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, fingerprint, request_id, route, type, message, stack, release, instance, created_at
		FROM error_events WHERE `+where+` ORDER BY id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*fpr.ErrorEvent
	for rows.Next() {
		var e fpr.ErrorEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.Fingerprint, &e.RequestID, &e.Route, &e.Type, &e.Message, &e.Stack,
			&e.Release, &e.Instance, &at); err != nil {
			return nil, err
		}
		e.Time = fromMicros(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// FindErrorEvents lists events, newest first. Admins only.
func (db *DB) FindErrorEvents(ctx context.Context, f fpr.ErrorEventFilter) ([]*fpr.ErrorEvent, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	if err := f.Normalize(); err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(f.Cursor, "events")
	if err != nil {
		return nil, "", err
	}
	where := `1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Fingerprint != nil {
		where += ` AND fingerprint = ` + arg(*f.Fingerprint)
	}
	if f.Route != nil {
		where += ` AND route = ` + arg(*f.Route)
	}
	if c != nil {
		where += ` AND id < ` + arg(c.ID)
	}
	var out []*fpr.ErrorEvent
	err = db.inTx(ctx, false, func(tx *Tx) error {
		out, err = findErrorEvents(ctx, tx, where, args, f.Limit+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = cursor{Sort: "events", ID: out[len(out)-1].ID}.encode()
	}
	return out, next, nil
}

// ResolveErrorGroup marks a group resolved. Admins only.
func (db *DB) ResolveErrorGroup(ctx context.Context, fingerprint string) (*fpr.ErrorGroup, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var g *fpr.ErrorGroup
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE error_groups SET status = 'resolved', resolved_at = $2, regressed = $3
			WHERE fingerprint = $1 AND status = 'open'`, fingerprint, micros(tx.now), false)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		g, err = scanErrorGroup(tx.QueryRowContext(ctx, `SELECT `+errorGroupColumns+` FROM error_groups WHERE fingerprint = $1`, fingerprint))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("error group")
		}
		if err != nil || n == 0 {
			return err // already resolved: nothing new to record
		}
		return tx.Audit(ctx, fpr.AuditErrorResolve, fpr.AuditTarget("error", fingerprint), map[string]string{"type": g.Type, "route": g.Route})
	})
	return g, err
}

// AddRouteCounts adds counts to the shared per-route counters.
func (db *DB) AddRouteCounts(ctx context.Context, counts []fpr.RouteCount) error {
	if len(counts) == 0 {
		return nil
	}
	return db.inTx(ctx, true, func(tx *Tx) error {
		for _, c := range counts {
			_, err := tx.ExecContext(ctx, `INSERT INTO route_counts (route, bucket, requests, errors) VALUES ($1, $2, $3, $4)
				ON CONFLICT (route, bucket) DO UPDATE SET requests = route_counts.requests + excluded.requests,
					errors = route_counts.errors + excluded.errors`,
				c.Route, micros(c.Bucket), c.Requests, c.Errors)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// FindRouteCounts sums each route's counters since a time and purges old
// ones.
func (db *DB) FindRouteCounts(ctx context.Context, since, purgeBefore time.Time) ([]fpr.RouteCount, error) {
	var out []fpr.RouteCount
	err := db.inTx(ctx, true, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM route_counts WHERE bucket < $1`, micros(purgeBefore)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT route, SUM(requests), SUM(errors) FROM route_counts
			WHERE bucket >= $1 GROUP BY route ORDER BY route`, micros(since))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c fpr.RouteCount
			if err := rows.Scan(&c.Route, &c.Requests, &c.Errors); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

const alertColumns = `id, key, kind, route, fingerprint, release, request_id, message, seq, instance,
	created_at, sent_at, send_error`

func scanAlert(row interface{ Scan(...any) error }) (*fpr.Alert, error) {
	var a fpr.Alert
	var created, sent int64
	if err := row.Scan(&a.ID, &a.Key, &a.Kind, &a.Route, &a.Fingerprint, &a.Release, &a.RequestID, &a.Message,
		&a.Seq, &a.Instance, &created, &sent, &a.SendError); err != nil {
		return nil, err
	}
	a.Created = fromMicros(created)
	if sent != 0 {
		a.SentAt = fromMicros(sent)
	}
	return &a, nil
}

// ClaimAlert records a unless its key exists; only the inserter sends.
func (db *DB) ClaimAlert(ctx context.Context, a *fpr.Alert) (bool, error) {
	var claimed bool
	err := db.inTx(ctx, true, func(tx *Tx) error {
		id := db.NewID(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, key, kind, route, fingerprint, release, request_id, message, seq, instance, created_at, claimed_until)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (key) DO NOTHING`,
			id, a.Key, string(a.Kind), a.Route, a.Fingerprint, a.Release, a.RequestID, a.Message, a.Seq, a.Instance, micros(tx.now),
			micros(tx.now.Add(fpr.AlertLease)))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if claimed = n == 1; claimed {
			a.ID, a.Created = id, tx.now
		}
		return nil
	})
	return claimed, err
}

// MarkAlertSent records whether the webhook took alert id.
func (db *DB) MarkAlertSent(ctx context.Context, id string, sendErr error) error {
	return db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		if sendErr == nil {
			_, err = tx.ExecContext(ctx, `UPDATE alerts SET sent_at = $2, send_error = '', claimed_until = 0 WHERE id = $1`, id, micros(tx.now))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE alerts SET send_error = $2, claimed_until = 0 WHERE id = $1`, id, sendErr.Error())
		}
		return err
	})
}

// ReclaimAlerts implements fpr.OpsService. The outer condition is checked
// again on the row each UPDATE locks, so of two instances reclaiming at
// once on PostgreSQL only the first gets an alert (on SQLite writers take
// turns anyway). Alerts are few: the scan of unsent ones is short.
func (db *DB) ReclaimAlerts(ctx context.Context, instance string, limit int) ([]*fpr.Alert, error) {
	var out []*fpr.Alert
	err := db.inTx(ctx, true, func(tx *Tx) error {
		out = out[:0]
		now := micros(tx.now)
		rows, err := tx.QueryContext(ctx, `UPDATE alerts SET claimed_until = $1, instance = $2
			WHERE id IN (SELECT id FROM alerts WHERE sent_at = 0 AND send_error = '' AND claimed_until <> 0 AND claimed_until < $3
				ORDER BY id LIMIT $4)
			AND sent_at = 0 AND send_error = '' AND claimed_until <> 0 AND claimed_until < $3
			RETURNING `+alertColumns, micros(tx.now.Add(fpr.AlertLease)), instance, now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reclaim alerts: %w", err)
	}
	return out, nil
}

// LatestRatioAlerts returns each route's newest ratio alert or
// ratio_resolved alert.
func (db *DB) LatestRatioAlerts(ctx context.Context) (map[string]*fpr.Alert, error) {
	rows, err := db.readRows(ctx, `SELECT `+alertColumns+` FROM alerts a
		WHERE a.kind IN ($1, $2) AND a.seq = (SELECT MAX(b.seq) FROM alerts b WHERE b.route = a.route AND b.kind IN ($1, $2))`,
		string(fpr.AlertRatio), string(fpr.AlertRatioResolved))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*fpr.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		if prev, ok := out[a.Route]; !ok || prev.Kind == fpr.AlertRatio {
			out[a.Route] = a
		}
	}
	return out, rows.Err()
}

// FindAlerts lists alerts, newest first. Admins only.
func (db *DB) FindAlerts(ctx context.Context, p fpr.Page) ([]*fpr.Alert, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	if err := p.Normalize(); err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(p.Cursor, "alerts")
	if err != nil {
		return nil, "", err
	}
	after := ""
	if c != nil {
		after = c.ID
	}
	rows, err := db.readRows(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE $1 = '' OR id < $1 ORDER BY id DESC LIMIT $2`, after, p.Limit+1)
	if err != nil {
		return nil, "", db.dialect.translate(err)
	}
	defer rows.Close()
	var out []*fpr.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = cursor{Sort: "alerts", ID: out[len(out)-1].ID}.encode()
	}
	return out, next, nil
}

// FindUnalertedFoodSafetyReports implements fpr.OpsService. Open reports
// are few; the review_flags_open index (resolved, review_id) finds them.
func (db *DB) FindUnalertedFoodSafetyReports(ctx context.Context, limit int) ([]*fpr.Flag, error) {
	rows, err := db.readRows(ctx, `SELECT f.id, f.review_id, f.user_id, f.reason, f.note, f.created_at FROM review_flags f
		WHERE f.resolved = FALSE AND f.reason = $1
		AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.key = CAST($2 AS TEXT) || f.id)
		ORDER BY f.created_at, f.id LIMIT $3`, string(fpr.FlagFoodSafety), fpr.FoodSafetyAlertKey(""), limit)
	if err != nil {
		return nil, db.dialect.translate(fmt.Errorf("unalerted food-safety reports: %w", err))
	}
	defer rows.Close()
	var out []*fpr.Flag
	for rows.Next() {
		f := &fpr.Flag{}
		var created int64
		if err := rows.Scan(&f.ID, &f.ReviewID, &f.UserID, &f.Reason, &f.Note, &created); err != nil {
			return nil, fmt.Errorf("unalerted food-safety reports: %w", err)
		}
		f.CreatedAt = fromMicros(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

var _ fpr.OpsService = (*DB)(nil)
