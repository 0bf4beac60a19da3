package fpr_test

import (
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

func TestParseOTP(t *testing.T) {
	tests := []struct {
		in   string
		code string
		kind fpr.OTPKind
	}{
		{"123456", "123456", fpr.OTPTOTP},
		{" 123 456 ", "123456", fpr.OTPTOTP},
		{"123-456", "123456", fpr.OTPTOTP},
		{"12345", "", fpr.OTPInvalid},
		{"1234567", "", fpr.OTPInvalid},
		{"12345a", "", fpr.OTPInvalid},
		{"abcd-efgh-ijkl-mnop", "abcdefghijklmnop", fpr.OTPRecovery},
		{"ABCD EFGH IJKL MNOP", "abcdefghijklmnop", fpr.OTPRecovery},
		{"abcd-efgh-ijkl-mno1", "", fpr.OTPInvalid},  // 1 is not base32
		{"abcd-efgh-ijkl-mnopq", "", fpr.OTPInvalid}, // 17 characters
		{"", "", fpr.OTPInvalid},
		{"12３456", "", fpr.OTPInvalid}, // a full-width digit
		{"123456\x00", "", fpr.OTPInvalid},
		{"1 2 3 4 5 6 - - - - - - - - - - - - - - - - - -", "", fpr.OTPInvalid}, // over MaxOTPLength
	}
	for _, tt := range tests {
		code, kind := fpr.ParseOTP(tt.in)
		if code != tt.code || kind != tt.kind {
			t.Errorf("ParseOTP(%q) = %q, %v; want %q, %v", tt.in, code, kind, tt.code, tt.kind)
		}
	}
}

func TestFormatRecoveryCode(t *testing.T) {
	got := fpr.FormatRecoveryCode("abcdefghijklmnop")
	if got != "abcd-efgh-ijkl-mnop" {
		t.Errorf("FormatRecoveryCode = %q", got)
	}
	if code, kind := fpr.ParseOTP(got); code != "abcdefghijklmnop" || kind != fpr.OTPRecovery {
		t.Errorf("ParseOTP(FormatRecoveryCode(c)) = %q, %v; want c back as a recovery code", code, kind)
	}
}

func TestTOTPSteps(t *testing.T) {
	at := time.Date(2026, 12, 6, 20, 0, 29, 0, time.UTC)
	step := fpr.TOTPStep(at)
	if step != at.Unix()/30 {
		t.Errorf("TOTPStep = %d, want unix/30", step)
	}
	if got := fpr.TOTPStep(at.Add(time.Second)); got != step+1 {
		t.Errorf("one second later: step %d, want %d (a new step starts every 30 s)", got, step+1)
	}
	if got := fpr.TOTPStepTime(step); fpr.TOTPStep(got) != step || got.After(at) {
		t.Errorf("TOTPStepTime(%d) = %v, want the start of that step", step, got)
	}
	got := fpr.TOTPCandidateSteps(at)
	if len(got) != 3 || got[0] != step-1 || got[1] != step || got[2] != step+1 {
		t.Errorf("TOTPCandidateSteps = %v, want the step and one either side", got)
	}
	checkPolicy(t, []policyRow{
		{"LaterStep", fpr.TOTPStepUsable(11, 10), true},
		{"SameStep", fpr.TOTPStepUsable(10, 10), false},
		{"EarlierStep", fpr.TOTPStepUsable(9, 10), false},
		{"FirstUse", fpr.TOTPStepUsable(1, 0), true},
	})
}

func TestStaffMFA(t *testing.T) {
	withMFA := &fpr.User{ID: "admin2", Role: fpr.RoleAdmin, MFAEnabled: true}
	modWithMFA := &fpr.User{ID: "mod2", Role: fpr.RoleModerator, MFAEnabled: true}
	req, opt := fpr.StaffMFARequired, fpr.StaffMFAOptional
	checkPolicy(t, []policyRow{
		{"Default/production", fpr.DefaultStaffMFA("production") == req, true},
		{"Default/staging", fpr.DefaultStaffMFA("staging") == opt, true},
		{"Default/development", fpr.DefaultStaffMFA("development") == opt, true},
		{"Valid/required", req.Valid(), true},
		{"Valid/optional", opt.Valid(), true},
		{"Valid/other", fpr.StaffMFA("maybe").Valid(), false},
		{"Required/Anonymous", fpr.StaffNeedsMFA(req, nil), false},
		{"Required/Member", fpr.StaffNeedsMFA(req, member), false},
		{"Required/Producer", fpr.StaffNeedsMFA(req, producer), false},
		{"Required/Moderator", fpr.StaffNeedsMFA(req, moderator), true},
		{"Required/Admin", fpr.StaffNeedsMFA(req, admin), true},
		{"Required/ModeratorWithMFA", fpr.StaffNeedsMFA(req, modWithMFA), false},
		{"Required/AdminWithMFA", fpr.StaffNeedsMFA(req, withMFA), false},
		{"Optional/Admin", fpr.StaffNeedsMFA(opt, admin), false},
		{"Optional/Moderator", fpr.StaffNeedsMFA(opt, moderator), false},
		{"Unset/Admin", fpr.StaffNeedsMFA("", admin), false},
	})
}

// TestWithheldStaffPowers: a moderator or admin whose powers are withheld
// (no two-factor under required) passes none of the staff policies, and
// the original user is not changed.
func TestWithheldStaffPowers(t *testing.T) {
	a, m := admin.WithheldStaffPowers(), moderator.WithheldStaffPowers()
	checkPolicy(t, []policyRow{
		{"Admin/IsAdmin", a.IsAdmin(), false},
		{"Admin/CanModerate", a.CanModerate(), false},
		{"Admin/CanManageUsers", fpr.CanManageUsers(a), false},
		{"Admin/CanSeeOperations", fpr.CanSeeOperations(a), false},
		{"Admin/CanCreateFarm", fpr.CanCreateFarm(a), false},
		{"Admin/CanManageFarm", fpr.CanManageFarm(a, farm), false},
		{"Admin/CanReplyToReview", fpr.CanReplyToReview(a, farm), false},
		{"Admin/CanSeeOthersEmail", fpr.CanSeeEmail(a, member), false},
		{"Admin/CanSeeOwnEmail", fpr.CanSeeEmail(a, a), true},
		{"Admin/CanDeleteOthersReview", fpr.CanDeleteReview(a, reviewIn(fpr.StatusPublished)), false},
		{"Admin/CanSeePending", fpr.CanSeeReview(a, reviewIn(fpr.StatusPending)), false},
		{"Admin/StillStaff", fpr.IsStaff(a), true},
		{"Moderator/CanModerate", m.CanModerate(), false},
		{"Moderator/CanSeePending", fpr.CanSeeReview(m, reviewIn(fpr.StatusPending)), false},
		{"Moderator/CanReview", fpr.CanReviewProduct(m, farm), true},
		{"Original/Admin", admin.IsAdmin() && !admin.StaffPowersWithheld, true},
		{"Original/Moderator", moderator.CanModerate(), true},
		{"SeeMFA/Self", fpr.CanSeeMFAStatus(member, member), true},
		{"SeeMFA/Admin", fpr.CanSeeMFAStatus(admin, member), true},
		{"SeeMFA/Other", fpr.CanSeeMFAStatus(producer, member), false},
		{"SeeMFA/Anonymous", fpr.CanSeeMFAStatus(nil, member), false},
	})
}
