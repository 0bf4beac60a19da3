package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// TestMatchTOTP: the code of each step within the skew matches that step,
// only when later than the last used; a code two steps away does not.
func TestMatchTOTP(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // RFC 6238's SHA-1 key, base32
	// RFC 6238 appendix B: at 59 s the 8-digit SHA-1 code is 94287082,
	// so the 6-digit one is 287082.
	if c, err := TOTPCode(secret, time.Unix(59, 0)); err != nil || c != "287082" {
		t.Fatalf("TOTPCode(RFC 6238 key, 59 s) = %q, %v; want 287082", c, err)
	}
	now := time.Date(2026, 12, 6, 20, 0, 15, 0, time.UTC)
	cur := fpr.TOTPStep(now)
	for _, tt := range []struct {
		name     string
		at       time.Time
		lastUsed int64
		want     int64 // 0: no match
	}{
		{"Current", now, 0, cur},
		{"Previous", now.Add(-fpr.TOTPPeriod), 0, cur - 1},
		{"Next", now.Add(fpr.TOTPPeriod), 0, cur + 1},
		{"TwoBack", now.Add(-2 * fpr.TOTPPeriod), 0, 0},
		{"TwoAhead", now.Add(2 * fpr.TOTPPeriod), 0, 0},
		{"CurrentUsed", now, cur, 0},
		{"PreviousAfterCurrentUsed", now.Add(-fpr.TOTPPeriod), cur, 0},
		{"NextAfterCurrentUsed", now.Add(fpr.TOTPPeriod), cur, cur + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := TOTPCode(secret, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			step, ok := matchTOTP(secret, c, now, tt.lastUsed)
			if (tt.want == 0) == ok || (ok && step != tt.want) {
				t.Errorf("matchTOTP = %d, %v; want step %d (0: none)", step, ok, tt.want)
			}
		})
	}
}

func TestNewRecoveryCodes(t *testing.T) {
	codes, hashes := newRecoveryCodes()
	if len(codes) != fpr.RecoveryCodeCount || len(hashes) != fpr.RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes; want %d of each", len(codes), len(hashes), fpr.RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		canon, kind := fpr.ParseOTP(c)
		if kind != fpr.OTPRecovery || seen[canon] {
			t.Fatalf("code %q: kind %v, seen before %v; want a new recovery code", c, kind, seen[canon])
		}
		seen[canon] = true
		if hashes[i] != recoveryCodeHash(canon) || strings.Contains(hashes[i], canon) {
			t.Errorf("hash of %q = %q, want recoveryCodeHash of its canonical form", c, hashes[i])
		}
	}
}

// BenchmarkMatchTOTP is the cost of checking a code at login: up to three
// HMAC-SHA1 computations.
func BenchmarkMatchTOTP(b *testing.B) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	now := time.Date(2026, 12, 6, 20, 0, 15, 0, time.UTC)
	c, err := TOTPCode(secret, now.Add(fpr.TOTPPeriod)) // the last candidate: the worst case
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := matchTOTP(secret, c, now, 0); !ok {
			b.Fatal("no match")
		}
	}
}
