package fpr_test

import (
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

func TestSlugify(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Ferme du Château", "ferme-du-chateau"},
		{"  Green   Acres!! ", "green-acres"},
		{"Bäckerei Müller & Söhne", "backerei-muller-sohne"},
		{"蜂蜜", "item"},
		{"Eggs (12)", "eggs-12"},
	} {
		if got := fpr.Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRating(t *testing.T) {
	if _, ok := (fpr.Rating{}).Average(); ok {
		t.Errorf("Average of no reviews reported ok")
	}
	r := fpr.Rating{Count: 3, Sum: 13}
	if got, _ := r.Average(); got != 4.33 {
		t.Errorf("Average(13/3) = %v, want 4.33", got)
	}
	one := fpr.Rating{Count: 1, Sum: 5}
	many := fpr.Rating{Count: 200, Sum: 960}
	if one.BayesianAverage() >= many.BayesianAverage() {
		t.Errorf("one 5-star review scores %v, 200 reviews averaging 4.8 score %v: want the latter higher",
			one.BayesianAverage(), many.BayesianAverage())
	}
}

func TestRegistrationValidate(t *testing.T) {
	ok := fpr.Registration{Email: "ann@example.org", Password: "a long password", DisplayName: "Ann"}
	for _, tt := range []struct {
		name  string
		edit  func(*fpr.Registration)
		field string
	}{
		{"OK", func(*fpr.Registration) {}, ""},
		{"ErrEmailSyntax", func(r *fpr.Registration) { r.Email = "ann@" }, "email"},
		{"ErrEmailNoDot", func(r *fpr.Registration) { r.Email = "ann@localhost" }, "email"},
		{"ErrEmailWithName", func(r *fpr.Registration) { r.Email = "Ann <ann@example.org>" }, "email"},
		{"ErrPasswordShort", func(r *fpr.Registration) { r.Password = "123456789" }, "password"},
		{"ErrDisplayNameEmpty", func(r *fpr.Registration) { r.DisplayName = "   " }, "display_name"},
		{"ErrDisplayNameLong", func(r *fpr.Registration) { r.DisplayName = string(make([]rune, 61)) }, "display_name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			err := r.Validate()
			fields := fpr.ErrorFields(err)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if fpr.ErrorCode(err) != fpr.CodeValidationFailed || fields[tt.field] == "" {
				t.Fatalf("Validate() = %v (fields %v), want validation_failed on %s", err, fields, tt.field)
			}
		})
	}
}

func TestRegistrationValidate_Probe(t *testing.T) {
	for _, tt := range []struct {
		email string
		want  bool
	}{
		{"ann@example.org", false},
		{"probe-1@probe.fpr.invalid", true},
		{"Probe-2@PROBE.fpr.invalid", true},
		{"ann@probe.fpr.invalid.example.org", false},
		{"ann@notprobe.fpr.invalid", false},
	} {
		r := fpr.Registration{Email: tt.email, Password: "a long password", DisplayName: "Ann"}
		if err := r.Validate(); err != nil {
			t.Fatalf("Validate(%q) = %v", tt.email, err)
		}
		if r.Probe != tt.want {
			t.Errorf("Validate(%q) set Probe = %v, want %v", tt.email, r.Probe, tt.want)
		}
	}
}

func TestNewID_OrderWithinAMillisecond(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	prev := fpr.NewID(now)
	seen := map[string]bool{prev: true}
	for i := range 10000 {
		id := fpr.NewID(now)
		if id <= prev || len(id) != 26 || seen[id] {
			t.Fatalf("NewID #%d in one millisecond = %q after %q, want a new, greater ID", i, id, prev)
		}
		seen[id] = true
		prev = id
	}
	if later := fpr.NewID(now.Add(time.Millisecond)); later <= prev {
		t.Errorf("NewID a millisecond later = %q, want after %q", later, prev)
	}
	// Concurrent callers get distinct IDs.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				id := fpr.NewID(now)
				mu.Lock()
				if seen[id] {
					t.Errorf("NewID repeated %q", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
