package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// The mail outbox. A feature that mails someone calls tx.enqueueMail (or
// tx.notify for a notification a user may switch off) inside the
// transaction of the change that causes the mail, so the mail exists
// exactly when the change does. The mail worker (internal/mail) drains the
// outbox: ClaimMail leases due mail to one worker (claimed_until), the
// worker sends it and calls MarkMailFailed at once, or MarkMailSent for
// all the mails of a round it sent, after the round. A worker that
// dies holding a lease delays its mail until the lease runs out; another
// worker then claims it.

// enqueueMail writes m to the outbox in tx, due now, or at
// m.NextAttemptAt when that is later. It sets m.ID, unless the caller
// made one.
func (tx *Tx) enqueueMail(ctx context.Context, m *fpr.Mail) error {
	data, err := json.Marshal(m.Data)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	if m.ID == "" {
		m.ID = tx.db.NewID(tx.now)
	}
	m.Status = fpr.MailPending
	m.CreatedAt = tx.now
	if m.NextAttemptAt.Before(tx.now) {
		m.NextAttemptAt = tx.now
	}
	var userID sql.NullString
	if m.UserID != "" {
		userID = sql.NullString{String: m.UserID, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, kind, recipient, user_id, data, status, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)`,
		m.ID, string(m.Kind), m.To, userID, string(data), micros(m.NextAttemptAt), micros(tx.now)); err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return nil
}

// notify writes a notification of kind for userID to the outbox in tx,
// due now, unless the user switched its topic off or has deleted their
// account.
func (tx *Tx) notify(ctx context.Context, userID string, kind fpr.MailKind, data map[string]string) error {
	email, ok, err := tx.notifiable(ctx, userID, kind)
	if err != nil || !ok {
		return err
	}
	return tx.enqueueNotification(ctx, &fpr.Mail{Kind: kind, To: email, UserID: userID, Data: data})
}

// notifiable returns the address of userID when they get notifications of
// kind: ok is false when they switched its topic off, deleted their
// account, or do not exist.
func (tx *Tx) notifiable(ctx context.Context, userID string, kind fpr.MailKind) (email string, ok bool, err error) {
	topic, isNotification := fpr.MailTopic(kind)
	if !isNotification {
		return "", false, fmt.Errorf("notify: %s is not a notification", kind)
	}
	var deleted, optedOut int64
	err = tx.QueryRowContext(ctx, `SELECT u.email, u.deleted_at,
			(SELECT COUNT(*) FROM notification_optouts o WHERE o.user_id = u.id AND o.topic = $2)
		FROM users u WHERE u.id = $1`, userID, string(topic)).Scan(&email, &deleted, &optedOut)
	if errors.Is(err, sql.ErrNoRows) || deleted != 0 || optedOut != 0 {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("notify: %w", err)
	}
	return email, true, nil
}

// enqueueNotification writes the notification m (its kind, recipient,
// account, data and due time, and its ID if the caller made one) to the
// outbox (enqueueMail). It adds an unsubscribe token (only its hash is
// stored) to a copy of the mail's data as "unsubscribe_token", for the
// List-Unsubscribe header.
func (tx *Tx) enqueueNotification(ctx context.Context, m *fpr.Mail) error {
	topic, _ := fpr.MailTopic(m.Kind)
	token, hash := fpr.NewToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO unsubscribe_tokens (token_hash, user_id, topic, created_at)
		VALUES ($1, $2, $3, $4)`, hash, m.UserID, string(topic), micros(tx.now)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	d := map[string]string{"unsubscribe_token": token}
	for k, v := range m.Data {
		d[k] = v
	}
	m.Data = d
	return tx.enqueueMail(ctx, m)
}

const mailColumns = `id, kind, recipient, COALESCE(user_id, ''), data, status, attempts, next_attempt_at, last_error, created_at, sent_at`

func scanMail(row interface{ Scan(...any) error }) (*fpr.Mail, error) {
	var m fpr.Mail
	var data string
	var next, created, sent int64
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.UserID, &data, &m.Status, &m.Attempts, &next, &m.LastError, &created, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
		return nil, fmt.Errorf("mail %s: data: %w", m.ID, err)
	}
	m.NextAttemptAt, m.CreatedAt = fromMicros(next), fromMicros(created)
	if sent != 0 {
		m.SentAt = fromMicros(sent)
	}
	return &m, nil
}

// scanMails reads the mails of rows and closes them.
func scanMails(rows *sql.Rows) ([]*fpr.Mail, error) {
	defer rows.Close()
	var out []*fpr.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClaimMail leases up to limit due mails (pending, next attempt reached,
// no live lease) to worker until now+lease, counts the attempt, and
// returns them. Several workers on one database never hold the same mail
// at once: on PostgreSQL the rows are locked and skipped by concurrent
// claims (FOR UPDATE SKIP LOCKED); on SQLite writers are serialized. A
// mail whose lease ran out with maxAttempts already made (its worker died
// each time) is given up as undeliverable instead. A new-review digest
// claimed for the first time is filled in, in the same transaction, with
// the reviews it tells of (fillReviewDigest); one with none left is
// deleted, not returned.
func (db *DB) ClaimMail(ctx context.Context, worker string, lease time.Duration, limit, maxAttempts int) ([]*fpr.Mail, error) {
	// Most rounds find nothing: ask the read pool first, so idle workers
	// do not queue for the write lock.
	var due int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT id FROM mail_outbox
		WHERE status = 'pending' AND next_attempt_at <= $1 AND claimed_until <= $1 LIMIT 1) d`, micros(db.Now())).Scan(&due); err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	var out []*fpr.Mail
	err := db.inTx(ctx, true, func(tx *Tx) error {
		now := micros(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'undeliverable', data = '{}',
				last_error = 'the worker sending it stopped each time', claimed_until = 0
			WHERE status = 'pending' AND attempts >= $1 AND claimed_until > 0 AND claimed_until <= $2`,
			maxAttempts, now); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE mail_outbox SET claimed_until = $1, claimed_by = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM mail_outbox
				WHERE status = 'pending' AND next_attempt_at <= $3 AND claimed_until <= $3 AND attempts < $4
				ORDER BY next_attempt_at, id LIMIT $5`+db.dialect.skipLocked()+`)
			AND status = 'pending' AND claimed_until <= $3
			RETURNING `+mailColumns,
			micros(tx.now.Add(lease)), worker, now, maxAttempts, limit)
		if err != nil {
			return err
		}
		// Read whole before the next statements on the connection.
		claimed, err := scanMails(rows)
		if err != nil {
			return err
		}
		// New-review digests are filled in now, after the UPDATE
		// (fillReviewDigest); one with nothing left to tell is not sent.
		out = out[:0]
		for _, m := range claimed {
			send, err := tx.fillReviewDigest(ctx, m)
			if err != nil {
				return err
			}
			if send {
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	return out, nil
}

// MarkMailSent records that the mails ids were sent and empties their data
// (the tokens in it have done their job), in one transaction: a worker
// records a round's sent mails with one commit, not one each.
func (db *DB) MarkMailSent(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	err := db.inTx(ctx, true, func(tx *Tx) error {
		args := []any{micros(tx.now)}
		ph := make([]string, 0, len(ids))
		for _, id := range ids {
			args = append(args, id)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'sent', data = '{}', sent_at = $1, claimed_until = 0, last_error = ''
			WHERE id IN (`+strings.Join(ph, ", ")+`) AND status = 'pending'`, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return nil
}

// MarkMailFailed records a failed attempt at mail id with its error: the
// mail is due again after fpr.MailRetryDelay (from retryBase), or, once
// fpr.MailGivesUp, it is undeliverable and its data is emptied. It
// returns the mail's status.
func (db *DB) MarkMailFailed(ctx context.Context, id, msg string, retryBase time.Duration, maxAttempts int) (fpr.MailStatus, error) {
	status := fpr.MailPending
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var attempts int
		if err := tx.QueryRowContext(ctx, `SELECT attempts FROM mail_outbox WHERE id = $1 AND status = 'pending'`, id).Scan(&attempts); err != nil {
			return err
		}
		if fpr.MailGivesUp(attempts, maxAttempts) {
			status = fpr.MailUndeliverable
			_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'undeliverable', data = '{}', last_error = $1, claimed_until = 0
				WHERE id = $2`, msg, id)
			return err
		}
		next := tx.now.Add(fpr.MailRetryDelay(attempts, retryBase))
		_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2, claimed_until = 0
			WHERE id = $3`, micros(next), msg, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("mark mail failed: %w", err)
	}
	return status, nil
}

// FindMail implements fpr.MailService: admins only.
func (db *DB) FindMail(ctx context.Context, f fpr.MailFilter) ([]*fpr.Mail, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	if err := f.Normalize(); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(f.Cursor, "mail")
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + mailColumns + ` FROM mail_outbox WHERE 1=1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != nil {
		q += ` AND status = ` + arg(string(*f.Status))
	}
	if after != nil {
		q += ` AND id < ` + arg(after.ID)
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(f.Limit+1) //nolint:gosec // G202: only placeholders are appended; values go in args
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find mail: %w", err)
	}
	defer rows.Close()
	var out []*fpr.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find mail: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find mail: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = cursor{Sort: "mail", ID: out[len(out)-1].ID}.encode()
	}
	return out, next, nil
}

// countMailQuery is CountMail's SQL.
func countMailQuery(only []fpr.MailStatus) (string, []any) {
	if len(only) == 0 {
		return `SELECT status, COUNT(*) FROM mail_outbox GROUP BY status`, nil
	}
	args := make([]any, len(only))
	ph := make([]string, len(only))
	for i, s := range only {
		args[i] = string(s)
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	return `SELECT status, COUNT(*) FROM mail_outbox WHERE status IN (` + strings.Join(ph, ", ") + `) GROUP BY status`, args
}

// CountMail implements fpr.MailService. It needs no acting user: the mail
// worker reports the counts as metrics, after every round, and counts only
// pending and undeliverable mail: a count of every status reads the whole
// outbox, whose sent mail grows with every review (the mail_outbox_due
// index reads a status's entries only).
func (db *DB) CountMail(ctx context.Context, only ...fpr.MailStatus) (map[fpr.MailStatus]int, error) {
	q, args := countMailQuery(only)
	rows, err := db.readRows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count mail: %w", err)
	}
	defer rows.Close()
	out := map[fpr.MailStatus]int{fpr.MailPending: 0, fpr.MailSent: 0, fpr.MailUndeliverable: 0}
	for rows.Next() {
		var s fpr.MailStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count mail: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}
