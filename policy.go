package fpr

import (
	"context"
	"time"
)

// Policies: who may do what, and where a review stands after each event.
// Every rule here needs no I/O; the store applies them inside its
// transactions and the pages call them to decide which forms to offer, so a
// rule has exactly one home. docs/architecture.md lists them.

// ErrUnauthenticated is the error of an action that needs a signed-in user
// when there is none. It is the one message every surface shows for it.
var ErrUnauthenticated = Errorf(CodeUnauthenticated, "Please log in to do this.")

// RequireUser returns the acting user of ctx, or ErrUnauthenticated for an
// anonymous caller.
func RequireUser(ctx context.Context) (*User, error) {
	if u := UserFromContext(ctx); u != nil {
		return u, nil
	}
	return nil, ErrUnauthenticated
}

// CanSeeEmail reports whether viewer may see u's e-mail address: u
// themselves and admins.
func CanSeeEmail(viewer, u *User) bool {
	return viewer != nil && u != nil && (viewer.ID == u.ID || viewer.IsAdmin())
}

// CanManageUsers reports whether u may list users and change roles: admins.
func CanManageUsers(u *User) bool { return u.IsAdmin() }

// CanChangeRole reports whether u may give the user userID the role role:
// an admin, except that an admin may not take away their own admin role,
// so there is always an admin left to undo a mistake.
func CanChangeRole(u *User, userID string, role Role) bool {
	return CanManageUsers(u) && (userID != u.ID || role == RoleAdmin)
}

// CanSeeOperations reports whether u may read operations data (errors,
// releases, alerts): admins.
func CanSeeOperations(u *User) bool { return u.IsAdmin() }

// CanCreateFarm reports whether u may create farms: producers (their own)
// and admins (for a producer or themselves).
func CanCreateFarm(u *User) bool {
	return u != nil && (u.Role == RoleProducer || u.IsAdmin())
}

// FarmOwnerID returns the owner of a farm u creates when the request names
// requested as its owner: a producer always owns the farms they create; an
// admin gives it to the producer named, or keeps it when none is. It
// assumes CanCreateFarm(u).
func FarmOwnerID(u *User, requested string) string {
	if u.IsAdmin() && requested != "" {
		return requested
	}
	return u.ID
}

// CanOwnFarm reports whether a user of role r may be given a farm by an
// admin: producers only.
func CanOwnFarm(r Role) bool { return r == RoleProducer }

// CanManageEveryFarm reports whether u manages every farm, not only their
// own: admins.
func CanManageEveryFarm(u *User) bool { return u.IsAdmin() }

// CanManageFarm reports whether u may edit farm f and add, change or
// delete its products: its owner (a producer) or an admin.
func CanManageFarm(u *User, f *Farm) bool {
	if u == nil || f == nil {
		return false
	}
	return CanManageEveryFarm(u) || (u.Role == RoleProducer && u.ID == f.OwnerID)
}

// CanApplyForFarm reports whether u may apply to list a farm: members
// (producers and admins create farms themselves; staff would lose their
// role on approval).
func CanApplyForFarm(u *User) bool {
	return u != nil && u.Role == RoleMember
}

// CanDecideFarmApplications reports whether u may list, approve and reject
// farm applications: admins.
func CanDecideFarmApplications(u *User) bool { return u.IsAdmin() }

// RoleAfterFarmApproval is the role of an applicant of role r once their
// farm is approved: a member becomes a producer; a role that already
// includes owning farms, or a staff role given meanwhile, is kept.
func RoleAfterFarmApproval(r Role) Role {
	if r == RoleMember {
		return RoleProducer
	}
	return r
}

// CanReadFarmInbox reports whether u has a review inbox: producers and
// admins (for the farms they own).
func CanReadFarmInbox(u *User) bool {
	return u != nil && (u.Role == RoleProducer || u.Role == RoleAdmin)
}

// ArchiveInsteadOfDelete reports whether removing a product that has
// reviews (in any status) archives it instead: it leaves lists and search,
// but its page, its reviews and its farm's rating stay, so a producer
// cannot erase bad reviews by deleting and re-adding a product.
func ArchiveInsteadOfDelete(reviews int) bool { return reviews > 0 }

// OpenForReviews reports whether a new review may be written for a
// product: not once it is archived (it is no longer sold).
func OpenForReviews(p *Product) bool { return p != nil && p.ArchivedAt == nil }

// CanReviewProduct reports whether u may review a product of farm: any
// signed-in user but the farm's owner.
func CanReviewProduct(u *User, farm *Farm) bool {
	return u != nil && farm != nil && u.ID != farm.OwnerID
}

// CanSeeReview reports whether u may read r: anyone when it is published,
// else its author and moderators.
func CanSeeReview(u *User, r *Review) bool {
	return r.Status == StatusPublished || isAuthor(u, r) || u.CanModerate()
}

// CanEditReview reports whether u may change r's rating, title or body: its
// author only.
func CanEditReview(u *User, r *Review) bool { return isAuthor(u, r) }

// CanDeleteReview reports whether u may delete r: its author, moderators
// and admins.
func CanDeleteReview(u *User, r *Review) bool { return isAuthor(u, r) || u.CanModerate() }

// CanVoteOnReview reports whether u may vote r helpful: any signed-in user
// but its author and probe accounts (anyone may register one, under their
// own rate limit, so their votes must not move a helpful count).
func CanVoteOnReview(u *User, r *Review) bool { return u != nil && !u.Probe && !isAuthor(u, r) }

// CanFlagReview reports whether u may flag r for the moderators: any
// signed-in user but its author.
func CanFlagReview(u *User, r *Review) bool { return u != nil && !isAuthor(u, r) }

// CanReplyToReview reports whether u may write the reply to a review of a
// product of farm: the producer owning the farm, or an admin.
func CanReplyToReview(u *User, farm *Farm) bool { return CanManageFarm(u, farm) }

// CanModerate reports whether u may use the moderation queue and decide on
// reviews: moderators and admins, unless their staff powers are withheld
// (StaffNeedsMFA). A nil user may not.
func (u *User) CanModerate() bool {
	return IsStaff(u) && !u.StaffPowersWithheld
}

func isAuthor(u *User, r *Review) bool { return u != nil && r != nil && u.ID == r.Author.ID }

// ReviewStartStatus is the status a new review by u starts in: under
// post-moderation published, or pending while u's e-mail is not verified
// (HeldUntilVerified); under pre-moderation pending until a moderator
// reads it.
func ReviewStartStatus(mode ModerationMode, u *User) ReviewStatus {
	if mode == ModerationPre || HeldUntilVerified(u) {
		return StatusPending
	}
	return StatusPublished
}

// HeldUntilVerified reports whether a new review by u waits for u's e-mail
// to be verified: SPEC section 7, reviews by accounts whose e-mail is not
// verified wait as pending. Probe accounts are not held (their reviews
// never count anyway, and the probe must read its review back).
func HeldUntilVerified(u *User) bool {
	return u != nil && !u.EmailVerified && !u.Probe
}

// ReviewStatusOnVerified is the status a review held by HeldUntilVerified
// takes when its author verifies their e-mail: published under
// post-moderation; under pre-moderation it still waits for a moderator.
func ReviewStatusOnVerified(mode ModerationMode) ReviewStatus {
	if mode == ModerationPre {
		return StatusPending
	}
	return StatusPublished
}

// ReviewStatusAfterEdit is the status a review in status current has once
// its author edits it: under pre-moderation a published review waits for
// a moderator again (pending, out of the rating summary), since the text
// a moderator approved is gone; otherwise the status stays.
func ReviewStatusAfterEdit(mode ModerationMode, current ReviewStatus) ReviewStatus {
	if mode == ModerationPre && current == StatusPublished {
		return StatusPending
	}
	return current
}

// CountsInRating reports whether a review in status, by a probe account or
// not, counts in its product's rating summary: published reviews by real
// people only.
func CountsInRating(status ReviewStatus, probe bool) bool {
	return status == StatusPublished && !probe
}

// FlagsToUnpublish is how many distinct users' unresolved flags that
// count (FlagCounts) send a published review back to pending under
// post-moderation.
const FlagsToUnpublish = 3

// FlagWeightAge is how old an account must be for its flags to count
// toward unpublishing a review.
const FlagWeightAge = 24 * time.Hour

// FlagCounts reports whether a flag by u, made at now, counts toward
// sending a review back to pending (SPEC section 7): accounts with a
// verified e-mail and at least FlagWeightAge old, so neither a burst of
// fresh throwaway accounts nor old accounts made with addresses nobody
// reads can hide a review, and never a probe account (anyone may register
// one, under their own rate limit). Every flag still queues the review for
// a moderator.
func FlagCounts(u *User, now time.Time) bool {
	return u != nil && !u.Probe && u.EmailVerified && !u.CreatedAt.IsZero() && now.Sub(u.CreatedAt) >= FlagWeightAge
}

// ReviewStatusAfterFlag is the status a review in status current has once
// it carries countingFlags unresolved flags that count (FlagCounts) by
// distinct users: under post-moderation a published review with
// FlagsToUnpublish of them goes back to pending, out of the rating
// summary, until a moderator decides, unless a moderator has published it
// since its last edit (vetted): then flags only queue it for a moderator,
// so the same crowd cannot hide it again. Under pre-moderation flags only
// queue it.
func ReviewStatusAfterFlag(mode ModerationMode, current ReviewStatus, countingFlags int, vetted bool) ReviewStatus {
	if mode == ModerationPost && current == StatusPublished && !vetted && countingFlags >= FlagsToUnpublish {
		return StatusPending
	}
	return current
}

// Login throttling (SPEC section 7): failed logins count per (account,
// client address) and per client address, never per account alone, so a
// stranger's wrong passwords never lock the owner out from elsewhere.
const (
	// LoginPairLimit failures of one account from one address start its
	// delays.
	LoginPairLimit = 5
	// LoginAddrLimit failures from one address, whatever the accounts,
	// start the address's delays.
	LoginAddrLimit = 20
	// LoginStreakWindow is how long failures are remembered: the count
	// starts over once this has passed since the first.
	LoginStreakWindow = 24 * time.Hour
	// loginFirstDelay is the wait after the limit-th failure; each further
	// failure doubles it, up to loginMaxDelay.
	loginFirstDelay = time.Minute
	loginMaxDelay   = time.Hour
)

// LoginDelay is how long a key (a pair or an address) waits after its
// failures-th failure when limit failures start the delays: nothing below
// the limit, then one minute, doubled by each further failure, at most an
// hour.
func LoginDelay(failures, limit int) time.Duration {
	if limit < 1 || failures < limit {
		return 0
	}
	d := loginFirstDelay
	for range failures - limit {
		d *= 2
		if d >= loginMaxDelay {
			return loginMaxDelay
		}
	}
	return d
}
