package auth

import (
	"context"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

// BenchmarkRequestPasswordReset compares a reset request for an address
// with an account and one without: both run one transaction of the same
// statements, so their times should be alike (SPEC: "a similar time").
// Compare the two lines of
//
//	go test -run '^$' -bench RequestPasswordReset ./internal/auth/
func BenchmarkRequestPasswordReset(b *testing.B) {
	s := New(storetest.OpenDB(b, storetest.SQLite))
	s.Params = TestParams
	ctx := context.Background()
	if _, err := s.Register(ctx, fpr.Registration{Email: annEmail, Password: annPassword, DisplayName: "Ann", Verified: true}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, email string }{{"Known", annEmail}, {"Unknown", "nobody@example.org"}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := s.RequestPasswordReset(ctx, bc.email); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A wrong current password for an e-mail change or a deletion counts as a
// failed login: after AccountLimit of them the account's password checks
// are throttled, so a stolen session cannot guess the password.
func TestService_CurrentPasswordThrottled(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	s.AccountLimit = 3
	u := mustRegister(t, s)
	ctx := fpr.NewContextWithUser(context.Background(), u)
	for range 3 {
		if err := s.DeleteAccount(ctx, "not-my-password"); fpr.ErrorCode(err) != fpr.CodeValidationFailed || fpr.ErrorFields(err)["current_password"] == "" {
			t.Fatalf("DeleteAccount with a wrong password = %v, want validation_failed on current_password", err)
		}
	}
	if err := s.DeleteAccount(ctx, annPassword); fpr.ErrorCode(err) != fpr.CodeRateLimited {
		t.Errorf("DeleteAccount after 3 wrong passwords = %v, want rate_limited", err)
	}
	email := "new@example.org"
	if _, err := s.UpdateAccount(ctx, fpr.AccountUpdate{Email: &email, CurrentPassword: annPassword}); fpr.ErrorCode(err) != fpr.CodeRateLimited {
		t.Errorf("UpdateAccount(email) while throttled = %v, want rate_limited", err)
	}
}
