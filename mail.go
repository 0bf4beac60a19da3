package fpr

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// MailKind names a mail: its templates are web/templates/mail/KIND.txt
// (subject and plain-text part) and KIND.html (the HTML part).
type MailKind string

// The mails FPR sends.
const (
	// MailVerifyEmail carries the link that verifies an address, at
	// registration, on request and after an e-mail change (to the new
	// address). Data: token, display_name.
	MailVerifyEmail MailKind = "verify_email"
	// MailEmailChange tells the old address that a change to another one
	// was asked for. Data: display_name, new_email.
	MailEmailChange MailKind = "email_change"
	// MailPasswordReset carries the password reset link. Data: token.
	MailPasswordReset MailKind = "password_reset"
	// MailReviewReceived tells a producer of new reviews of their
	// products (TopicReviewReceived): at most one mail each
	// ReviewMailInterval, so a burst of reviews makes one mail, not one
	// each (ReviewMailDue). It is a digest, filled in when the worker
	// claims it: data count (the reviews it tells of that are still
	// published when it goes out, "1" and up) and the newest one's
	// product_id, product_name, rating, review_id. One with no review
	// left to tell of (a moderator removed them all) is not sent.
	MailReviewReceived MailKind = "review_received"
	// MailReplyReceived tells an author that the farm replied to their
	// review (TopicReplyReceived). Data: product_id, product_name, farm_name,
	// review_id.
	MailReplyReceived MailKind = "reply_received"
	// MailReviewDecided tells an author a moderator's decision on their
	// review (TopicReviewDecided). Data: product_id, product_name, action,
	// note, review_id.
	MailReviewDecided MailKind = "review_decided"
	// MailFoodSafetyReport tells the producer of a product and every admin,
	// at once, that a review of it was reported as a risk to health
	// (FoodSafetyReportMailed, FoodSafetyMailedTo). A safety mail, not a
	// notification: no switch turns it off. Data: product_id, product_name,
	// farm_name, review_id, note (the reporter's), staff ("true" for an
	// admin's copy, which links to the moderation page).
	MailFoodSafetyReport MailKind = "food_safety_report"
	// MailFarmApplicationDecided tells an applicant an admin's decision on
	// their request to list a farm, approved or rejected. It answers the
	// applicant's own request, so it is not a switchable notification.
	// Data: display_name, farm_name, action (approve or reject), note,
	// farm_id (on approval).
	MailFarmApplicationDecided MailKind = "farm_application_decided"
)

// MailKinds lists every kind; each has both templates.
var MailKinds = []MailKind{MailVerifyEmail, MailEmailChange, MailPasswordReset,
	MailReviewReceived, MailReplyReceived, MailReviewDecided, MailFoodSafetyReport, MailFarmApplicationDecided}

// Topic is a notification a user may switch off, on the account page or
// through the List-Unsubscribe link of one of its mails.
type Topic string

// The notifications (SPEC section 8): a producer learns of new reviews of
// their products; an author, of the farm's reply and of a moderator's
// decision on their review.
const (
	TopicReviewReceived Topic = "review_received"
	TopicReplyReceived  Topic = "reply_received"
	TopicReviewDecided  Topic = "review_decided"
)

// Topics lists every notification, in the order the account page shows them.
var Topics = []Topic{TopicReviewReceived, TopicReplyReceived, TopicReviewDecided}

// Valid reports whether t is one of Topics.
func (t Topic) Valid() bool {
	for _, v := range Topics {
		if t == v {
			return true
		}
	}
	return false
}

// Label is how the account page names t.
func (t Topic) Label() string {
	switch t {
	case TopicReviewReceived:
		return fmt.Sprintf("New reviews of my farm's products (one mail every %d minutes at most)", int(ReviewMailInterval.Minutes()))
	case TopicReplyReceived:
		return "A farm replied to my review"
	case TopicReviewDecided:
		return "A moderator decided on my review"
	}
	return string(t)
}

// MailTopic returns the notification a mail of kind belongs to, and false
// for mails that are not notifications (verification, reset, e-mail
// change, food-safety reports, the answer to a farm application), which
// are always sent and carry no List-Unsubscribe.
func MailTopic(kind MailKind) (Topic, bool) {
	switch kind {
	case MailReviewReceived:
		return TopicReviewReceived, true
	case MailReplyReceived:
		return TopicReplyReceived, true
	case MailReviewDecided:
		return TopicReviewDecided, true
	}
	return "", false
}

// MailStatus is where a mail is in the outbox.
type MailStatus string

// Mail statuses: waiting to be sent (or retried), sent, or given up after
// MailMaxAttempts failures.
const (
	MailPending       MailStatus = "pending"
	MailSent          MailStatus = "sent"
	MailUndeliverable MailStatus = "undeliverable"
)

// Mail is one message in the outbox.
type Mail struct {
	ID   string
	Kind MailKind
	// To is the recipient's address.
	To string
	// UserID is the recipient's account, "" for none.
	UserID string
	// Data fills the templates; it is emptied once the mail is sent or
	// given up, so tokens do not outlive their mail.
	Data          map[string]string
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

// Outbox retry rules: a mail that fails is retried after MailRetryDelay,
// and given up (undeliverable) after MailMaxAttempts attempts.
const (
	MailMaxAttempts   = 8
	MailRetryBase     = 30 * time.Second
	MailRetryMaxDelay = 6 * time.Hour
)

// MailRetryDelay is how long to wait after the attempts-th failed attempt
// (from 1) before the next: base, doubled after each further failure, at
// most MailRetryMaxDelay. With MailRetryBase the eight attempts span about
// an hour.
func MailRetryDelay(attempts int, base time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= MailRetryMaxDelay {
			return MailRetryMaxDelay
		}
	}
	return min(d, MailRetryMaxDelay)
}

// MailGivesUp reports whether a mail that has failed attempts times is
// given up as undeliverable, with at most maxAttempts attempts.
func MailGivesUp(attempts, maxAttempts int) bool { return attempts >= maxAttempts }

// Lifetimes of the tokens mailed in links (SPEC section 7).
const (
	VerifyTokenTTL = 24 * time.Hour
	ResetTokenTTL  = time.Hour
)

// NewToken returns a new secret token for a link (256 random bits,
// URL-safe) and the hash the database keeps of it.
func NewToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, TokenHash(token)
}

// TokenHash is what the database stores of a token: its SHA-256. A fast
// hash is right here, as the token has 256 random bits.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// MaxTokenLength bounds the tokens worth looking up: ours are 43
// characters.
const MaxTokenLength = 128

// ErrBadToken is the one answer to a link token that is unknown, used or
// expired, so the answer does not tell which.
var ErrBadToken = &Error{Code: CodeValidationFailed, Message: "This link is not valid or has expired. Ask for a new one.",
	Fields: map[string]string{"token": "This link is not valid or has expired."}}

// AccountUpdate is a change to one's own account. Nil fields are not
// changed; CurrentPassword is required for a new e-mail.
type AccountUpdate struct {
	DisplayName     *string
	Email           *string
	CurrentPassword string
}

// NotificationSetting is one notification switch of a user.
type NotificationSetting struct {
	Topic   Topic
	Enabled bool
}

// AccountExport is every personal datum FPR holds about a user.
type AccountExport struct {
	User          *User
	Notifications []NotificationSetting
	Reviews       []*Review
	// Replies are the replies the user wrote (as a producer).
	Replies []ExportedReply
	// HelpfulVotes are the reviews the user marked helpful.
	HelpfulVotes []ExportedVote
	Flags        []*Flag
	Sessions     []ExportedSession
	Farms        []*Farm
	// FarmApplications are the user's requests to list a farm, with the
	// contact they gave.
	FarmApplications []*FarmApplication
}

// ExportedReply is a reply the user wrote.
type ExportedReply struct {
	ReviewID  string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ExportedVote is a helpful vote the user gave.
type ExportedVote struct {
	ReviewID  string
	CreatedAt time.Time
}

// ExportedSession is one of the user's sessions, without its secret.
type ExportedSession struct {
	Kind      SessionKind
	CreatedAt time.Time
	ExpiresAt time.Time
}

// FormerMemberName is the author name of reviews whose author deleted
// their account.
const FormerMemberName = "Former member"

// AccountService is what a person does with their own account beyond
// logging in: verifying their e-mail, resetting a forgotten password,
// changing their name or e-mail, deleting the account, reading their data,
// and switching notifications. Mails go through the outbox in the
// transaction of the change.
type AccountService interface {
	// VerifyEmail consumes a verification token: the address it was
	// mailed to becomes the account's verified e-mail (for an e-mail change,
	// the new address replaces the old), and reviews held until
	// verification publish (HeldUntilVerified). ErrBadToken for an
	// unknown, used or expired token; conflict when a changed address was
	// taken meanwhile.
	VerifyEmail(ctx context.Context, token string) error

	// ResendVerification mails the acting user a new verification link.
	// unauthenticated; validation_failed when the e-mail is already
	// verified.
	ResendVerification(ctx context.Context) error

	// RequestPasswordReset mails a reset link to the account of email, if
	// there is one. It answers the same, doing the same work, whether or
	// not there is: validation_failed only for an address that is not an
	// e-mail address.
	RequestPasswordReset(ctx context.Context, email string) error

	// ResetPassword consumes a reset token and sets password (the rules of
	// registration), revoking every session and token of the user.
	// ErrBadToken; validation_failed (password) for a weak password.
	ResetPassword(ctx context.Context, token, password string) error

	// UpdateAccount changes the acting user's display name and asks for an
	// e-mail change: the new address gets a verification link and takes
	// effect when it is followed; the old address is told. A new e-mail
	// needs the current password (validation_failed on current_password
	// when wrong or missing); conflict when the address is taken.
	UpdateAccount(ctx context.Context, upd AccountUpdate) (*User, error)

	// DeleteAccount erases the acting user's personal data after checking
	// their password (validation_failed on current_password): the account
	// can no longer log in, its sessions end, its reviews stay under
	// FormerMemberName and the rating summaries do not change.
	DeleteAccount(ctx context.Context, currentPassword string) error

	// ExportAccount returns every personal datum about the acting user.
	ExportAccount(ctx context.Context) (*AccountExport, error)

	// NotificationSettings lists the acting user's switches, every Topic.
	NotificationSettings(ctx context.Context) ([]NotificationSetting, error)

	// SetNotifications sets the acting user's switches; topics not given
	// are unchanged. validation_failed for an unknown topic.
	SetNotifications(ctx context.Context, settings []NotificationSetting) error

	// Unsubscribe switches off the notification of a List-Unsubscribe
	// token, without a session. It returns the topic; ErrBadToken for an
	// unknown token.
	Unsubscribe(ctx context.Context, token string) (Topic, error)
}

// MailFilter selects outbox mail for the operations page.
type MailFilter struct {
	Status *MailStatus
	Page
}

// MailService shows the outbox to operators.
type MailService interface {
	// FindMail lists mail, newest first, optionally by status. Admins only
	// (forbidden otherwise).
	FindMail(ctx context.Context, f MailFilter) ([]*Mail, string, error)

	// CountMail counts the outbox by status: every status, or only those
	// named (the others count 0).
	CountMail(ctx context.Context, only ...MailStatus) (map[MailStatus]int, error)
}

// ReviewMailInterval is the least time between two new-review mails to one
// producer. The first review after a quiet spell is mailed at once; the
// reviews that follow within the interval wait and go out together in one
// mail at its end. A farm that gets hundreds of reviews in an afternoon
// (a market day, a mention in the press) then gets a mail every few
// minutes instead of hundreds, and the outbox and its worker do one mail's
// work for them.
const ReviewMailInterval = 10 * time.Minute

// ReviewMailDue returns when a producer's next new-review mail is due,
// written at now when their previous one was written at last (zero: none
// yet): at once when that was ReviewMailInterval ago or more, else when the
// interval since it ends.
func ReviewMailDue(last, now time.Time) time.Time {
	if due := last.Add(ReviewMailInterval); !last.IsZero() && due.After(now) {
		return due
	}
	return now
}
