package ops_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a response with its parsed document.
type page struct {
	Status   int
	Location string
	Doc      *goquery.Document
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header.Get("Location"), doc}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(u *fprtest.TestUser) {
	b.t.Helper()
	if p := b.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "next": {"/"}}); p.Status != http.StatusSeeOther {
		b.t.Fatalf("log in %s: %d", u.User.Email, p.Status)
	}
}

// TestOpsPages walks an admin from a request ID a user quotes to the stack
// and the release: the Operations link, then Find.
func TestOpsPages(t *testing.T) {
	t.Parallel()
	env := newMonitorEnv(t, "")
	admin := env.MustUser(t, fpr.RoleAdmin)
	member := env.MustUser(t, fpr.RoleMember)
	env.auth.set("typo")
	_, rid := env.register(t, 1)
	fp := mustFindRequest(t, env, admin.Token, rid).Fingerprint

	b := newBrowser(t, env.URL)
	b.login(admin)
	home := b.get("/")
	link, ok := home.Doc.Find("nav[aria-label=Main] a#nav-ops").Attr("href")
	if !ok || link != "/ops" {
		t.Fatalf("admin's main navigation has no Operations link (got %q)", link)
	}
	// Click 1: Operations.
	ops := b.get(link)
	if ops.Status != http.StatusOK || ops.Doc.Find("#group-"+fp).Length() != 1 {
		t.Fatalf("GET /ops = %d, group row #group-%s found %d times, want 200 and 1", ops.Status, fp, ops.Doc.Find("#group-"+fp).Length())
	}
	form := ops.Doc.Find("form#request-search")
	action, _ := form.Attr("action")
	name, _ := form.Find("input[type=search]").Attr("name")
	if action == "" || name == "" {
		t.Fatalf("no request ID search form on /ops")
	}
	// Click 2: Find, with the request ID.
	found := b.get(action + "?" + url.Values{name: {rid}}.Encode())
	if found.Status != http.StatusSeeOther || !strings.HasPrefix(found.Location, "/ops/errors/"+fp) {
		t.Fatalf("request ID search = %d to %q, want 303 to the group %s", found.Status, found.Location, fp)
	}
	group := b.get(strings.SplitN(found.Location, "#", 2)[0])
	if group.Status != http.StatusOK {
		t.Fatalf("group page = %d", group.Status)
	}
	for sel, want := range map[string]string{
		"#group-first-release": "test",
		"#group-status":        "open",
	} {
		if got := strings.TrimSpace(group.Doc.Find(sel).Text()); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if stack := group.Doc.Find("#group-stack").Text(); !strings.Contains(stack, "goroutine") {
		t.Errorf("group stack = %q, want a goroutine stack", stack)
	}
	ev := group.Doc.Find("#events li.current")
	if id, _ := ev.Attr("data-request-id"); id != rid || !strings.Contains(ev.Find("pre.stack").Text(), "goroutine") {
		t.Errorf("highlighted event = %q with stack %v, want %s with its stack", id, ev.Find("pre.stack").Length(), rid)
	}

	for _, path := range []string{"/ops/releases", "/ops/alerts"} {
		if p := b.get(path); p.Status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, p.Status)
		}
	}
	rels := b.get("/ops/releases")
	if rels.Doc.Find("#release-test[data-new-errors='1']").Length() != 1 {
		t.Errorf("releases page does not show release test with 1 new error")
	}
	// Started on its own schema: a number, and no revert badge.
	if got := strings.TrimSpace(rels.Doc.Find("#release-test .release-schema").Text()); !regexp.MustCompile(`^\d{4}$`).MatchString(got) {
		t.Errorf("release test schema cell = %q, want its schema version alone (no revert)", got)
	}
	if p := b.get("/ops/requests?id=no-such-request"); p.Status != http.StatusNotFound {
		t.Errorf("unknown request ID = %d, want 404", p.Status)
	}

	resolve, _ := group.Doc.Find("form#resolve-form").Attr("action")
	if p := b.post(resolve, nil); p.Status != http.StatusSeeOther {
		t.Fatalf("resolve = %d, want 303", p.Status)
	}
	if got := strings.TrimSpace(b.get("/ops/errors/" + fp).Doc.Find("#group-status").Text()); got != "resolved" {
		t.Errorf("status after resolving = %q, want resolved", got)
	}

	// Others may not see it.
	mb := newBrowser(t, env.URL)
	mb.login(member)
	for _, path := range []string{"/ops", "/ops/errors/" + fp, "/ops/releases", "/ops/alerts", "/ops/requests?id=" + rid} {
		if p := mb.get(path); p.Status != http.StatusForbidden {
			t.Errorf("member GET %s = %d, want 403", path, p.Status)
		}
	}
	if p := mb.get("/"); p.Doc.Find("#nav-ops").Length() != 0 {
		t.Errorf("a member's navigation shows Operations")
	}
	if p := mb.post("/ops/errors/"+fp+"/resolve", nil); p.Status != http.StatusForbidden {
		t.Errorf("member resolve = %d, want 403", p.Status)
	}
	if p := newBrowser(t, env.URL).get("/ops"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Errorf("anonymous GET /ops = %d to %q, want 303 to the log-in page", p.Status, p.Location)
	}
}
