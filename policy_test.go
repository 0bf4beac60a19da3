package fpr_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// The cast of the policy tables: one user of each role, the producer owning
// farm, the member writing review.
var (
	member    = &fpr.User{ID: "member", Role: fpr.RoleMember, EmailVerified: true}
	author    = &fpr.User{ID: "author", Role: fpr.RoleMember}
	producer  = &fpr.User{ID: "producer", Role: fpr.RoleProducer}
	otherProd = &fpr.User{ID: "other-producer", Role: fpr.RoleProducer}
	moderator = &fpr.User{ID: "moderator", Role: fpr.RoleModerator}
	admin     = &fpr.User{ID: "admin", Role: fpr.RoleAdmin, EmailVerified: true}
	farm      = &fpr.Farm{ID: "farm", OwnerID: "producer"}
)

func reviewIn(status fpr.ReviewStatus) *fpr.Review {
	return &fpr.Review{ID: "review", Author: fpr.Author{ID: "author"}, Status: status}
}

func TestRequireUser(t *testing.T) {
	if u, err := fpr.RequireUser(fpr.NewContextWithUser(context.Background(), member)); u != member || err != nil {
		t.Errorf("RequireUser(member) = %v, %v; want member, nil", u, err)
	}
	u, err := fpr.RequireUser(context.Background())
	if u != nil || fpr.ErrorCode(err) != fpr.CodeUnauthenticated || fpr.ErrorMessage(err) == "" {
		t.Errorf("RequireUser(anonymous) = %v, %v; want nil, unauthenticated with a message", u, err)
	}
}

// policyRow is one row of a yes/no policy table.
type policyRow struct {
	name string
	got  bool
	want bool
}

func checkPolicy(t *testing.T, rows []policyRow) {
	t.Helper()
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestCanReviewProduct(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanReviewProduct(nil, farm), false},
		{"Member", fpr.CanReviewProduct(member, farm), true},
		{"FarmOwner", fpr.CanReviewProduct(producer, farm), false},
		{"OtherProducer", fpr.CanReviewProduct(otherProd, farm), true},
		{"Admin", fpr.CanReviewProduct(admin, farm), true},
		{"AdminOwningTheFarm", fpr.CanReviewProduct(admin, &fpr.Farm{OwnerID: "admin"}), false},
		{"NoFarm", fpr.CanReviewProduct(member, nil), false},
	})
}

func TestCanSeeReview(t *testing.T) {
	pending := reviewIn(fpr.StatusPending)
	checkPolicy(t, []policyRow{
		{"AnonymousPublished", fpr.CanSeeReview(nil, reviewIn(fpr.StatusPublished)), true},
		{"AnonymousPending", fpr.CanSeeReview(nil, pending), false},
		{"MemberPending", fpr.CanSeeReview(member, pending), false},
		{"AuthorPending", fpr.CanSeeReview(author, pending), true},
		{"AuthorRemoved", fpr.CanSeeReview(author, reviewIn(fpr.StatusRemoved)), true},
		{"ModeratorRejected", fpr.CanSeeReview(moderator, reviewIn(fpr.StatusRejected)), true},
		{"AdminPending", fpr.CanSeeReview(admin, pending), true},
		{"FarmOwnerPending", fpr.CanSeeReview(producer, pending), false},
	})
}

func TestCanEditReview(t *testing.T) {
	r := reviewIn(fpr.StatusPublished)
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanEditReview(nil, r), false},
		{"Author", fpr.CanEditReview(author, r), true},
		{"Member", fpr.CanEditReview(member, r), false},
		{"Moderator", fpr.CanEditReview(moderator, r), false},
		{"Admin", fpr.CanEditReview(admin, r), false},
	})
}

func TestCanDeleteReview(t *testing.T) {
	r := reviewIn(fpr.StatusPublished)
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanDeleteReview(nil, r), false},
		{"Author", fpr.CanDeleteReview(author, r), true},
		{"Member", fpr.CanDeleteReview(member, r), false},
		{"FarmOwner", fpr.CanDeleteReview(producer, r), false},
		{"Moderator", fpr.CanDeleteReview(moderator, r), true},
		{"Admin", fpr.CanDeleteReview(admin, r), true},
	})
}

func TestCanVoteOnReview(t *testing.T) {
	r := reviewIn(fpr.StatusPublished)
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanVoteOnReview(nil, r), false},
		{"Author", fpr.CanVoteOnReview(author, r), false},
		{"Member", fpr.CanVoteOnReview(member, r), true},
		{"FarmOwner", fpr.CanVoteOnReview(producer, r), true},
		{"Admin", fpr.CanVoteOnReview(admin, r), true},
		{"Probe", fpr.CanVoteOnReview(&fpr.User{ID: "p1", Role: fpr.RoleMember, Probe: true}, r), false},
	})
}

func TestCanFlagReview(t *testing.T) {
	r := reviewIn(fpr.StatusPublished)
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanFlagReview(nil, r), false},
		{"Author", fpr.CanFlagReview(author, r), false},
		{"Member", fpr.CanFlagReview(member, r), true},
		{"FarmOwner", fpr.CanFlagReview(producer, r), true},
		{"Moderator", fpr.CanFlagReview(moderator, r), true},
	})
}

func TestCanReplyToReview(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanReplyToReview(nil, farm), false},
		{"Member", fpr.CanReplyToReview(member, farm), false},
		{"FarmOwner", fpr.CanReplyToReview(producer, farm), true},
		{"OtherProducer", fpr.CanReplyToReview(otherProd, farm), false},
		{"Moderator", fpr.CanReplyToReview(moderator, farm), false},
		{"Admin", fpr.CanReplyToReview(admin, farm), true},
		{"DemotedOwner", fpr.CanReplyToReview(&fpr.User{ID: "producer", Role: fpr.RoleMember}, farm), false},
	})
}

func TestCanModerate(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", (*fpr.User)(nil).CanModerate(), false},
		{"Member", member.CanModerate(), false},
		{"Producer", producer.CanModerate(), false},
		{"Moderator", moderator.CanModerate(), true},
		{"Admin", admin.CanModerate(), true},
	})
}

func TestCanCreateFarm(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanCreateFarm(nil), false},
		{"Member", fpr.CanCreateFarm(member), false},
		{"Producer", fpr.CanCreateFarm(producer), true},
		{"Moderator", fpr.CanCreateFarm(moderator), false},
		{"Admin", fpr.CanCreateFarm(admin), true},
	})
}

func TestFarmOwnerID(t *testing.T) {
	for _, tt := range []struct {
		name      string
		u         *fpr.User
		requested string
		want      string
	}{
		{"ProducerAlone", producer, "", "producer"},
		{"ProducerNamingAnother", producer, "other-producer", "producer"},
		{"AdminAlone", admin, "", "admin"},
		{"AdminForAProducer", admin, "producer", "producer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.FarmOwnerID(tt.u, tt.requested); got != tt.want {
				t.Errorf("FarmOwnerID(%s, %q) = %q, want %q", tt.u.ID, tt.requested, got, tt.want)
			}
		})
	}
}

func TestCanOwnFarm(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Member", fpr.CanOwnFarm(fpr.RoleMember), false},
		{"Producer", fpr.CanOwnFarm(fpr.RoleProducer), true},
		{"Moderator", fpr.CanOwnFarm(fpr.RoleModerator), false},
		{"Admin", fpr.CanOwnFarm(fpr.RoleAdmin), false},
	})
}

func TestCanManageFarm(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanManageFarm(nil, farm), false},
		{"Member", fpr.CanManageFarm(member, farm), false},
		{"Owner", fpr.CanManageFarm(producer, farm), true},
		{"OtherProducer", fpr.CanManageFarm(otherProd, farm), false},
		{"Moderator", fpr.CanManageFarm(moderator, farm), false},
		{"Admin", fpr.CanManageFarm(admin, farm), true},
		{"NoFarm", fpr.CanManageFarm(admin, nil), false},
	})
}

func TestCanManageEveryFarm(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanManageEveryFarm(nil), false},
		{"Producer", fpr.CanManageEveryFarm(producer), false},
		{"Moderator", fpr.CanManageEveryFarm(moderator), false},
		{"Admin", fpr.CanManageEveryFarm(admin), true},
	})
}

func TestCanManageUsers(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanManageUsers(nil), false},
		{"Moderator", fpr.CanManageUsers(moderator), false},
		{"Admin", fpr.CanManageUsers(admin), true},
	})
}

func TestCanChangeRole(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanChangeRole(nil, "member", fpr.RoleProducer), false},
		{"Moderator", fpr.CanChangeRole(moderator, "member", fpr.RoleProducer), false},
		{"AdminPromotes", fpr.CanChangeRole(admin, "member", fpr.RoleProducer), true},
		{"AdminDemotesAnotherAdmin", fpr.CanChangeRole(admin, "admin-2", fpr.RoleMember), true},
		{"AdminDemotesSelf", fpr.CanChangeRole(admin, "admin", fpr.RoleModerator), false},
		{"AdminKeepsOwnRole", fpr.CanChangeRole(admin, "admin", fpr.RoleAdmin), true},
	})
}

func TestCanSeeOperations(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanSeeOperations(nil), false},
		{"Moderator", fpr.CanSeeOperations(moderator), false},
		{"Admin", fpr.CanSeeOperations(admin), true},
	})
}

func TestCanSeeEmail(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Anonymous", fpr.CanSeeEmail(nil, member), false},
		{"Self", fpr.CanSeeEmail(member, member), true},
		{"AnotherMember", fpr.CanSeeEmail(author, member), false},
		{"Moderator", fpr.CanSeeEmail(moderator, member), false},
		{"Admin", fpr.CanSeeEmail(admin, member), true},
	})
}

var unverified = &fpr.User{ID: "unverified", Role: fpr.RoleMember}

func TestReviewStatusOnVerified(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"PostPublishes", fpr.ReviewStatusOnVerified(fpr.ModerationPost) == fpr.StatusPublished, true},
		{"PreStillWaits", fpr.ReviewStatusOnVerified(fpr.ModerationPre) == fpr.StatusPending, true},
		{"HeldUnverified", fpr.HeldUntilVerified(unverified), true},
		{"NotHeldVerified", fpr.HeldUntilVerified(member), false},
		{"NotHeldAnonymous", fpr.HeldUntilVerified(nil), false},
	})
}

func TestReviewStartStatus(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode fpr.ModerationMode
		u    *fpr.User
		want fpr.ReviewStatus
	}{
		{"PostMember", fpr.ModerationPost, member, fpr.StatusPublished},
		{"PostAdmin", fpr.ModerationPost, admin, fpr.StatusPublished},
		{"PreMember", fpr.ModerationPre, member, fpr.StatusPending},
		{"PreModerator", fpr.ModerationPre, moderator, fpr.StatusPending},
		{"PostUnverified", fpr.ModerationPost, unverified, fpr.StatusPending},
		{"PostUnverifiedProbe", fpr.ModerationPost, &fpr.User{Role: fpr.RoleMember, Probe: true}, fpr.StatusPublished},
		{"PreUnverified", fpr.ModerationPre, unverified, fpr.StatusPending},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.ReviewStartStatus(tt.mode, tt.u); got != tt.want {
				t.Errorf("ReviewStartStatus(%s, %s) = %s, want %s", tt.mode, tt.u.Role, got, tt.want)
			}
		})
	}
}

func TestReviewStatusAfterEdit(t *testing.T) {
	for _, mode := range []fpr.ModerationMode{fpr.ModerationPost, fpr.ModerationPre} {
		for _, status := range []fpr.ReviewStatus{fpr.StatusPublished, fpr.StatusPending, fpr.StatusRejected, fpr.StatusRemoved} {
			t.Run(string(mode)+"/"+string(status), func(t *testing.T) {
				want := status
				if mode == fpr.ModerationPre && status == fpr.StatusPublished {
					want = fpr.StatusPending // the approved text is gone: a moderator reads it again
				}
				if got := fpr.ReviewStatusAfterEdit(mode, status); got != want {
					t.Errorf("ReviewStatusAfterEdit(%s, %s) = %s, want %s", mode, status, got, want)
				}
			})
		}
	}
}

func TestReviewStatusAfterFlag(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mode    fpr.ModerationMode
		current fpr.ReviewStatus
		flags   int
		vetted  bool
		want    fpr.ReviewStatus
	}{
		{"PostOneFlag", fpr.ModerationPost, fpr.StatusPublished, 1, false, fpr.StatusPublished},
		{"PostBelowThreshold", fpr.ModerationPost, fpr.StatusPublished, fpr.FlagsToUnpublish - 1, false, fpr.StatusPublished},
		{"PostAtThreshold", fpr.ModerationPost, fpr.StatusPublished, fpr.FlagsToUnpublish, false, fpr.StatusPending},
		{"PostAboveThreshold", fpr.ModerationPost, fpr.StatusPublished, fpr.FlagsToUnpublish + 4, false, fpr.StatusPending},
		{"PostVettedStays", fpr.ModerationPost, fpr.StatusPublished, fpr.FlagsToUnpublish + 4, true, fpr.StatusPublished},
		{"PostPendingStays", fpr.ModerationPost, fpr.StatusPending, fpr.FlagsToUnpublish, false, fpr.StatusPending},
		{"PostRemovedStays", fpr.ModerationPost, fpr.StatusRemoved, fpr.FlagsToUnpublish, false, fpr.StatusRemoved},
		{"PrePublishedStays", fpr.ModerationPre, fpr.StatusPublished, fpr.FlagsToUnpublish + 1, false, fpr.StatusPublished},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.ReviewStatusAfterFlag(tt.mode, tt.current, tt.flags, tt.vetted); got != tt.want {
				t.Errorf("ReviewStatusAfterFlag(%s, %s, %d, %v) = %s, want %s", tt.mode, tt.current, tt.flags, tt.vetted, got, tt.want)
			}
		})
	}
}

func TestFlagCounts(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		u    *fpr.User
		want bool
	}{
		{"Nobody", nil, false},
		{"NoCreationTime", &fpr.User{ID: "u"}, false},
		{"Fresh", &fpr.User{ID: "u", EmailVerified: true, CreatedAt: now.Add(-time.Minute)}, false},
		{"JustUnderADay", &fpr.User{ID: "u", EmailVerified: true, CreatedAt: now.Add(-fpr.FlagWeightAge + time.Microsecond)}, false},
		{"ADayOld", &fpr.User{ID: "u", EmailVerified: true, CreatedAt: now.Add(-fpr.FlagWeightAge)}, true},
		{"Old", &fpr.User{ID: "u", EmailVerified: true, CreatedAt: now.AddDate(-1, 0, 0)}, true},
		{"OldUnverified", &fpr.User{ID: "u", CreatedAt: now.AddDate(-1, 0, 0)}, false},
		{"FreshUnverified", &fpr.User{ID: "u", CreatedAt: now.Add(-time.Minute)}, false},
		{"OldProbe", &fpr.User{ID: "u", Probe: true, EmailVerified: true, CreatedAt: now.AddDate(-1, 0, 0)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.FlagCounts(tt.u, now); got != tt.want {
				t.Errorf("FlagCounts = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCountsInRating(t *testing.T) {
	checkPolicy(t, []policyRow{
		{"Published", fpr.CountsInRating(fpr.StatusPublished, false), true},
		{"PublishedProbe", fpr.CountsInRating(fpr.StatusPublished, true), false},
		{"Pending", fpr.CountsInRating(fpr.StatusPending, false), false},
		{"Rejected", fpr.CountsInRating(fpr.StatusRejected, false), false},
		{"Removed", fpr.CountsInRating(fpr.StatusRemoved, false), false},
	})
}

func TestValidateRating(t *testing.T) {
	for _, tt := range []struct {
		name  string
		stars int
		ok    bool
	}{
		{"Zero", 0, false}, {"One", 1, true}, {"Five", 5, true}, {"Six", 6, false}, {"Negative", -1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.ValidateRating(tt.stars) == ""; got != tt.ok {
				t.Errorf("ValidateRating(%d) ok = %v, want %v", tt.stars, got, tt.ok)
			}
		})
	}
}

func TestValidateModeration(t *testing.T) {
	long := string(make([]rune, fpr.MaxModerationNoteLength+1))
	for _, tt := range []struct {
		name   string
		action fpr.ModerationAction
		note   string
		reason fpr.FlagReason
		field  string
	}{
		{"Publish", fpr.ActionPublish, "", "", ""},
		{"RemoveWithNote", fpr.ActionRemove, "Spam.", "", ""},
		{"RemoveWithReason", fpr.ActionRemove, "", fpr.FlagSpam, ""},
		{"RejectFoodSafety", fpr.ActionReject, "", fpr.FlagFoodSafety, ""},
		{"PublishWithReason", fpr.ActionPublish, "", fpr.FlagSpam, "reason"},
		{"UnknownReason", fpr.ActionRemove, "", "rude", "reason"},
		{"UnknownAction", "ban", "", "", "action"},
		{"LongNote", fpr.ActionReject, long, "", "note"},
		{"LongOnlyByBlanks", fpr.ActionReject, "  " + strings.Repeat("n", fpr.MaxModerationNoteLength) + "  ", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkField(t, fpr.ValidateModeration(tt.action, tt.note, tt.reason), tt.field)
		})
	}
}

// checkField checks that err is nil when field is "", else a
// validation_failed error naming field.
func checkField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("err = %v, want nil", err)
		}
		return
	}
	if fpr.ErrorCode(err) != fpr.CodeValidationFailed || fpr.ErrorFields(err)[field] == "" {
		t.Errorf("err = %v (fields %v), want validation_failed on %s", err, fpr.ErrorFields(err), field)
	}
}
