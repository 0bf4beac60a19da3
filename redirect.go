package fpr

import (
	"net/url"
	"strings"
)

// MaxNextLength bounds a return path ("next") worth keeping.
const MaxNextLength = 2048

// SafeNext returns next, re-encoded, when it is a path on this site, else
// "/": a return path ("next" after logging in or registering, a form's
// way back) must never send anyone to another site. It parses next as a
// URL and refuses anything a browser could read as another origin:
// a scheme ("https:", "javascript:"), a host or userinfo ("//evil",
// "/\evil", which browsers treat as "//evil"), control characters
// ("/\t/evil", which browsers strip to "//evil"), and encoded slashes,
// backslashes or controls that decode to those ("/%2F%2Fevil",
// "/%5Cevil", "/%09/evil").
func SafeNext(next string) string {
	if next == "" || len(next) > MaxNextLength || next[0] != '/' || TextProblem(next, SingleLine) != "" ||
		strings.ContainsRune(next, '\\') || strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	// The decoded path must still be a plain path of this site.
	p := u.Path
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') ||
		TextProblem(p, SingleLine) != "" || strings.Contains(strings.ToLower(u.RawPath), "%2f") {
		return "/"
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	if strings.HasPrefix(out, "//") || strings.ContainsRune(out, '\\') {
		return "/"
	}
	return out
}
