package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fpr-team/fpr"
)

var mfaTests = map[string]func(t *testing.T, s *suite){
	"PendingConfirmDisable": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		u := mustUser(t, db, fpr.RoleMember)
		if _, err := db.FindTOTP(ctx, u.ID); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Fatalf("FindTOTP before setup: %v, want not_found", err)
		}
		mustOK(t, "SetPendingTOTP", db.SetPendingTOTP(ctx, u.ID, "SECRETONE"))
		mustOK(t, "SetPendingTOTP again", db.SetPendingTOTP(ctx, u.ID, "SECRETTWO"))
		st, err := db.FindTOTP(ctx, u.ID)
		mustOK(t, "FindTOTP", err)
		if st.Secret != "SECRETTWO" || st.Confirmed || st.LastStep != 0 {
			t.Fatalf("pending TOTP = %+v, want SECRETTWO, unconfirmed", st)
		}
		// Confirming a secret that was replaced meanwhile is refused.
		wantCode(t, "ConfirmTOTP(replaced secret)", db.ConfirmTOTP(ctx, u.ID, "SECRETONE", 100, []string{"h1"}), fpr.CodeConflict)
		if got, _ := db.FindUserByID(ctx, u.ID); got.MFAEnabled {
			t.Fatal("mfa_enabled set by a refused confirmation")
		}
		hashes := []string{"h1", "h2", "h3"}
		mustOK(t, "ConfirmTOTP", db.ConfirmTOTP(ctx, u.ID, "SECRETTWO", 100, hashes))
		wantCode(t, "ConfirmTOTP twice", db.ConfirmTOTP(ctx, u.ID, "SECRETTWO", 101, hashes), fpr.CodeConflict)
		wantCode(t, "SetPendingTOTP when on", db.SetPendingTOTP(ctx, u.ID, "SECRETTHREE"), fpr.CodeConflict)
		st, err = db.FindTOTP(ctx, u.ID)
		mustOK(t, "FindTOTP", err)
		if st.Secret != "SECRETTWO" || !st.Confirmed || st.LastStep != 100 {
			t.Fatalf("confirmed TOTP = %+v, want SECRETTWO, confirmed, last step 100", st)
		}
		// Every way of reading a user shows the flag.
		got, err := db.FindUserByID(ctx, u.ID)
		mustOK(t, "FindUserByID", err)
		byEmail, _, err := db.FindUserCredentials(ctx, u.Email)
		mustOK(t, "FindUserCredentials", err)
		mustOK(t, "CreateSession", func() error {
			_, err := db.CreateSession(ctx, "mfa-token-hash", u.ID, fpr.SessionAPI, 3600e9)
			return err
		}())
		sessUser, _, err := db.FindSession(ctx, "mfa-token-hash")
		mustOK(t, "FindSession", err)
		admin := mustUser(t, db, fpr.RoleAdmin)
		list, _, err := db.FindUsers(as(admin), fpr.UserFilter{Query: &u.Email})
		mustOK(t, "FindUsers", err)
		if !got.MFAEnabled || !byEmail.MFAEnabled || !sessUser.MFAEnabled || len(list) != 1 || !list[0].MFAEnabled {
			t.Fatalf("mfa_enabled after confirm: by id %v, by e-mail %v, by session %v, in list %v; want true everywhere",
				got.MFAEnabled, byEmail.MFAEnabled, sessUser.MFAEnabled, list)
		}
		n, err := db.CountRecoveryCodes(ctx, u.ID)
		mustOK(t, "CountRecoveryCodes", err)
		if n != 3 {
			t.Fatalf("recovery codes = %d, want 3", n)
		}

		mustOK(t, "DisableTOTP", db.DisableTOTP(ctx, u.ID))
		wantCode(t, "DisableTOTP twice", db.DisableTOTP(ctx, u.ID), fpr.CodeConflict)
		if _, err := db.FindTOTP(ctx, u.ID); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Fatalf("FindTOTP after disable: %v, want not_found", err)
		}
		if n, _ := db.CountRecoveryCodes(ctx, u.ID); n != 0 {
			t.Fatalf("recovery codes after disable = %d, want 0", n)
		}
		if got, _ := db.FindUserByID(ctx, u.ID); got.MFAEnabled {
			t.Fatal("mfa_enabled still set after disable")
		}
		// The old codes do not come back with a new setup.
		mustOK(t, "SetPendingTOTP after disable", db.SetPendingTOTP(ctx, u.ID, "SECRETFOUR"))
		mustOK(t, "ConfirmTOTP again", db.ConfirmTOTP(ctx, u.ID, "SECRETFOUR", 5, []string{"h9"}))
		if ok, err := db.UseRecoveryCode(ctx, u.ID, "h1"); err != nil || ok {
			t.Fatalf("UseRecoveryCode(old code) = %v, %v; want false", ok, err)
		}
		if ok, err := db.UseRecoveryCode(fpr.NewContextWithClient(ctx, fpr.Client{Address: "192.0.2.4"}), u.ID, "h9"); err != nil || !ok {
			t.Fatalf("UseRecoveryCode(h9) = %v, %v; want true", ok, err)
		}
		// Each change is in the audit log, with the user as actor.
		entries, _, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{Target: "user:" + u.ID})
		mustOK(t, "FindAuditEntries", err)
		var actions []string
		for _, e := range entries {
			if e.Actor == nil || e.Actor.ID != u.ID {
				t.Errorf("entry %+v: want the user as actor", e)
			}
			actions = append(actions, string(e.Action))
		}
		if got := fmt.Sprint(actions); got != "[mfa.recovery mfa.enable mfa.disable mfa.enable]" {
			t.Errorf("audit actions, newest first = %s, want [mfa.recovery mfa.enable mfa.disable mfa.enable]", got)
		}
		if entries[0].Details["remaining"] != "0" || entries[0].Address != "192.0.2.4" {
			t.Errorf("mfa.recovery entry = %+v, want 0 remaining, from 192.0.2.4", entries[0])
		}
	},
	"StepUsedOnce": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		u := mustUser(t, db, fpr.RoleMember)
		mustOK(t, "SetPendingTOTP", db.SetPendingTOTP(ctx, u.ID, "S"))
		// A pending secret accepts no login codes.
		if ok, err := db.UseTOTPStep(ctx, u.ID, 50); err != nil || ok {
			t.Fatalf("UseTOTPStep(pending) = %v, %v; want false", ok, err)
		}
		mustOK(t, "ConfirmTOTP", db.ConfirmTOTP(ctx, u.ID, "S", 100, nil))
		for _, c := range []struct {
			step int64
			want bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
			ok, err := db.UseTOTPStep(ctx, u.ID, c.step)
			mustOK(t, "UseTOTPStep", err)
			if ok != c.want {
				t.Errorf("UseTOTPStep(%d) = %v, want %v", c.step, ok, c.want)
			}
		}
	},
	"ConcurrentSameStepOneWins": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		u := mustUser(t, db, fpr.RoleMember)
		mustOK(t, "SetPendingTOTP", db.SetPendingTOTP(ctx, u.ID, "S"))
		mustOK(t, "ConfirmTOTP", db.ConfirmTOTP(ctx, u.ID, "S", 1, []string{"code"}))
		var steps, codes atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 8 {
			wg.Go(func() {
				ok, err := db.UseTOTPStep(ctx, u.ID, 7)
				if err != nil && fpr.ErrorCode(err) != fpr.CodeUnavailable {
					errs <- err
				}
				if ok {
					steps.Add(1)
				}
				ok, err = db.UseRecoveryCode(ctx, u.ID, "code")
				if err != nil && fpr.ErrorCode(err) != fpr.CodeUnavailable {
					errs <- err
				}
				if ok {
					codes.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if steps.Load() != 1 || codes.Load() != 1 {
			t.Fatalf("8 concurrent uses: step accepted %d times, recovery code %d times; want 1 each", steps.Load(), codes.Load())
		}
	},
	"RecoveryCodesSingleUsePerUser": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		ann, bob := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		for _, u := range []*fpr.User{ann, bob} {
			mustOK(t, "SetPendingTOTP", db.SetPendingTOTP(ctx, u.ID, "S"))
			mustOK(t, "ConfirmTOTP", db.ConfirmTOTP(ctx, u.ID, "S", 1, []string{"same", fmt.Sprintf("own-%s", u.ID)}))
		}
		for _, c := range []struct {
			user, hash string
			want       bool
		}{{ann.ID, "same", true}, {ann.ID, "same", false}, {bob.ID, "same", true}, {ann.ID, "own-" + bob.ID, false}, {ann.ID, "unknown", false}} {
			ok, err := db.UseRecoveryCode(ctx, c.user, c.hash)
			mustOK(t, "UseRecoveryCode", err)
			if ok != c.want {
				t.Errorf("UseRecoveryCode(%s, %s) = %v, want %v", c.user, c.hash, ok, c.want)
			}
		}
		if n, _ := db.CountRecoveryCodes(ctx, ann.ID); n != 1 {
			t.Errorf("ann's unused codes = %d, want 1", n)
		}
	},
}
