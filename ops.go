package fpr

import (
	"context"
	"strings"
	"time"
)

// ProbeEmailDomain is the reserved domain of the accounts `fpr probe`
// registers. An account there is a probe: its reviews stay out of public
// lists and rating summaries. Anyone may register such an address, which
// only hides their own content; the .invalid top-level domain can receive
// no mail.
const ProbeEmailDomain = "probe.fpr.invalid"

// IsProbeEmail reports whether email is at ProbeEmailDomain.
func IsProbeEmail(email string) bool {
	return strings.HasSuffix(NormalizeEmail(email), "@"+ProbeEmailDomain)
}

// ErrorStatus is the triage state of an error group.
type ErrorStatus string

// Error group states: open until an admin resolves it; a resolved group seen
// again goes back to open and is marked regressed.
const (
	ErrorOpen     ErrorStatus = "open"
	ErrorResolved ErrorStatus = "resolved"
)

// Valid reports whether s is a known state.
func (s ErrorStatus) Valid() bool { return s == ErrorOpen || s == ErrorResolved }

// ErrorGroup is every occurrence of one failure: the internal errors and
// panics that share a fingerprint (error type, the top frames of FPR's own
// code without line numbers, and the route).
type ErrorGroup struct {
	Fingerprint string
	// Type is the Go type of the innermost error, or "panic".
	Type    string
	Message string // of the latest event
	Route   string
	Stack   string // of the latest event
	Count   int64

	FirstSeen    time.Time
	LastSeen     time.Time
	FirstRelease string
	LastRelease  string

	Status     ErrorStatus
	ResolvedAt time.Time // zero unless resolved
	// Regressed is set when the group was seen again after being resolved,
	// and stays set until it is resolved again.
	Regressed bool
}

// ErrorEvent is one internal error or panic of one request.
type ErrorEvent struct {
	ID          string
	Fingerprint string
	RequestID   string
	Route       string
	Type        string
	Message     string
	Stack       string
	Release     string
	Instance    string
	Time        time.Time
}

// ErrorGroupChange tells the caller of RecordErrorEvents which groups the
// batch created or reopened, so it can alert once per change.
type ErrorGroupChange struct {
	Group *ErrorGroup
	// Event is the batch's first event of the group: its request ID is the
	// alert's sample.
	Event     *ErrorEvent
	New       bool
	Regressed bool
}

// ErrorGroupFilter selects error groups. Nil fields are not filtered on.
type ErrorGroupFilter struct {
	Status *ErrorStatus
	Route  *string
	Page
}

// ErrorEventFilter selects error events, newest first. Nil fields are not
// filtered on.
type ErrorEventFilter struct {
	Fingerprint *string
	Route       *string
	Page
}

// Release is one start of one instance of a release.
type Release struct {
	Release   string
	Commit    string
	Instance  string // host name, process ID and a random suffix
	StartedAt time.Time
	// Schema is the newest migration the database had applied when the
	// instance started; OwnSchema the newest one its binary embeds. Schema
	// above OwnSchema is a revert: an earlier release on a later schema.
	// RecordRelease sets both.
	Schema    int
	OwnSchema int
}

// ReleaseSummary is a release as the operations page shows it: when its
// first instance started, and the errors since.
type ReleaseSummary struct {
	Release   string
	Commit    string
	StartedAt time.Time // first start of any instance
	Starts    int       // how many times an instance started it
	// NewGroups counts error groups first seen in this release.
	NewGroups int
	// GroupsSince counts error groups seen at or after StartedAt.
	GroupsSince int
	// Schema and OwnSchema are the highest of its starts' (see Release);
	// 0 for starts recorded before releases kept them.
	Schema    int
	OwnSchema int
}

// Reverted reports whether the release ran on a schema newer than its own:
// it was started again after a later release had migrated the database.
func (r *ReleaseSummary) Reverted() bool { return r.Schema > r.OwnSchema && r.OwnSchema > 0 }

// ServedRequest is what the HTTP server tells the monitor about each
// request it has answered.
type ServedRequest struct {
	Route    string // the matched route pattern, or "unmatched": never the raw path
	Status   int
	Duration time.Duration
	// Probe marks a request of `fpr probe` (a registration at
	// ProbeEmailDomain, or any request of a probe account): it counts in
	// request and error figures, where a failing probe is a real failure,
	// but not in the business counters (registrations, reviews submitted),
	// which a probe every minute would otherwise inflate by 1,440 a day.
	Probe bool
}

// RouteCount is how many requests a route served, and how many of them
// failed with a 5xx, in one time bucket: the shared counters behind the 5xx
// ratio alert.
type RouteCount struct {
	Route    string
	Bucket   time.Time // start of the bucket
	Requests int64
	Errors   int64
}

// AlertKind says what an alert is about.
type AlertKind string

// Alert kinds.
const (
	AlertNewError      AlertKind = "new_error"      // a fingerprint never seen before
	AlertRegression    AlertKind = "regression"     // a resolved group seen again
	AlertErrorResolved AlertKind = "error_resolved" // an admin resolved a group
	AlertRatio         AlertKind = "ratio"          // a route's 5xx ratio passed the threshold
	AlertRatioResolved AlertKind = "ratio_resolved" // and fell back
	AlertProbe         AlertKind = "probe"          // fpr probe failed
	AlertProbeResolved AlertKind = "probe_resolved" // and passed again
	AlertFoodSafety    AlertKind = "food_safety"    // a review was reported as a risk to health
)

// FoodSafetyAlertKey is the key of the alert of food-safety report
// flagID: one alert per report, whoever raises it first (the instance
// that took the report, or any instance's sweep after a crash).
func FoodSafetyAlertKey(flagID string) string { return "food_safety:" + flagID }

// Alert is one message to the alert webhook. Key makes it unique across
// instances: whoever records a key first sends it; the others do not.
type Alert struct {
	ID          string
	Key         string
	Kind        AlertKind
	Route       string
	Fingerprint string
	Release     string
	RequestID   string
	Message     string
	// Seq numbers the 5xx ratio incidents of a route (AlertRatio and its
	// AlertRatioResolved share one); 0 for other kinds.
	Seq      int
	Instance string
	Created  time.Time
	// SentAt is when the webhook accepted it; zero while unsent or failed.
	SentAt    time.Time
	SendError string
}

// AlertLease is how long an instance's claim on an alert lasts before
// another may send it (ReclaimAlerts): longer than a send's retries (2
// minutes) and recording the answer, so a live sender is never doubled.
const AlertLease = 3 * time.Minute

// OpsService stores what operators need to notice and diagnose a bad
// release: release starts, error groups and events, shared per-route request
// counters and the alerts sent. It is shared by every instance on one
// database, which is how several instances send one alert, not one each.
//
// Methods marked "admins only" return unauthenticated without an acting
// user and forbidden for anyone but an admin. The others are for the
// process itself (the recorder and alert evaluator in internal/ops) and are
// not exposed to users.
type OpsService interface {
	// RecordRelease records one start of an instance. It sets r.StartedAt
	// when zero.
	RecordRelease(ctx context.Context, r *Release) error

	// FindReleases lists releases, the most recently first started first,
	// with error counts since each. Admins only.
	FindReleases(ctx context.Context, p Page) ([]*ReleaseSummary, string, error)

	// RecordErrorEvents stores events (their Fingerprint, Route, Type,
	// Message, Stack, RequestID, Release, Instance and Time must be set; ID
	// is assigned) in one transaction: it creates or updates each event's
	// group (count, last seen, last release, latest message and stack),
	// reopens a resolved group as regressed, and keeps only the keep newest
	// events of each group. It returns the groups this call created or
	// reopened; with several instances, exactly one caller sees each change.
	RecordErrorEvents(ctx context.Context, events []*ErrorEvent, keep int) ([]ErrorGroupChange, error)

	// FindErrorGroups lists groups, most recently seen first. Admins only.
	FindErrorGroups(ctx context.Context, f ErrorGroupFilter) ([]*ErrorGroup, string, error)

	// FindErrorGroup returns one group with up to events of its newest
	// events (their request IDs are the samples), or not_found. Admins only.
	FindErrorGroup(ctx context.Context, fingerprint string, events int) (*ErrorGroup, []*ErrorEvent, error)

	// FindErrorByRequestID returns the error event of a request and its
	// group, or not_found: the way from the request ID a user quotes to the
	// stack and the release. Admins only.
	FindErrorByRequestID(ctx context.Context, requestID string) (*ErrorEvent, *ErrorGroup, error)

	// FindErrorEvents lists events, newest first. Admins only.
	FindErrorEvents(ctx context.Context, f ErrorEventFilter) ([]*ErrorEvent, string, error)

	// ResolveErrorGroup marks a group resolved (now) and clears regressed.
	// Resolving a resolved group changes nothing. not_found. Admins only.
	ResolveErrorGroup(ctx context.Context, fingerprint string) (*ErrorGroup, error)

	// AddRouteCounts adds each count to its (route, bucket) counter,
	// creating it when missing; instances call it every few seconds with
	// what they served since.
	AddRouteCounts(ctx context.Context, counts []RouteCount) error

	// FindRouteCounts returns the per-route totals of the buckets starting
	// at or after since (Bucket is left zero), and deletes counters older
	// than purgeBefore.
	FindRouteCounts(ctx context.Context, since, purgeBefore time.Time) ([]RouteCount, error)

	// ClaimAlert records a (its ID and Created are set) unless an alert
	// with its Key exists. It reports whether this call recorded it: only
	// then may the caller send it.
	ClaimAlert(ctx context.Context, a *Alert) (bool, error)

	// MarkAlertSent records the outcome of sending alert id: sendErr nil
	// sets SentAt, else SendError; either ends the claim's lease.
	MarkAlertSent(ctx context.Context, id string, sendErr error) error

	// ReclaimAlerts claims again, for instance and for another
	// AlertLease, up to limit alerts whose lease ran out with no outcome
	// recorded: their instance stopped between ClaimAlert and
	// MarkAlertSent. Only one caller gets each; it sends them.
	ReclaimAlerts(ctx context.Context, instance string, limit int) ([]*Alert, error)

	// LatestRatioAlerts returns, by route, the newest ratio or
	// ratio_resolved alert (highest Seq; ratio_resolved wins a tie). A
	// route whose entry is a ratio alert has an open incident.
	LatestRatioAlerts(ctx context.Context) (map[string]*Alert, error)

	// FindAlerts lists alerts, newest first. Admins only.
	FindAlerts(ctx context.Context, p Page) ([]*Alert, string, error)

	// FindUnalertedFoodSafetyReports returns open food-safety reports
	// (flags) without an alert keyed FoodSafetyAlertKey, oldest first, at
	// most limit: those whose instance stopped between storing the report
	// and raising its alert. The alerter's sweep raises them.
	FindUnalertedFoodSafetyReports(ctx context.Context, limit int) ([]*Flag, error)
}
