package fpr_test

import (
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

func TestMailRetryDelay(t *testing.T) {
	for _, tt := range []struct {
		name     string
		attempts int
		want     time.Duration
	}{
		{"First", 1, 30 * time.Second},
		{"Second", 2, time.Minute},
		{"Fifth", 5, 8 * time.Minute},
		{"Capped", 20, fpr.MailRetryMaxDelay},
		{"NeverOverflows", 1000, fpr.MailRetryMaxDelay},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.MailRetryDelay(tt.attempts, fpr.MailRetryBase); got != tt.want {
				t.Errorf("MailRetryDelay(%d) = %s, want %s", tt.attempts, got, tt.want)
			}
		})
	}
}

func TestMailGivesUp(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"BelowMax", fpr.MailGivesUp(fpr.MailMaxAttempts-1, fpr.MailMaxAttempts), false},
		{"AtMax", fpr.MailGivesUp(fpr.MailMaxAttempts, fpr.MailMaxAttempts), true},
	})
}

func TestMailTopic(t *testing.T) {
	for _, k := range fpr.MailKinds {
		topic, ok := fpr.MailTopic(k)
		if ok != topic.Valid() {
			t.Errorf("MailTopic(%s) = %q, %v: a notification's topic must be valid", k, topic, ok)
		}
	}
	for _, k := range []fpr.MailKind{fpr.MailVerifyEmail, fpr.MailPasswordReset, fpr.MailEmailChange, fpr.MailFoodSafetyReport, fpr.MailFarmApplicationDecided} {
		if _, ok := fpr.MailTopic(k); ok {
			t.Errorf("MailTopic(%s) is a notification; account and safety mail must not be switchable", k)
		}
	}
}

func TestNewToken(t *testing.T) {
	a, ha := fpr.NewToken()
	b, hb := fpr.NewToken()
	if a == b || ha == hb {
		t.Fatalf("NewToken twice = %q, %q: want different tokens", a, b)
	}
	if len(a) != 43 || len(a) > fpr.MaxTokenLength || fpr.TokenHash(a) != ha || ha == a {
		t.Errorf("NewToken = %q (%d chars), hash %q: want 43 URL-safe characters and their SHA-256", a, len(a), ha)
	}
}

func TestReviewMailDue(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		last time.Time
		want time.Time
	}{
		{"first ever", time.Time{}, now},
		{"just now", now, now.Add(fpr.ReviewMailInterval)},
		{"a minute ago", now.Add(-time.Minute), now.Add(fpr.ReviewMailInterval - time.Minute)},
		{"exactly the interval ago", now.Add(-fpr.ReviewMailInterval), now},
		{"long ago", now.Add(-24 * time.Hour), now},
	} {
		if got := fpr.ReviewMailDue(tc.last, now); !got.Equal(tc.want) {
			t.Errorf("%s: ReviewMailDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}
