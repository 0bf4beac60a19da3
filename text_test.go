package fpr_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
)

func TestTextProblem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		s    string
		kind fpr.TextKind
		ok   bool
	}{
		{"Plain", "Fresh eggs, 6 € a dozen", fpr.SingleLine, true},
		{"Empty", "", fpr.SingleLine, true},
		{"NUL", "eggs\x00", fpr.SingleLine, false},
		{"NULInBody", "eggs\x00", fpr.MultiLine, false},
		{"Bell", "a\x07b", fpr.MultiLine, false},
		{"Escape", "a\x1b[31mred", fpr.MultiLine, false},
		{"DEL", "a\x7fb", fpr.SingleLine, false},
		{"C1", "a\u0085b", fpr.MultiLine, false},
		{"NewlineInName", "a\nb", fpr.SingleLine, false},
		{"TabInName", "a\tb", fpr.SingleLine, false},
		{"NewlineInBody", "a\nb", fpr.MultiLine, true},
		{"TabInBody", "a\tb", fpr.MultiLine, true},
		{"CRLFInBody", "a\r\nb", fpr.MultiLine, true},
		{"LoneCRInBody", "a\rb", fpr.MultiLine, false},
		{"CRAtEnd", "a\r", fpr.MultiLine, false},
		{"InvalidUTF8", "caf\xe9", fpr.SingleLine, false},
		{"InvalidUTF8Body", "caf\xe9", fpr.MultiLine, false},
		{"Surrogate", "\xed\xa0\x80", fpr.MultiLine, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.TextProblem(tt.s, tt.kind); (got == "") != tt.ok {
				t.Errorf("TextProblem(%q, %v) = %q, want ok=%v", tt.s, tt.kind, got, tt.ok)
			}
		})
	}
}

func TestValidateDisplayName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"Plain", "Ann Baker", true},
		{"Accents", "Zoë Château", true},
		{"Cyrillic", "Анна", true},
		{"ContainsAdmin", "Badminton fan", true},
		{"ContainsWord", "Ann, farm helper", true},
		{"Member", "Member", true},
		{"Team", "Team Ann", true},
		{"Empty", "", false},
		{"TooLong", strings.Repeat("a", fpr.MaxDisplayNameLength+1), false},
		{"Longest", strings.Repeat("a", fpr.MaxDisplayNameLength), true},
		{"NUL", "Ann\x00", false},
		{"Newline", "Ann\nBaker", false},
		{"RLO", "Ann\u202eBaker", false},
		{"RLM", "Ann\u200f", false},
		{"Isolate", "\u2067Ann", false},
		{"ZeroWidthSpace", "Ad\u200bmin", false},
		{"ZeroWidthJoiner", "Ann\u200d", false},
		{"BOM", "\ufeffAnn", false},
		{"SoftHyphen", "Ad\u00admin", false},
		{"Admin", "admin", false},
		{"AdminUpper", "ADMIN", false},
		{"Administrator", "Administrator", false},
		{"Moderator", "Moderator", false},
		{"FPR", "FPR", false},
		{"FPRSupport", "FPR Support", false},
		{"FPRDashTeam", "fpr-team", false},
		{"TheModerators", "The Moderators", false},
		{"Support", "support", false},
		{"FullWidth", "ＡＤＭＩＮ", false},
		{"CyrillicA", "Аdmin", false},
		{"Leet", "m0derat0r", false},
		{"Digits", "admin2", false},
		{"Accented", "Ádmin", false},
		{"Dotted", "a.d.m.i.n", true}, // words "a", "d", … are not reserved
		{"FormerMember", "Former member", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.ValidateDisplayName(tt.in); (got == "") != tt.ok {
				t.Errorf("ValidateDisplayName(%q) = %q, want ok=%v", tt.in, got, tt.ok)
			}
		})
	}
}

func TestValidateEmail_LookAlikes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"Plain", "ann@example.org", true},
		{"Plus", "ann+fpr@example.org", true},
		{"Punycode", "ann@xn--bcher-kva.example", true},
		{"CyrillicLocal", "аnn@example.org", false},
		{"FullWidth", "ａnn@example.org", false},
		{"UnicodeDomain", "ann@bücher.example", false},
		{"NUL", "ann\x00@example.org", false},
		{"InvalidUTF8", "ann\xff@example.org", false},
		{"Tab", "ann\t@example.org", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.ValidateEmail(tt.in); (got == "") != tt.ok {
				t.Errorf("ValidateEmail(%q) = %q, want ok=%v", tt.in, got, tt.ok)
			}
		})
	}
	if a, b := fpr.NormalizeEmail(" Ann@Example.ORG "), fpr.NormalizeEmail("ann@example.org"); a != b {
		t.Errorf("NormalizeEmail: %q != %q", a, b)
	}
}

// TestValidate_EveryTextField: each Validate method refuses NUL, a control
// character and invalid UTF-8 in each of its text fields, naming it.
func TestValidate_EveryTextField(t *testing.T) {
	t.Parallel()
	bad := map[string]string{"NUL": "a\x00b", "Control": "a\x1bb", "InvalidUTF8": "a\xffb"}
	cases := map[string]func(v string) error{
		"registration/email": func(v string) error {
			r := fpr.Registration{Email: v + "@example.org", Password: "long enough pw", DisplayName: "Ann"}
			return r.Validate()
		},
		"registration/password": func(v string) error {
			r := fpr.Registration{Email: "ann@example.org", Password: "long enough " + v, DisplayName: "Ann"}
			return r.Validate()
		},
		"registration/display_name": func(v string) error {
			r := fpr.Registration{Email: "ann@example.org", Password: "long enough pw", DisplayName: v}
			return r.Validate()
		},
		"credentials/email":    func(v string) error { c := fpr.Credentials{Email: v, Password: "x"}; return c.Validate() },
		"credentials/password": func(v string) error { c := fpr.Credentials{Email: "a@b.c", Password: v}; return c.Validate() },
		"review/title":         func(v string) error { r := fpr.Review{Rating: 4, Title: v, Body: "ok"}; return r.Validate() },
		"review/body":          func(v string) error { r := fpr.Review{Rating: 4, Body: v}; return r.Validate() },
		"reply/body":           func(v string) error { return fpr.ValidateReplyBody(v) },
		"flag/note":            func(v string) error { f := fpr.Flag{Reason: fpr.FlagSpam, Note: v}; return f.Validate() },
		"moderation/note":      func(v string) error { return fpr.ValidateModeration(fpr.ActionPublish, v, "") },
		"farm/name":            func(v string) error { f := fpr.Farm{Name: v, Region: "Kent"}; return f.Validate() },
		"farm/region":          func(v string) error { f := fpr.Farm{Name: "F", Region: v}; return f.Validate() },
		"farm/description": func(v string) error {
			f := fpr.Farm{Name: "F", Region: "Kent", Description: v}
			return f.Validate()
		},
		"farm/owner_id": func(v string) error { f := fpr.Farm{Name: "F", Region: "Kent", OwnerID: v}; return f.Validate() },
		"product/name": func(v string) error {
			p := fpr.Product{Name: v, Unit: "kg", Category: "eggs"}
			return p.Validate()
		},
		"product/description": func(v string) error {
			p := fpr.Product{Name: "P", Unit: "kg", Category: "eggs", Description: v}
			return p.Validate()
		},
		"product/unit": func(v string) error { p := fpr.Product{Name: "P", Unit: v, Category: "eggs"}; return p.Validate() },
	}
	for name, validate := range cases {
		field := name[strings.IndexByte(name, '/')+1:]
		for kind, v := range bad {
			t.Run(name+"/"+kind, func(t *testing.T) {
				err := validate(v)
				if fpr.ErrorCode(err) != fpr.CodeValidationFailed || fpr.ErrorFields(err)[field] == "" {
					t.Errorf("err = %v (fields %v), want validation_failed naming %s", err, fpr.ErrorFields(err), field)
				}
			})
		}
	}
}

func TestReview_ValidateNormalizesNewlines(t *testing.T) {
	t.Parallel()
	r := fpr.Review{Rating: 5, Body: "Line one\r\nLine two\tend"}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Body != "Line one\nLine two\tend" {
		t.Errorf("Body = %q, want CRLF as LF and the tab kept", r.Body)
	}
}

func TestQueryProblems(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		raw    string
		strict bool
		field  string
	}{
		{"Fine", "limit=10&sort=newest", true, ""},
		{"EmptyLenient", "limit=&sort=", false, ""},
		{"EmptyLimitStrict", "limit=", true, "limit"},
		{"EmptySortStrict", "sort=&limit=5", true, "sort"},
		{"EmptyCursorStrict", "cursor=", true, "cursor"},
		{"NUL", "q=a%00b", false, "q"},
		{"InvalidUTF8", "q=caf%E9", false, "q"},
		{"Control", "q=%1b", false, "q"},
		{"BadName", "%00=1", false, "query"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.raw)
			err := fpr.QueryProblems(q, tt.strict)
			if tt.field == "" {
				if err != nil {
					t.Errorf("QueryProblems(%q) = %v, want nil", tt.raw, err)
				}
				return
			}
			if fpr.ErrorFields(err)[tt.field] == "" {
				t.Errorf("QueryProblems(%q) = %v (%v), want a problem with %s", tt.raw, err, fpr.ErrorFields(err), tt.field)
			}
		})
	}
}

func TestFormProblems(t *testing.T) {
	t.Parallel()
	form := url.Values{"body": {"ok\r\n\ttext"}, "title": {"ok"}}
	if err := fpr.FormProblems(form); err != nil {
		t.Errorf("FormProblems(clean) = %v", err)
	}
	form["title"] = []string{"caf\xe9"}
	form["body"] = []string{"a\x00"}
	err := fpr.FormProblems(form)
	if f := fpr.ErrorFields(err); f["title"] == "" || f["body"] == "" {
		t.Errorf("FormProblems = %v, want title and body named", f)
	}
}

func TestGivenID(t *testing.T) {
	t.Parallel()
	if id, err := fpr.GivenID("owner_id", nil); id != "" || err != nil {
		t.Errorf("GivenID(nil) = %q, %v", id, err)
	}
	blank := " "
	if _, err := fpr.GivenID("owner_id", &blank); fpr.ErrorFields(err)["owner_id"] == "" {
		t.Errorf("GivenID(blank) = %v, want owner_id named", err)
	}
	id := "abc"
	if got, err := fpr.GivenID("owner_id", &id); got != "abc" || err != nil {
		t.Errorf("GivenID(abc) = %q, %v", got, err)
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		key string
		ok  bool
	}{
		{"a", true}, {"3f2c-11ee-be56", true}, {strings.Repeat("k", 255), true},
		{"", false}, {strings.Repeat("k", 256), false}, {"a b", false}, {"caf\xe9", false},
		{"é", false}, {"a\x00", false}, {"a\tb", false},
	} {
		if got := fpr.ValidIdempotencyKey(tt.key); got != tt.ok {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", tt.key, got, tt.ok)
		}
	}
}

// TestSafeNext: every trick that sent people off-site after logging in.
func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in, want string
	}{
		{"Empty", "", "/"},
		{"Root", "/", "/"},
		{"Path", "/products/abc", "/products/abc"},
		{"Query", "/products?q=eggs&sort=name", "/products?q=eggs&sort=name"},
		{"Fragment", "/products/abc#review-1", "/products/abc#review-1"},
		{"EncodedSpace", "/products?q=free%20range", "/products?q=free%20range"},
		{"Issue10TabEncoded", "/%09/evil.example", "/"},
		{"RawTab", "/\t/evil.example", "/"},
		{"TabAfterSlash", "/\t/\t/evil.example", "/"},
		{"Newline", "/\n/evil.example", "/"},
		{"CR", "/\r/evil.example", "/"},
		{"EncodedNewline", "/%0a/evil.example", "/"},
		{"NUL", "/\x00/evil.example", "/"},
		{"EncodedNUL", "/%00", "/"},
		{"Backslash", "/\\evil.example", "/"},
		{"BackslashFirst", "\\\\evil.example", "/"},
		{"EncodedBackslash", "/%5Cevil.example", "/"},
		{"EncodedBackslashLower", "/%5cevil.example", "/"},
		{"EncodedSlashes", "/%2F%2Fevil.example", "/"},
		{"EncodedSlashLower", "/%2f%2fevil.example", "/"},
		{"OneEncodedSlash", "/%2Fevil.example", "/"},
		{"ProtocolRelative", "//evil.example", "/"},
		{"ProtocolRelativePath", "//evil.example/login", "/"},
		{"TripleSlash", "///evil.example", "/"},
		{"HTTPS", "https://evil.example/", "/"},
		{"HTTP", "http://evil.example", "/"},
		{"SchemeRelativeNoSlash", "https:evil.example", "/"},
		{"JavaScript", "javascript:alert(1)", "/"},
		{"JavaScriptUpper", "JaVaScRiPt:alert(1)", "/"},
		{"Data", "data:text/html,<script>alert(1)</script>", "/"},
		{"Userinfo", "//user@evil.example", "/"},
		{"UserinfoHTTPS", "https://fpr.example@evil.example/", "/"},
		{"Relative", "evil.example", "/"},
		{"DotRelative", "./evil", "/"},
		{"InvalidUTF8", "/caf\xe9", "/"},
		{"Unicode", "/products?q=Château", "/products?q=Château"},
		{"TooLong", "/" + strings.Repeat("a", fpr.MaxNextLength), "/"},
		{"BadEscape", "/%zz", "/"},
		{"SpaceLeading", " /products", "/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.SafeNext(tt.in); got != tt.want {
				t.Errorf("SafeNext(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"https://hooks.example/T000/B000/secret-token?token=abc", "https://hooks.example"},
		{"https://user:pass@hooks.example:8443/x", "https://hooks.example:8443"},
		{"postgres://fpr:hunter2@db.internal:5432/fpr_live?sslmode=require", "postgres://db.internal:5432"},
		{"sqlite:fpr-data/fpr.db", "sqlite:[redacted]"},
		{"not a url\x00", "[redacted]"},
	} {
		if got := fpr.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	raw := "https://hooks.example/hook/path-secret?token=query-secret"
	msg := fpr.RedactError(errors.New(`Post "https://hooks.example/hook/path-secret?token=query-secret": dial tcp: refused; path /hook/path-secret`), raw)
	if strings.Contains(msg, "secret") {
		t.Errorf("RedactError = %q, still holds a secret", msg)
	}
}

// TestRegistration_OperatorMayUseReservedNames: `fpr user add` (the
// operator vouches) may name an account "Admin"; a self-registration may
// not, and the operator is held to every other rule.
func TestRegistration_OperatorMayUseReservedNames(t *testing.T) {
	t.Parallel()
	r := fpr.Registration{Email: "admin@example.org", Password: "long enough pw", DisplayName: "admin", ByOperator: true}
	if err := r.Validate(); err != nil {
		t.Errorf("operator's Admin: %v", err)
	}
	r.ByOperator = false
	if err := r.Validate(); fpr.ErrorFields(err)["display_name"] == "" {
		t.Errorf("self-registered Admin: %v, want display_name refused", err)
	}
	r = fpr.Registration{Email: "admin@example.org", Password: "long enough pw", DisplayName: "Ad\u200bmin", ByOperator: true}
	if err := r.Validate(); fpr.ErrorFields(err)["display_name"] == "" {
		t.Errorf("operator's zero-width name: %v, want display_name refused", err)
	}
}
