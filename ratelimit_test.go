package fpr

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRateLimits(t *testing.T) {
	t.Parallel()
	find := func(ls RateLimits, kind LimitKind, subject LimitSubject) RateLimit {
		for _, l := range ls {
			if l.Kind == kind && l.Subject == subject {
				return l
			}
		}
		t.Fatalf("no limit %s.%s in %v", kind, subject, ls)
		return RateLimit{}
	}
	t.Run("EmptyIsDefaults", func(t *testing.T) {
		ls, err := ParseRateLimits("")
		if err != nil || !slices.Equal(ls, DefaultRateLimits) {
			t.Fatalf("ParseRateLimits(\"\") = %v, %v; want the defaults", ls, err)
		}
		// A copy: changing it leaves the defaults alone.
		ls[0].Count = 999
		if DefaultRateLimits[0].Count == 999 {
			t.Error("ParseRateLimits returned the defaults' backing array")
		}
	})
	t.Run("Off", func(t *testing.T) {
		ls, err := ParseRateLimits(" off ")
		if err != nil || ls == nil || len(ls) != 0 {
			t.Fatalf("ParseRateLimits(off) = %#v, %v; want an empty non-nil set", ls, err)
		}
	})
	t.Run("SpecExample", func(t *testing.T) {
		ls, err := ParseRateLimits("register=100/h,review=50/h,vote=600/h,flag=100/d,mail=10/h")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			kind    LimitKind
			subject LimitSubject
			count   int
			window  time.Duration
		}{
			{LimitRegister, PerAddress, 100, time.Hour},
			{LimitReview, PerAccount, 50, time.Hour},
			{LimitReview, PerAddress, 50, time.Hour}, // a bare kind sets every subject
			{LimitVote, PerAccount, 600, time.Hour},
			{LimitFlag, PerAccount, 100, 24 * time.Hour},
			{LimitMail, PerAccount, 10, time.Hour},
			{LimitMail, PerAddress, 10, time.Hour},
			{LimitEdit, PerAccount, 30, time.Hour}, // untouched
		} {
			if l := find(ls, tc.kind, tc.subject); l.Count != tc.count || l.Window != tc.window {
				t.Errorf("%s.%s = %d/%v, want %d/%v", tc.kind, tc.subject, l.Count, l.Window, tc.count, tc.window)
			}
		}
	})
	t.Run("OneSubjectAndNumberedWindow", func(t *testing.T) {
		ls, err := ParseRateLimits("review.address=7/15m, reply.address=3/2h")
		if err != nil {
			t.Fatal(err)
		}
		if l := find(ls, LimitReview, PerAddress); l.Count != 7 || l.Window != 15*time.Minute {
			t.Errorf("review.address = %v", l)
		}
		if l := find(ls, LimitReview, PerAccount); l != (RateLimit{LimitReview, PerAccount, 10, time.Hour}) {
			t.Errorf("review.account = %v, want the default", l)
		}
		// A subject the defaults lack is added.
		if l := find(ls, LimitReply, PerAddress); l.Count != 3 || l.Window != 2*time.Hour {
			t.Errorf("reply.address = %v", l)
		}
	})
	t.Run("FarmApplication", func(t *testing.T) {
		ls, err := ParseRateLimits("farm_application=2/h,farm_application.address=4/d")
		if err != nil {
			t.Fatal(err)
		}
		if l := find(ls, LimitFarmApplication, PerAccount); l.Count != 2 || l.Window != time.Hour {
			t.Errorf("farm_application.account = %v, want 2/h", l)
		}
		if l := find(ls, LimitFarmApplication, PerAddress); l.Count != 4 || l.Window != 24*time.Hour {
			t.Errorf("farm_application.address = %v, want 4/d", l)
		}
		def, _ := ParseRateLimits("")
		if l := find(def, LimitFarmApplication, PerAccount); l.Count != 5 || l.Window != 24*time.Hour {
			t.Errorf("default farm_application.account = %v, want 5 a day", l)
		}
	})
	for _, bad := range []struct{ in, want string }{
		{"review", "want KIND=N/WINDOW"},
		{"reviews=10/h", `unknown kind "reviews"`},
		{"review.ip=10/h", `unknown subject "ip"`},
		{"review=10", "want N/WINDOW"},
		{"review=0/h", "whole number from 1"},
		{"review=-3/h", "whole number from 1"},
		{"review=ten/h", "whole number from 1"},
		{"review=10/w", "must be s, m, h or d"},
		{"review=10/", "must be s, m, h or d"},
		{"review=10/0h", "must be s, m, h or d"},
		{"review=10/400d", "longer than a year"},
	} {
		t.Run("Bad/"+bad.in, func(t *testing.T) {
			_, err := ParseRateLimits(bad.in)
			if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "FPR_RATE_LIMITS") {
				t.Errorf("ParseRateLimits(%q) = %v, want an error naming FPR_RATE_LIMITS and %q", bad.in, err, bad.want)
			}
		})
	}
}

func TestRateLimitString_RoundTrips(t *testing.T) {
	t.Parallel()
	var parts []string
	for _, l := range DefaultRateLimits {
		parts = append(parts, l.String())
	}
	ls, err := ParseRateLimits(strings.Join(parts, ","))
	if err != nil || !slices.Equal(ls, DefaultRateLimits) {
		t.Errorf("the defaults written and read back = %v, %v", ls, err)
	}
}

func TestRateLimitError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		secs int
		wait string
	}{
		{0, 1, "a minute"},
		{1500 * time.Millisecond, 2, "a minute"},
		{61 * time.Second, 61, "2 minutes"},
		{time.Hour, 3600, "an hour"},
		{23 * time.Hour, 23 * 3600, "23 hours"},
	} {
		e := RateLimitError(LimitReview, tc.d)
		if e.Code != CodeRateLimited || e.RetryAfterSeconds != tc.secs || !strings.Contains(e.Message, tc.wait) || !strings.Contains(e.Message, "new reviews") {
			t.Errorf("RateLimitError(%v) = %+v, want %d s and %q", tc.d, e, tc.secs, tc.wait)
		}
	}
	for _, k := range LimitKinds {
		if limitNoun(k) == string(k) {
			t.Errorf("kind %s has no noun for its message", k)
		}
	}
}

func TestLoginDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		failures, limit int
		want            time.Duration
	}{
		{0, 5, 0}, {4, 5, 0}, {5, 5, time.Minute}, {6, 5, 2 * time.Minute}, {7, 5, 4 * time.Minute},
		{10, 5, 32 * time.Minute}, {11, 5, time.Hour}, {1000, 5, time.Hour}, {3, 0, 0},
	} {
		if got := LoginDelay(tc.failures, tc.limit); got != tc.want {
			t.Errorf("LoginDelay(%d, %d) = %v, want %v", tc.failures, tc.limit, got, tc.want)
		}
	}
}

// TestReadme_LimitsTable: the README's "Limits and abuse" table is the
// code's DefaultRateLimits, row for row.
func TestReadme_LimitsTable(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "## Limits and abuse")
	if !ok {
		t.Fatal(`README.md has no "## Limits and abuse" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| per (account|address) \\| (\\d+) per (\\S+) \\|")
	var got RateLimits
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[3])
		w, err := parseWindow(map[string]string{"second": "s", "minute": "m", "hour": "h", "day": "d"}[m[4]])
		if err != nil {
			t.Fatalf("README row %q: window %q", m[0], m[4])
		}
		got = append(got, RateLimit{LimitKind(m[1]), LimitSubject(m[2]), n, w})
	}
	if !slices.Equal(got, DefaultRateLimits) {
		t.Errorf("README limits table =\n%v\nwant DefaultRateLimits =\n%v", got, DefaultRateLimits)
	}
}
