package mail_test

import (
	"io/fs"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/mail"
	"github.com/fpr-team/fpr/web"
)

// hostile is user text as an attacker would write it into a name or a
// note that ends up in a mail.
const hostile = `<script>alert(1)</script> & "quotes" <a href="https://evil.example">x</a>`

var dataKey = regexp.MustCompile(`\.Data\.([a-z_]+)`)

// dataKeys returns the keys of .Data that kind's templates read.
func dataKeys(t *testing.T, kind fpr.MailKind) []string {
	t.Helper()
	seen := map[string]bool{}
	var keys []string
	for _, ext := range []string{".txt", ".html"} {
		src, err := fs.ReadFile(web.FS, "templates/mail/"+string(kind)+ext)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range dataKey.FindAllStringSubmatch(string(src), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				keys = append(keys, m[1])
			}
		}
	}
	return keys
}

// TestRenderer_EveryKind renders every mail kind with hostile text in
// every value its templates read: the subject stays one line, both parts
// are there, and the HTML part escapes every value.
func TestRenderer_EveryKind(t *testing.T) {
	t.Parallel()
	r, err := mail.NewRenderer(web.FS, "https://fpr.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range fpr.MailKinds {
		t.Run(string(kind), func(t *testing.T) {
			data := map[string]string{}
			for _, k := range dataKeys(t, kind) {
				data[k] = hostile + "\r\nBcc: victim@example.org"
			}
			// The branches keyed by action: each value the kind knows, and a
			// hostile one.
			for _, action := range []string{"", "approve", "reject", "publish", "remove", hostile} {
				data["action"] = action
				msg, err := r.Render(&fpr.Mail{ID: "m1", Kind: kind, To: "ann@example.org", Data: data})
				if err != nil {
					t.Fatalf("Render(action %q): %v", action, err)
				}
				if msg.Subject == "" || strings.ContainsAny(msg.Subject, "\r\n") {
					t.Errorf("action %q: subject %q, want one non-empty line", action, msg.Subject)
				}
				if strings.TrimSpace(msg.Text) == "" || !strings.Contains(msg.HTML, "</html>") {
					t.Errorf("action %q: a part is missing:\n%s\n%s", action, msg.Text, msg.HTML)
				}
				if strings.Contains(msg.HTML, "<script>") || strings.Contains(msg.HTML, `href="https://evil.example"`) {
					t.Errorf("action %q: user text unescaped in the HTML part:\n%s", action, msg.HTML)
				}
			}
		})
	}
}

// TestRenderer_FarmApplicationDecided: the approval links to the new
// farm's page and to adding a product; the rejection gives the admin's
// note and the way to apply again; neither is a switchable notification.
func TestRenderer_FarmApplicationDecided(t *testing.T) {
	t.Parallel()
	r, err := mail.NewRenderer(web.FS, "https://fpr.example")
	if err != nil {
		t.Fatal(err)
	}
	approved, err := r.Render(&fpr.Mail{ID: "m1", Kind: fpr.MailFarmApplicationDecided, To: "ann@example.org",
		Data: map[string]string{"display_name": "Ann", "farm_name": "Brook <Farm>", "action": "approve", "farm_id": "f123", "note": "Welcome!"}})
	if err != nil {
		t.Fatal(err)
	}
	if approved.Subject != "Your application to list Brook <Farm> is approved" {
		t.Errorf("approval subject = %q", approved.Subject)
	}
	for _, want := range []string{"https://fpr.example/farms/f123", "https://fpr.example/admin/farms/f123#new-product", "The admin's note: Welcome!", "Brook <Farm>"} {
		if !strings.Contains(approved.Text, want) {
			t.Errorf("approval text lacks %q:\n%s", want, approved.Text)
		}
	}
	for _, want := range []string{`href="https://fpr.example/farms/f123"`, `href="https://fpr.example/admin/farms/f123#new-product"`, "Brook &lt;Farm&gt;"} {
		if !strings.Contains(approved.HTML, want) {
			t.Errorf("approval HTML lacks %q:\n%s", want, approved.HTML)
		}
	}
	if approved.Unsubscribe != "" || strings.Contains(approved.HTML, "Stop these e-mails") {
		t.Errorf("the answer to an application offers to unsubscribe: %q", approved.Unsubscribe)
	}

	rejected, err := r.Render(&fpr.Mail{ID: "m2", Kind: fpr.MailFarmApplicationDecided, To: "bob@example.org",
		Data: map[string]string{"display_name": "Bob", "farm_name": "Bob's Barn", "action": "reject", "note": "We could not reach you at <0123>."}})
	if err != nil {
		t.Fatal(err)
	}
	if rejected.Subject != "Your application to list Bob's Barn was not approved" {
		t.Errorf("rejection subject = %q", rejected.Subject)
	}
	for _, want := range []string{"The admin's note: We could not reach you at <0123>.", "You may apply again", "https://fpr.example/account/farm-application"} {
		if !strings.Contains(rejected.Text, want) {
			t.Errorf("rejection text lacks %q:\n%s", want, rejected.Text)
		}
	}
	if !strings.Contains(rejected.HTML, "We could not reach you at &lt;0123&gt;.") || strings.Contains(rejected.HTML, "/farms/") {
		t.Errorf("rejection HTML: want the escaped note and no farm link:\n%s", rejected.HTML)
	}
}

// TestRenderer_ReviewReceived: one review links to it; a mail that tells
// of several (fpr.ReviewMailInterval) counts them, names the newest and
// links to the producer's review inbox. A mail written before counts
// existed reads as one review.
func TestRenderer_ReviewReceived(t *testing.T) {
	t.Parallel()
	r, err := mail.NewRenderer(web.FS, "https://fpr.example")
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"product_id": "p1", "product_name": "Cider <apples>", "rating": "4", "review_id": "r9", "unsubscribe_token": "tok"}
	for _, count := range []string{"", "1"} {
		data := maps.Clone(base)
		if count != "" {
			data["count"] = count
		}
		one, err := r.Render(&fpr.Mail{ID: "m1", Kind: fpr.MailReviewReceived, To: "ann@example.org", Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if one.Subject != "New review of Cider <apples>" || !strings.Contains(one.Text, "https://fpr.example/products/p1#review-r9") ||
			!strings.Contains(one.Text, "(4 of 5 stars)") || !strings.Contains(one.HTML, `href="https://fpr.example/products/p1#review-r9"`) {
			t.Errorf("count %q: %q\n%s\n%s", count, one.Subject, one.Text, one.HTML)
		}
	}
	data := maps.Clone(base)
	data["count"] = "12"
	many, err := r.Render(&fpr.Mail{ID: "m2", Kind: fpr.MailReviewReceived, To: "ann@example.org", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if many.Subject != "12 new reviews of your products" {
		t.Errorf("subject = %q", many.Subject)
	}
	for _, want := range []string{"12 new reviews", "The latest: Cider <apples>, 4 of 5 stars.", "https://fpr.example/account/farm-reviews", "unsubscribe?token=tok"} {
		if !strings.Contains(many.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, many.Text)
		}
	}
	if !strings.Contains(many.HTML, `href="https://fpr.example/account/farm-reviews"`) || !strings.Contains(many.HTML, "Cider &lt;apples&gt;") ||
		strings.Contains(many.HTML, "#review-r9") {
		t.Errorf("HTML:\n%s", many.HTML)
	}
	if many.Unsubscribe == "" {
		t.Error("no List-Unsubscribe on a notification")
	}
}
