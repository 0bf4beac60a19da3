package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fpr-team/fpr"
)

// The audit log (fpr.AuditEntry): (*Tx).Audit writes an entry inside the
// transaction of the action it records, so a failed action records
// nothing and a committed one is always recorded.

// Audit records action on target ("TYPE:ID", or "" for none; see
// fpr.AuditTarget) within tx, with the acting user of ctx as the actor
// (none when anonymous), the client address of ctx
// (fpr.ClientAddrFromContext) and details. Call it in the transaction of
// the action it records, after the action's own statements succeed.
func (tx *Tx) Audit(ctx context.Context, action fpr.AuditAction, target string, details map[string]string) error {
	return tx.AuditAs(ctx, fpr.UserIDFromContext(ctx), action, target, details)
}

// AuditAs is Audit with an explicit actor ID ("" for none): for a login,
// whose actor is the user signing in although the context has no user yet.
func (tx *Tx) AuditAs(ctx context.Context, actorID string, action fpr.AuditAction, target string, details map[string]string) error {
	if details == nil {
		details = map[string]string{}
	}
	data, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (id, action, actor_id, target, address, details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tx.db.NewID(tx.now), string(action), actorID, target, fpr.ClientAddrFromContext(ctx), string(data), micros(tx.now)); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// auditStaff records action when the acting user is staff acting on
// content owned by ownerID (fpr.StaffActsOnOthers), and nothing otherwise.
func (tx *Tx) auditStaff(ctx context.Context, ownerID string, action fpr.AuditAction, target string, details map[string]string) error {
	if !fpr.StaffActsOnOthers(fpr.UserFromContext(ctx), ownerID) {
		return nil
	}
	return tx.Audit(ctx, action, target, details)
}

// FindAuditEntries implements fpr.AuditService: entries matching f, newest
// first, with the actor's current display name. Admins only.
func (db *DB) FindAuditEntries(ctx context.Context, f fpr.AuditFilter) ([]*fpr.AuditEntry, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(f.Cursor, "audit")
	if err != nil {
		return nil, "", err
	}
	var (
		entries []*fpr.AuditEntry
		next    string
	)
	err = db.inTx(ctx, false, func(tx *Tx) error {
		args := []any{f.Limit + 1}
		arg := func(v any) string {
			args = append(args, v)
			return fmt.Sprintf("$%d", len(args))
		}
		q := `SELECT a.id, a.action, a.actor_id, COALESCE(u.display_name, ''), a.target, a.address, a.details, a.created_at
			FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id WHERE 1 = 1`
		if f.Actor != "" {
			q += ` AND a.actor_id = ` + arg(f.Actor)
		}
		if f.Target != "" {
			q += ` AND a.target = ` + arg(f.Target)
		}
		if f.Action != "" {
			q += ` AND a.action = ` + arg(f.Action)
		}
		if after != nil {
			q += ` AND a.id < ` + arg(after.ID)
		}
		q += ` ORDER BY a.id DESC LIMIT $1`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                  fpr.AuditEntry
				actorID, actorName string
				details            string
				created            int64
			)
			if err := rows.Scan(&e.ID, &e.Action, &actorID, &actorName, &e.Target, &e.Address, &details, &created); err != nil {
				return err
			}
			if actorID != "" {
				e.Actor = &fpr.Author{ID: actorID, DisplayName: actorName}
			}
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return fmt.Errorf("audit entry %s: details: %w", e.ID, err)
			}
			e.CreatedAt = fromMicros(created)
			entries = append(entries, &e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(entries) > f.Limit {
			entries = entries[:f.Limit]
			next = cursor{Sort: "audit", ID: entries[len(entries)-1].ID}.encode()
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("find audit entries: %w", err)
	}
	return entries, next, nil
}

var _ fpr.AuditService = (*DB)(nil)
