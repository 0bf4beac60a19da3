package fpr

import (
	"context"
	"strings"
	"time"
)

// ReviewStatus is where a review stands in moderation.
type ReviewStatus string

// Review statuses. Only published reviews are public and counted.
const (
	StatusPublished ReviewStatus = "published"
	StatusPending   ReviewStatus = "pending"
	StatusRejected  ReviewStatus = "rejected"
	StatusRemoved   ReviewStatus = "removed"
)

// Author is the public face of a user on a review or reply.
type Author struct {
	ID          string
	DisplayName string
}

// Review is one user's opinion of one product.
type Review struct {
	ID           string
	ProductID    string
	Author       Author
	Rating       int
	Title        string
	Body         string
	Status       ReviewStatus
	HelpfulCount int
	Probe        bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Reply        *Reply // nil when the farm has not replied

	// Harvest is when the product was bought or harvested, "YYYY-MM", or
	// "" when not given (ValidateHarvest).
	Harvest string
	// VerifiedPurchase is true when the review redeemed a purchase code.
	VerifiedPurchase bool
	// Aspects are the review's 1–5 scores of its category's aspects.
	Aspects map[Aspect]int
	// Revisions counts the earlier versions an edit left (history).
	Revisions int
	// Photos are the review's photos, oldest first.
	Photos []*Photo
	// PurchaseCode is the code a new review redeems (input only, never
	// stored in clear): "" for none.
	PurchaseCode string

	// ViewerHelpful is true when the acting user voted this review helpful.
	// Lists fill it for signed-in viewers; it is not part of the API.
	ViewerHelpful bool
}

// Reply is the farm's answer to a review.
type Reply struct {
	Body      string
	Author    Author
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Limits on review fields.
const (
	MaxReviewTitleLength = 120
	MaxReviewBodyLength  = 5000
	MaxReplyBodyLength   = 5000
)

// Validate checks a review's rating, title and body.
func (r *Review) Validate() error {
	fe := FieldErrors{}
	r.Title = strings.TrimSpace(r.Title)
	r.Body = strings.TrimSpace(NormalizeNewlines(r.Body))
	if msg := ValidateRating(r.Rating); msg != "" {
		fe.Add("rating", msg)
	}
	fe.Text("title", r.Title, SingleLine, 0, MaxReviewTitleLength)
	if r.Body == "" {
		fe.Add("body", "Write a few words about the product.")
	}
	fe.Text("body", r.Body, MultiLine, 1, MaxReviewBodyLength)
	return fe.Err()
}

// ValidateRating returns a user-facing message when stars is not 1–5.
func ValidateRating(stars int) string {
	if stars < 1 || stars > 5 {
		return "Choose a rating from 1 to 5 stars."
	}
	return ""
}

// ValidateReplyBody checks the body of a farm's reply.
func ValidateReplyBody(body string) error {
	fe := FieldErrors{}
	fe.Text("body", strings.TrimSpace(NormalizeNewlines(body)), MultiLine, 1, MaxReplyBodyLength)
	return fe.Err()
}

// ReviewUpdate holds the fields of a PATCH; nil means "not given".
type ReviewUpdate struct {
	Rating  *int
	Title   *string
	Body    *string
	Harvest *string         // "" clears it
	Aspects *map[Aspect]int // replaces every aspect score
}

// Revision is an earlier version of a review, as an edit replaced it.
type Revision struct {
	Rating     int
	Title      string
	Body       string
	Harvest    string
	WrittenAt  time.Time // when this version was written
	ReplacedAt time.Time // when an edit replaced it
}

// ReviewSort orders review lists.
type ReviewSort string

// Review sorts.
const (
	ReviewSortNewest  ReviewSort = "newest"
	ReviewSortHelpful ReviewSort = "helpful"
	ReviewSortHighest ReviewSort = "highest"
	ReviewSortLowest  ReviewSort = "lowest"
)

// ReviewFilter selects reviews. Public lists show published reviews only;
// AuthorID with the author acting lists all of their own.
type ReviewFilter struct {
	ProductID   *string
	AuthorID    *string
	Rating      *int
	HarvestYear *int // reviews harvested in that year
	Verified    bool // verified purchases only
	Sort        ReviewSort
	Page
}

// FlagReason says why a review was flagged.
type FlagReason string

// Flag reasons.
const (
	FlagSpam      FlagReason = "spam"
	FlagOffensive FlagReason = "offensive"
	FlagOffTopic  FlagReason = "off_topic"
	FlagFake      FlagReason = "fake"
	FlagOther     FlagReason = "other"
	// FlagFoodSafety reports a risk to health: it needs a note, leaves the
	// review published, tops the moderation queue and alerts at once.
	FlagFoodSafety FlagReason = "food_safety"
)

// FlagReasons lists the reasons in display order.
var FlagReasons = []FlagReason{FlagFoodSafety, FlagSpam, FlagOffensive, FlagOffTopic, FlagFake, FlagOther}

// Valid reports whether fr is one of FlagReasons.
func (fr FlagReason) Valid() bool {
	for _, v := range FlagReasons {
		if fr == v {
			return true
		}
	}
	return false
}

// MaxFlagNoteLength limits a flag's note.
const MaxFlagNoteLength = 1000

// Flag is one user's report of a review.
type Flag struct {
	ID        string
	ReviewID  string
	UserID    string
	Reason    FlagReason
	Note      string
	CreatedAt time.Time
	// Counts reports whether the flag counts toward unpublishing the
	// review (FlagCounts when it was made); set by the store.
	Counts bool
}

// Validate checks a flag's reason and note.
func (f *Flag) Validate() error {
	fe := FieldErrors{}
	f.Note = strings.TrimSpace(NormalizeNewlines(f.Note))
	if !f.Reason.Valid() {
		fe.Add("reason", "Choose one of: food_safety, spam, offensive, off_topic, fake, other.")
	}
	fe.Text("note", f.Note, MultiLine, 0, MaxFlagNoteLength)
	if f.Reason == FlagFoodSafety && f.Note == "" {
		fe.Add("note", "Say what is unsafe: a moderator and the farm will read it at once.")
	}
	return fe.Err()
}

// ReviewService manages reviews, votes, flags and replies.
type ReviewService interface {
	// FindReviewByID returns a review the acting user may see, else not_found.
	FindReviewByID(ctx context.Context, id string) (*Review, error)

	// FindReviews lists reviews. Published only, except an author listing
	// their own reviews (AuthorID = acting user) sees every status.
	FindReviews(ctx context.Context, f ReviewFilter) ([]*Review, string, error)

	// CreateReview publishes (post-moderation) or queues (pre-moderation) a
	// review by the acting user and updates the product's rating summary in
	// the same transaction. unauthenticated, not_found (product),
	// validation_failed, forbidden (the owner of the product's farm may not
	// review it), conflict (this user already reviewed the product).
	CreateReview(ctx context.Context, r *Review) error

	// UpdateReview changes the author's review; the rating summary follows.
	// forbidden for anyone but the author.
	UpdateReview(ctx context.Context, id string, upd ReviewUpdate) (*Review, error)

	// FindReviewHistory lists the earlier versions of a review the acting
	// user may see, oldest first; empty when it was never edited.
	// not_found.
	FindReviewHistory(ctx context.Context, id string) ([]*Revision, error)

	// FindHarvestRatings returns a product's rating by harvest year, over
	// its counted reviews that name a harvest month, newest year first.
	// not_found.
	FindHarvestRatings(ctx context.Context, productID string) ([]YearRating, error)

	// DeleteReview deletes a review; its author, moderators or admins.
	DeleteReview(ctx context.Context, id string) error

	// SetHelpful adds (helpful=true) or withdraws the acting user's helpful
	// vote. Idempotent. forbidden on one's own review.
	SetHelpful(ctx context.Context, reviewID string, helpful bool) error

	// FlagReview records the acting user's flag. conflict when this user
	// already flagged the review. Under post-moderation the third distinct
	// flag sends a published review back to pending.
	FlagReview(ctx context.Context, f *Flag) error

	// SetReply creates or edits the farm's reply to a review. Only the
	// producer owning the product's farm (or an admin).
	SetReply(ctx context.Context, reviewID, body string) (*Review, error)
}

// ModerationMode is when reviews are checked.
type ModerationMode string

// Moderation modes (FPR_MODERATION).
const (
	ModerationPost ModerationMode = "post"
	ModerationPre  ModerationMode = "pre"
)

// ModerationAction is a moderator's decision.
type ModerationAction string

// Moderation actions.
const (
	ActionPublish ModerationAction = "publish"
	ActionReject  ModerationAction = "reject"
	ActionRemove  ModerationAction = "remove"
)

// Valid reports whether a is a known action.
func (a ModerationAction) Valid() bool {
	return a == ActionPublish || a == ActionReject || a == ActionRemove
}

// Status returns the review status the action leads to.
func (a ModerationAction) Status() ReviewStatus {
	switch a {
	case ActionPublish:
		return StatusPublished
	case ActionReject:
		return StatusRejected
	default:
		return StatusRemoved
	}
}

// MaxModerationNoteLength limits the note of a moderation decision.
const MaxModerationNoteLength = 1000

// ValidateModeration checks a moderator's decision: a known action, a
// note of at most MaxModerationNoteLength characters (after trimming), and
// a reason ("" or a flag reason) only when rejecting or removing.
func ValidateModeration(action ModerationAction, note string, reason FlagReason) error {
	fe := FieldErrors{}
	if !action.Valid() {
		fe.Add("action", "Choose publish, reject or remove.")
	}
	fe.Text("note", strings.TrimSpace(NormalizeNewlines(note)), MultiLine, 0, MaxModerationNoteLength)
	if reason != "" && (!reason.Valid() || action == ActionPublish) {
		fe.Add("reason", "Give a flag reason only when rejecting or removing.")
	}
	return fe.Err()
}

// ValidateFoodSafetyDecision checks a decision on a review with an open
// food-safety report: only a decision with a note closes it, so the record
// says what was checked.
func ValidateFoodSafetyDecision(note string) error {
	if strings.TrimSpace(note) == "" {
		return &Error{Code: CodeValidationFailed, Message: "A food-safety report is closed only with a note.",
			Fields: map[string]string{"note": "Say what you checked and decided."}}
	}
	return nil
}

// FlagUnpublishes reports whether a flag for reason counts towards
// FlagsToUnpublish: every reason but food safety, whose report leaves the
// review published (people may need to read it) while a moderator looks.
func FlagUnpublishes(reason FlagReason) bool { return reason != FlagFoodSafety }

// FoodSafetyReportMailed reports whether a new food-safety report on a
// review mails the producer and the admins, given the number of earlier
// reports on it still open: only the first while any is open. The
// moderation queue shows every report's note; once a moderator closes them
// (ValidateFoodSafetyDecision), the next report mails again. So a flood of
// reports mails each admin at most once per review and decision, and the
// flag rate limit (LimitFlag) bounds the reviews one account can report.
func FoodSafetyReportMailed(openEarlier int) bool { return openEarlier == 0 }

// FoodSafetyMailedTo reports whether u gets the mail of a food-safety
// report on a product of farm: the farm's owner and every admin, never a
// probe account, never the reporter (who knows).
func FoodSafetyMailedTo(u *User, farm *Farm, reporterID string) bool {
	if u == nil || u.Probe || u.ID == reporterID {
		return false
	}
	return u.ID == farm.OwnerID || u.Role == RoleAdmin
}

// ModerationCounts is a product's moderation record: its reviews' reject
// and remove decisions, counted by reason (a decision without one counts
// as FlagOther).
type ModerationCounts struct {
	Removed  map[FlagReason]int
	Rejected map[FlagReason]int
}

// ModerationItem is one entry of the moderation queue.
type ModerationItem struct {
	Review      *Review
	ProductName string
	FlagCount   int
	Flags       map[FlagReason]int
	// FoodSafety is true while a food-safety report is open: such items
	// come first in the queue.
	FoodSafety bool
	// OpenFlags are the unresolved flags themselves, oldest first, with
	// their reasons and notes: at most MaxFlagsShown of them.
	OpenFlags []*Flag
}

// MaxFlagsShown bounds the flags a queue entry lists one by one;
// FlagCount and Flags still count them all.
const MaxFlagsShown = 20

// ModerationEntry is one line of the moderation audit log.
type ModerationEntry struct {
	ID        string
	ReviewID  string
	Moderator Author
	Action    ModerationAction
	Note      string
	Reason    FlagReason // "" when the moderator gave none
	CreatedAt time.Time
}

// ModerationFilter selects queue entries: Status "pending", "flagged" or ""
// for both.
type ModerationFilter struct {
	Status string
	Page
}

// Validate applies the default limit and checks the queue's status and
// limit: validation_failed naming the first bad one.
func (f *ModerationFilter) Validate() error {
	if err := f.Normalize(); err != nil {
		return err
	}
	switch f.Status {
	case "", "pending", "flagged":
		return nil
	}
	return &Error{Code: CodeValidationFailed, Message: "That queue does not exist.",
		Fields: map[string]string{"status": "Use pending or flagged, or leave it out for both."}}
}

// ModerationService is the moderators' queue and decisions.
type ModerationService interface {
	// FindModerationQueue lists pending and flagged reviews: those with an
	// open food-safety report first, then oldest first. Moderators and
	// admins only.
	FindModerationQueue(ctx context.Context, f ModerationFilter) ([]*ModerationItem, string, error)

	// ModerateReview applies a decision, records it in the audit log (who,
	// when, action, note) and updates the rating summary in the same
	// transaction. reason ("" for none) says why a review is rejected or
	// removed. A review with an open food-safety report needs a note.
	// Moderators and admins only.
	ModerateReview(ctx context.Context, id string, action ModerationAction, note string, reason FlagReason) (*Review, error)

	// FindModerationCounts counts a product's reject and remove decisions
	// by reason, for anyone to read. not_found.
	FindModerationCounts(ctx context.Context, productID string) (*ModerationCounts, error)

	// FindModerationLog returns a review's audit log, oldest first.
	FindModerationLog(ctx context.Context, reviewID string) ([]*ModerationEntry, error)
}
