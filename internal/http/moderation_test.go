package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

func TestModerationPages(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithModeration(fpr.ModerationPre))
	c := mustCatalogue(t, env, "Buckwheat flour")
	author := mustReviewer(t, env, 1)
	rv := &fpr.Review{ProductID: c.product.ID, Rating: 3, Title: "Fine", Body: "Coarse but good."}
	if err := env.DB.CreateReview(env.Ctx(author), rv); err != nil {
		t.Fatal(err)
	}
	if rv.Status != fpr.StatusPending {
		t.Fatalf("under pre-moderation the review is %s, want pending", rv.Status)
	}
	mod := env.MustUser(t, fpr.RoleModerator)
	member := env.MustUser(t, fpr.RoleMember)

	anon := newBrowser(t, env)
	if n := anon.get("/users/" + author.ID).find(".person-review").Length(); n != 0 {
		t.Errorf("the author's public page shows %d pending reviews", n)
	}
	if p := anon.get("/moderation"); p.StatusCode != http.StatusSeeOther || p.header("Location") != "/login?next=%2Fmoderation" {
		t.Errorf("anonymous GET /moderation = %d to %q, want 303 to log in", p.StatusCode, p.header("Location"))
	}
	m := newBrowser(t, env)
	m.login(member)
	for _, path := range []string{"/moderation", "/moderation/reviews/" + rv.ID} {
		if p := m.get(path); p.StatusCode != http.StatusForbidden {
			t.Errorf("member GET %s = %d, want 403", path, p.StatusCode)
		}
	}
	if p := m.post("/moderation/reviews/"+rv.ID, url.Values{"action": {"publish"}}); p.StatusCode != http.StatusForbidden {
		t.Errorf("member POST decision = %d, want 403", p.StatusCode)
	}

	// Under pre-moderation a review from the page waits, and says so.
	p := m.follow(m.post("/products/"+c.product.ID+"/reviews", url.Values{"rating": {"5"}, "body": {"Great flour."}}))
	if got := p.text("#flash"); got != "Thank you! Your review will appear once a moderator has read it." {
		t.Errorf("flash after a pre-moderated review = %q", got)
	}
	if got := p.text("#your-review .status"); got != "Waiting for moderation" {
		t.Errorf("the author's review status = %q, want Waiting for moderation", got)
	}

	b := newBrowser(t, env)
	b.login(mod)
	p = b.get("/moderation")
	if p.StatusCode != http.StatusOK {
		t.Fatalf("moderator GET /moderation = %d, want 200", p.StatusCode)
	}
	item := "#queue-" + rv.ID
	if p.find(item).Length() != 1 || p.attr(item, "data-status") != "pending" {
		t.Fatalf("the pending review is not in the queue")
	}
	if got := p.text(item + " h2"); got != "Buckwheat flour" {
		t.Errorf("queue item product = %q", got)
	}
	if p.find("nav[aria-label=Main] a[href='/moderation']").Length() != 1 {
		t.Errorf("a moderator's navigation has no moderation link")
	}

	// No action: 422 beside the field, the note kept.
	id := "decide-" + rv.ID
	p = b.post("/moderation/reviews/"+rv.ID, url.Values{"note": {"Looks fine"}, "next": {"/moderation"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("decision without action = %d, want 422", p.StatusCode)
	}
	if got := p.text("#" + id + "-action-error"); got == "" {
		t.Errorf("no error beside the action")
	}
	if got := p.text("#" + id + "-note"); got != "Looks fine" {
		t.Errorf("note = %q, want the input kept", got)
	}

	p = b.follow(b.post("/moderation/reviews/"+rv.ID, url.Values{"action": {"publish"}, "note": {"Looks fine"}, "next": {"/moderation"}}))
	if got := p.text("#flash"); got != "Your decision is recorded." {
		t.Errorf("flash = %q", got)
	}
	if p.find(item).Length() != 0 {
		t.Errorf("the published review is still in the queue")
	}
	if got := histogram(t, anon.get("/products/"+c.product.ID)); got != [5]int{0, 0, 1, 0, 0} {
		t.Errorf("histogram after publishing = %v", got)
	}

	p = b.get("/moderation/reviews/" + rv.ID)
	if p.StatusCode != http.StatusOK {
		t.Fatalf("GET the review's moderation page = %d", p.StatusCode)
	}
	rows := p.find("#audit-log-table tbody tr")
	if rows.Length() != 1 || strings.TrimSpace(rows.Find(".log-action").Text()) != "publish" || !strings.Contains(rows.Text(), "Looks fine") || !strings.Contains(rows.Text(), mod.User.DisplayName) {
		t.Errorf("audit log = %q, want one publish by %s with the note", rows.Text(), mod.User.DisplayName)
	}
	p = b.follow(b.post("/moderation/reviews/"+rv.ID, url.Values{"action": {"remove"}, "note": {"Spam after all"}, "next": {"/moderation/reviews/" + rv.ID}}))
	if n := p.find("#audit-log-table tbody tr").Length(); n != 2 {
		t.Errorf("audit log has %d entries after a second decision, want 2", n)
	}
	if got := p.attr("#review-"+rv.ID, "data-status"); got != "removed" {
		t.Errorf("status after remove = %q", got)
	}
}
