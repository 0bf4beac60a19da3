package fpr

import "context"

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
// but its author.
func CanVoteOnReview(u *User, r *Review) bool { return u != nil && !isAuthor(u, r) }

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

// ReviewStartStatus is the status a new review by u starts in: published
// under post-moderation, pending (until a moderator reads it) under
// pre-moderation.
func ReviewStartStatus(mode ModerationMode, _ *User) ReviewStatus {
	if mode == ModerationPre {
		return StatusPending
	}
	return StatusPublished
}

// ReviewStatusAfterEdit is the status a review in status current has once
// its author edits it. Today an edit keeps the status in both modes.
func ReviewStatusAfterEdit(_ ModerationMode, current ReviewStatus) ReviewStatus {
	return current
}

// CountsInRating reports whether a review in status, by a probe account or
// not, counts in its product's rating summary: published reviews by real
// people only.
func CountsInRating(status ReviewStatus, probe bool) bool {
	return status == StatusPublished && !probe
}

// FlagsToUnpublish is how many distinct users' unresolved flags send a
// published review back to pending under post-moderation.
const FlagsToUnpublish = 3

// ReviewStatusAfterFlag is the status a review in status current has once
// it carries openFlags unresolved flags by distinct users: under
// post-moderation a published review with FlagsToUnpublish of them goes
// back to pending, out of the rating summary, until a moderator decides.
// Under pre-moderation flags only queue it.
func ReviewStatusAfterFlag(mode ModerationMode, current ReviewStatus, openFlags int) ReviewStatus {
	if mode == ModerationPost && current == StatusPublished && openFlags >= FlagsToUnpublish {
		return StatusPending
	}
	return current
}
