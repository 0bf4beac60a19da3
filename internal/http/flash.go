package http

import (
	"fmt"
	"net/http"
	"strings"
)

// Flash messages. A flash is a short confirmation shown on the page after
// a redirect. It travels in the fpr_flash cookie (HttpOnly, SameSite=Lax,
// one minute) as a key of the flashes table below, never as free text, so
// nobody can make the site display words of their choosing by planting a
// cookie. The next page that renders shows it and clears the cookie.

// The flash cookie; see above.
const flashCookie = "fpr_flash"

// flashes are the confirmations a redirect can carry, by key.
var flashes = map[string]string{
	"registered":          "Welcome! Your account is ready and you are logged in.",
	"logged-in":           "You are logged in.",
	"logged-out":          "You are logged out.",
	"password-changed":    "Your password is changed. Your other devices were logged out.",
	"session-revoked":     "That session is ended: the device that used it is logged out.",
	"staff-mfa":           "Moderators and admins need two-factor authentication. Set it up here to continue.",
	"mfa-disabled":        "Two-factor authentication is off.",
	"review-published":    "Thank you! Your review is published.",
	"review-pending":      "Thank you! Your review will appear once a moderator has read it.",
	"review-updated":      "Your review is updated.",
	"review-deleted":      "The review is deleted.",
	"vote-saved":          "Thanks for your vote.",
	"vote-withdrawn":      "Your vote is withdrawn.",
	"flagged":             "Thank you. A moderator will look at this review.",
	"reply-saved":         "Your reply is saved.",
	"moderated":           "Your decision is recorded.",
	"farm-created":        "The farm is created.",
	"farm-updated":        "The farm is updated.",
	"product-created":     "The product is created.",
	"product-updated":     "The product is updated.",
	"product-deleted":     "The product is deleted.",
	"product-archived":    "The product has reviews, so it is archived: it left the lists and search, its page and reviews stay.",
	"farm-applied":        "Thank you! Your application is sent; we will e-mail you when an admin decides.",
	"farm-approved":       "The application is approved: the farm is created, its applicant is a producer and has been e-mailed.",
	"farm-rejected":       "The application is rejected; the applicant has been e-mailed your note.",
	"farm-rejected-quiet": "The application is rejected. Its applicant has deleted their account, so nobody was e-mailed.",
	"role-changed":        "The role is changed.",
	"error-resolved":      "The error is marked resolved. If it happens again, it reopens and alerts.",
	"photo-added":         "Your photo is added.",
	"photo-deleted":       "The photo is deleted.",
	"photo-set":           "The photo is saved.",
	"password-reset":      "Your new password is set and every session was logged out. Log in with it now.",
	"email-verified":      "Thank you! Your e-mail address is confirmed.",
	"profile-updated":     "Your display name is changed.",
	"email-change-sent":   "We mailed a link to the new address. The change happens when you open it.",
	"verification-sent":   "We mailed you a new link to confirm your e-mail address.",
	"notifications-saved": "Your e-mail notifications are saved.",
	"account-deleted":     "Your account is deleted. Your reviews stay, signed \"Former member\".",
}

// redirect answers a successful form post: 303 to url with a flash.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, url, flash string) error {
	if _, ok := flashes[flash]; !ok && flash != "" {
		return fmt.Errorf("redirect: unknown flash %q", flash)
	}
	if flash != "" {
		http.SetCookie(w, s.cookie(flashCookie, flash, 60))
	}
	// Callers pass paths they built or checked with fpr.SafeNext.
	http.Redirect(w, r, url, http.StatusSeeOther) //nolint:gosec // G710: see above
	return nil
}

// takeFlash returns the pending flash message, if any, and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, s.cookie(flashCookie, "", -1))
	return flashes[c.Value]
}

// cookie returns a cookie of the site: HttpOnly, SameSite=Lax, Path=/,
// and Secure when the site's public URL is https (plain-http development
// and tests could not send it back otherwise). maxAge is in seconds; 0
// means a browser-session cookie, negative deletes it.
func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // G124: Secure follows the base URL, see above
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(s.BaseURL, "https://"), SameSite: http.SameSiteLaxMode,
	}
}
