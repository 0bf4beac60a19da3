package fpr

import (
	"context"
	"net/url"
	"regexp"
	"time"
	"unicode/utf8"
)

// The audit log (SPEC section 7): who did what to what, from which
// address, and when. The store writes an entry in the same transaction as
// the action it records, so an action that fails records nothing and one
// that commits is always recorded.

// AuditAction names an audited action. The actions are dotted: the thing
// acted on, then what was done.
type AuditAction string

// The audited actions.
const (
	AuditLogin          AuditAction = "login"                   // a successful login; the actor is the user
	AuditLoginFailed    AuditAction = "login.failed"            // a wrong password (target the account) or an unknown e-mail (no target)
	AuditPasswordChange AuditAction = "password.change"         // a user changed their password
	AuditRoleChange     AuditAction = "user.role"               // a role changed (by an admin, or `fpr user role` with no actor); details: from, to
	AuditReviewModerate AuditAction = "review.moderate"         // a moderation decision; details: action, note, reason
	AuditReviewDelete   AuditAction = "review.delete"           // staff deleted someone else's review
	AuditReplySet       AuditAction = "reply.set"               // an admin wrote the reply of a farm not theirs
	AuditFarmUpdate     AuditAction = "farm.update"             // an admin edited a farm not theirs
	AuditProductCreate  AuditAction = "product.create"          // an admin added a product to a farm not theirs
	AuditProductUpdate  AuditAction = "product.update"          // an admin edited a product of a farm not theirs
	AuditProductDelete  AuditAction = "product.delete"          // an admin deleted a product of a farm not theirs
	AuditErrorResolve   AuditAction = "error.resolve"           // an admin resolved an error group
	AuditLoginUnlock    AuditAction = "login.unlock"            // `fpr user unlock` cleared an account's login throttle
	AuditFarmDecide     AuditAction = "farm_application.decide" // an admin approved or rejected a farm application; details: action, note, farm_id
	AuditMFAEnable      AuditAction = "mfa.enable"              // a user turned two-factor authentication on
	AuditMFADisable     AuditAction = "mfa.disable"             // a user turned it off
	AuditMFARecovery    AuditAction = "mfa.recovery"            // a recovery code was spent (details: remaining)
	// AuditFoodSafetyReport is a food-safety report on a review (flag
	// reason food_safety); details: flag_id, note. Its closing decision is
	// a review.moderate entry with food_safety "true".
	AuditFoodSafetyReport AuditAction = "review.food_safety"
	AuditPhotoDelete      AuditAction = "photo.delete"   // staff deleted a photo of someone else's review
	AuditEmailChange      AuditAction = "email.change"   // a user asked to change their e-mail (details: stage requested) or confirmed the new one (stage confirmed)
	AuditPasswordReset    AuditAction = "password.reset" // a password was reset through a mailed link; the actor is the account's owner
	AuditAccountDelete    AuditAction = "user.delete"    // a user deleted their account
)

// AuditTarget formats the target of an entry: "TYPE:ID", e.g. "review:01h…".
func AuditTarget(typ, id string) string { return typ + ":" + id }

// AuditEntry is one line of the audit log. Actor is nil when nobody was
// signed in (a failed login, the command line); Target is "" when the
// action has none (a login failure for an unknown e-mail).
type AuditEntry struct {
	ID        string
	Action    AuditAction
	Actor     *Author
	Target    string
	Address   string
	CreatedAt time.Time
	Details   map[string]string
}

// StaffActsOnOthers reports whether u changing or deleting content owned
// by ownerID is a staff action on someone else's content, which the audit
// log records: a moderator or admin acting on what is not theirs.
func StaffActsOnOthers(u *User, ownerID string) bool {
	return u.CanModerate() && u.ID != ownerID
}

// AuditFilter selects audit entries: by actor ID, by target ("TYPE:ID") and
// by action, each optional, newest first.
type AuditFilter struct {
	Actor  string
	Target string
	Action string
	Page
}

var (
	auditTargetPattern = regexp.MustCompile(`^[a-z_]{1,20}:[A-Za-z0-9_.@+-]{1,200}$`)
	auditActionPattern = regexp.MustCompile(`^[a-z_.]{1,40}$`)
	auditActorPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// ParseAuditQuery reads ?actor=&target=&action=&limit=&cursor= and
// validates them.
func ParseAuditQuery(q url.Values) (AuditFilter, error) {
	p, err := ParsePage(q)
	if err != nil {
		return AuditFilter{}, err
	}
	f := AuditFilter{Actor: q.Get("actor"), Target: q.Get("target"), Action: q.Get("action"), Page: p}
	return f, f.Validate()
}

// Validate checks the filter's shape: an actor ID, a TYPE:ID target and a
// dotted action name, each optional.
func (f *AuditFilter) Validate() error {
	fields := FieldErrors{}
	if f.Actor != "" && !auditActorPattern.MatchString(f.Actor) {
		fields.Add("actor", "Must be a user ID.")
	}
	if f.Target != "" && (!utf8.ValidString(f.Target) || !auditTargetPattern.MatchString(f.Target)) {
		fields.Add("target", "Must be TYPE:ID, e.g. review:01hx….")
	}
	if f.Action != "" && !auditActionPattern.MatchString(f.Action) {
		fields.Add("action", "Must be an action name such as login.failed.")
	}
	if err := fields.Err(); err != nil {
		return err
	}
	return f.Normalize()
}

// AuditService reads the audit log; the store writes it within each
// audited action's transaction.
type AuditService interface {
	// FindAuditEntries lists entries matching f, newest first. Admins
	// only: unauthenticated, forbidden; validation_failed for a bad
	// filter, limit or cursor.
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, string, error)
}
