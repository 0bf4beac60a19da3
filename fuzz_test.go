package fpr_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fpr-team/fpr"
)

// Fuzz targets of the decoders of untrusted input that live in fpr: text
// hygiene, user agents, return paths, query strings, list parameters and
// Idempotency-Key values. CI runs each for a few seconds (.ci/run,
// FUZZTIME); inputs that once failed are kept in testdata/fuzz/.

func FuzzTextProblem(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x00b", "caf\xe9", "a\r\nb", "a\rb", "\u202e", "tab\there"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		kind := fpr.SingleLine
		if multi {
			kind = fpr.MultiLine
		}
		if fpr.TextProblem(s, kind) != "" {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("TextProblem(%q) accepted invalid UTF-8", s)
		}
		n := fpr.NormalizeNewlines(s)
		for _, r := range n {
			if r < 0x20 && !(kind == fpr.MultiLine && (r == '\n' || r == '\t')) || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("TextProblem(%q, %v) accepted control character %U", s, kind, r)
			}
		}
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/products?q=eggs", "/%09/evil.example", "//evil", "/\\evil", "/%2F%2Fevil",
		"https://evil.example", "javascript:alert(1)", "//user@evil", "/a#frag", "/%5C", "/\t/x", "/caf\xe9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := fpr.SafeNext(next)
		if got == "" || got[0] != '/' || strings.HasPrefix(got, "//") || strings.ContainsRune(got, '\\') {
			t.Fatalf("SafeNext(%q) = %q: not a path of this site", next, got)
		}
		if fpr.TextProblem(got, fpr.SingleLine) != "" {
			t.Fatalf("SafeNext(%q) = %q holds control characters or invalid UTF-8", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("SafeNext(%q) = %q parses as %+v (%v): not a local path", next, got, u, err)
		}
		if strings.HasPrefix(u.Path, "//") || strings.ContainsRune(u.Path, '\\') || fpr.TextProblem(u.Path, fpr.SingleLine) != "" {
			t.Fatalf("SafeNext(%q) = %q decodes to the path %q", next, got, u.Path)
		}
		if again := fpr.SafeNext(got); again != got {
			t.Fatalf("SafeNext is not stable: %q -> %q -> %q", next, got, again)
		}
	})
}

func FuzzValidateDisplayName(f *testing.F) {
	for _, s := range []string{"Ann", "admin", "ＡＤＭＩＮ", "Аdmin", "m0d", "Ann\u200b", "Former member", "Badminton fan"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if fpr.ValidateDisplayName(name) != "" {
			return
		}
		if fpr.TextProblem(name, fpr.SingleLine) != "" || fpr.ReservedName(name) {
			t.Fatalf("ValidateDisplayName accepted %q", name)
		}
		for _, r := range name {
			if fpr.Invisible(r) {
				t.Fatalf("ValidateDisplayName accepted %q with invisible %U", name, r)
			}
		}
		if n := utf8.RuneCountInString(name); n < 1 || n > fpr.MaxDisplayNameLength {
			t.Fatalf("ValidateDisplayName accepted %q of %d characters", name, n)
		}
	})
}

func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"ann@example.org", "аnn@example.org", "a\x00@b.c", "A@B.CO", "\"a b\"@c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		if fpr.ValidateEmail(email) != "" {
			return
		}
		for i := 0; i < len(email); i++ {
			if email[i] >= utf8.RuneSelf || email[i] < 0x20 || email[i] == 0x7f {
				t.Fatalf("ValidateEmail accepted %q with byte %#x", email, email[i])
			}
		}
	})
}

// FuzzQueries: any query string parses into list parameters without a
// panic, and what the parsers accept is clean text within the limits.
func FuzzQueries(f *testing.F) {
	for _, s := range []string{"", "limit=10&sort=newest", "limit=", "q=%00", "q=caf%E9", "rating=6", "min_rating=NaN",
		"limit=1e3", "cursor=abc&limit=-1", "sort=top_rated&category=eggs&farm_id=x"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, strict bool) {
		q, _ := url.ParseQuery(raw)
		if fpr.QueryProblems(q, strict) != nil {
			return
		}
		for name, vs := range q {
			for _, v := range vs {
				if fpr.TextProblem(v, fpr.SingleLine) != "" || fpr.TextProblem(name, fpr.SingleLine) != "" || (strict && v == "") {
					t.Fatalf("QueryProblems(%q) accepted %s=%q", raw, name, v)
				}
			}
		}
		if p, err := fpr.ParsePage(q); err == nil && (p.Limit < 1 || p.Limit > fpr.MaxLimit) {
			t.Fatalf("ParsePage(%q) = %+v", raw, p)
		} else if err != nil && fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Fatalf("ParsePage(%q) error %v, want validation_failed", raw, err)
		}
		if rf, err := fpr.ParseReviewQuery(q); err == nil {
			if !rf.Sort.Valid() || (rf.Rating != nil && (*rf.Rating < 1 || *rf.Rating > 5)) {
				t.Fatalf("ParseReviewQuery(%q) = %+v", raw, rf)
			}
		} else if fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Fatalf("ParseReviewQuery(%q) error %v, want validation_failed", raw, err)
		}
		if pf, err := fpr.ParseProductQuery(q); err == nil {
			if pf.MinRating != nil && !(*pf.MinRating >= 1 && *pf.MinRating <= 5) {
				t.Fatalf("ParseProductQuery(%q) = %+v", raw, pf)
			}
		} else if fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Fatalf("ParseProductQuery(%q) error %v, want validation_failed", raw, err)
		}
	})
}

func FuzzValidIdempotencyKey(f *testing.F) {
	for _, s := range []string{"k", "3f2c-11ee", "", "a b", "caf\xe9", strings.Repeat("k", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !fpr.ValidIdempotencyKey(key) {
			return
		}
		if key == "" || len(key) > fpr.MaxIdempotencyKeyLength || fpr.TextProblem(key, fpr.SingleLine) != "" || strings.ContainsAny(key, " \t") || !utf8.ValidString(key) {
			t.Fatalf("ValidIdempotencyKey accepted %q", key)
		}
		for _, r := range key {
			if r > 0x7e {
				t.Fatalf("ValidIdempotencyKey accepted non-ASCII %q", key)
			}
		}
	})
}

// cleanUserAgentCopy is CleanUserAgent as it was before its fast path for
// user agents that need no cleaning: the reference it must agree with.
func cleanUserAgentCopy(ua string) string {
	ua = strings.ToValidUTF8(ua, "")
	var b strings.Builder
	n := 0
	for _, r := range ua {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || fpr.Invisible(r) {
			continue
		}
		if n == fpr.MaxUserAgentLength {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

var userAgentSeeds = []string{
	"", " ", "curl/8.5.0", "Go-http-client/1.1",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
	"  padded  ", "tab\there", "nul\x00", "del\x7f", "c1\u0085", "bad\xffutf8", "\xff", "zw\u200bsp", "bidi\u202eevil",
	"tag\U000e0041", "replacement \ufffd kept", "ünïcödé 日本", "\u00a0nbsp\u00a0",
	strings.Repeat("a", fpr.MaxUserAgentLength), strings.Repeat("a", fpr.MaxUserAgentLength+1),
	strings.Repeat("é", fpr.MaxUserAgentLength) + " ", " " + strings.Repeat("b", fpr.MaxUserAgentLength),
	strings.Repeat("c", fpr.MaxUserAgentLength) + "\u200b", strings.Repeat("d", fpr.MaxUserAgentLength-1) + "\x00e",
}

func TestCleanUserAgent(t *testing.T) {
	for _, ua := range userAgentSeeds {
		if got, want := fpr.CleanUserAgent(ua), cleanUserAgentCopy(ua); got != want {
			t.Errorf("CleanUserAgent(%q) = %q, want %q", ua, got, want)
		}
	}
	// A user agent that needs no cleaning is not copied.
	ua := userAgentSeeds[4]
	if n := testing.AllocsPerRun(100, func() { _ = fpr.CleanUserAgent(ua) }); n != 0 {
		t.Errorf("CleanUserAgent of a clean user agent: %v allocations, want 0", n)
	}
}

func FuzzCleanUserAgent(f *testing.F) {
	for _, ua := range userAgentSeeds {
		f.Add(ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := fpr.CleanUserAgent(ua)
		if want := cleanUserAgentCopy(ua); got != want {
			t.Fatalf("CleanUserAgent(%q) = %q, want %q", ua, got, want)
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > fpr.MaxUserAgentLength {
			t.Fatalf("CleanUserAgent(%q) = %q", ua, got)
		}
	})
}
