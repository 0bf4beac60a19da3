package fpr

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FarmApplicationStatus is where a request to list a farm stands.
type FarmApplicationStatus string

// Application statuses.
const (
	FarmApplicationPending  FarmApplicationStatus = "pending"
	FarmApplicationApproved FarmApplicationStatus = "approved"
	FarmApplicationRejected FarmApplicationStatus = "rejected"
)

// Valid reports whether s is one of the application statuses.
func (s FarmApplicationStatus) Valid() bool {
	switch s {
	case FarmApplicationPending, FarmApplicationApproved, FarmApplicationRejected:
		return true
	}
	return false
}

// FarmApplication is a member's request to list a farm on FPR. An admin
// approves it (the farm is created, owned by the applicant, who becomes a
// producer) or rejects it, with a note the applicant is told.
type FarmApplication struct {
	ID          string
	Applicant   Author
	FarmName    string
	Region      string
	Description string
	// Contact is how the admins reach the applicant to check the farm
	// (a phone number, an address); it is shown to admins only.
	Contact   string
	Status    FarmApplicationStatus
	Note      string // the admin's note on the decision
	FarmID    string // the farm created on approval
	DecidedAt *time.Time
	CreatedAt time.Time
	// Mailed is set by DecideFarmApplication when the decision was written
	// to the applicant's outbox: not when they had deleted their account.
	Mailed bool
}

// Limits on application fields; farm name, region and description share
// the farm's.
const (
	MaxContactLength         = 300
	MaxApplicationNoteLength = 1000
)

// Validate checks an application's fields.
func (a *FarmApplication) Validate() error {
	fe := FieldErrors{}
	a.FarmName = strings.TrimSpace(a.FarmName)
	a.Region = strings.TrimSpace(a.Region)
	a.Description = strings.TrimSpace(a.Description)
	a.Contact = strings.TrimSpace(a.Contact)
	checkText(fe, "farm_name", a.FarmName, 1, MaxFarmNameLength)
	checkText(fe, "region", a.Region, 1, MaxRegionLength)
	checkText(fe, "description", a.Description, 1, MaxFarmDescriptionLength)
	checkText(fe, "contact", a.Contact, 1, MaxContactLength)
	return fe.Err()
}

// FarmApplicationAction is an admin's decision on an application.
type FarmApplicationAction string

// Decisions.
const (
	FarmApplicationApprove FarmApplicationAction = "approve"
	FarmApplicationReject  FarmApplicationAction = "reject"
)

// Status returns the status an application has after the decision.
func (a FarmApplicationAction) Status() FarmApplicationStatus {
	if a == FarmApplicationApprove {
		return FarmApplicationApproved
	}
	return FarmApplicationRejected
}

// ValidateFarmDecision checks an admin's decision: approve or reject, and
// a note of at most MaxApplicationNoteLength characters, required when
// rejecting (the applicant deserves a reason).
func ValidateFarmDecision(action FarmApplicationAction, note string) error {
	fe := FieldErrors{}
	if action != FarmApplicationApprove && action != FarmApplicationReject {
		fe.Add("action", "Use approve or reject.")
	}
	note = strings.TrimSpace(note)
	checkText(fe, "note", note, 0, MaxApplicationNoteLength)
	if action == FarmApplicationReject && note == "" {
		fe.Add("note", "Say why the application is rejected.")
	}
	return fe.Err()
}

// FarmApplicationFilter selects applications: one status, or every one
// when Status is empty.
type FarmApplicationFilter struct {
	Status FarmApplicationStatus
	Page
}

// Validate applies the default limit and checks the status.
func (f *FarmApplicationFilter) Validate() error {
	if err := f.Normalize(); err != nil {
		return err
	}
	if f.Status != "" && !f.Status.Valid() {
		return &Error{Code: CodeValidationFailed, Message: "That status does not exist.",
			Fields: map[string]string{"status": "Use pending, approved or rejected."}}
	}
	return nil
}

// ParseFarmApplicationQuery reads ?status=, ?limit= and ?cursor=.
func ParseFarmApplicationQuery(q url.Values) (FarmApplicationFilter, error) {
	page, err := ParsePage(q)
	if err != nil {
		return FarmApplicationFilter{}, err
	}
	f := FarmApplicationFilter{Status: FarmApplicationStatus(q.Get("status")), Page: page}
	return f, f.Validate()
}

// FarmReview is a review in a producer's inbox: the review and the
// product it is about.
type FarmReview struct {
	Review      *Review
	ProductName string
	FarmID      string
	FarmName    string
}

// FarmReviewFilter selects a producer's inbox: every published review of
// their products, or only those without a reply.
type FarmReviewFilter struct {
	Unanswered bool
	Page
}

// ParseFarmReviewQuery reads ?unanswered= (true, false, 1, 0 or empty),
// ?limit= and ?cursor=.
func ParseFarmReviewQuery(q url.Values) (FarmReviewFilter, error) {
	page, err := ParsePage(q)
	if err != nil {
		return FarmReviewFilter{}, err
	}
	f := FarmReviewFilter{Page: page}
	if s := q.Get("unanswered"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false" && s != "1" && s != "0") {
			return f, &Error{Code: CodeValidationFailed, Message: "unanswered must be true or false.",
				Fields: map[string]string{"unanswered": "Use true or false."}}
		}
		f.Unanswered = b
	}
	return f, nil
}
