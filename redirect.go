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
	// Re-encoding may lengthen it (each '"' becomes "%22"); what is
	// returned must pass SafeNext again, unchanged.
	if len(out) > MaxNextLength || strings.HasPrefix(out, "//") || strings.ContainsRune(out, '\\') {
		return "/"
	}
	return out
}

// RedactURL returns what of a URL may be shown in logs, stored errors and
// pages: its scheme and host ("https://hooks.example:8443"). Paths, query
// strings and userinfo of webhook and database URLs hold secrets (tokens,
// passwords, user names). A URL that does not parse, or has no host, is
// "[redacted]"; a sqlite: URL keeps its scheme only.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "[redacted]"
	}
	if u.Host == "" {
		return u.Scheme + ":[redacted]"
	}
	return u.Scheme + "://" + u.Host
}

// RedactError returns err's text with every occurrence of the secret URL
// raw (and of its path and query, which errors sometimes quote alone)
// replaced by RedactURL(raw). Errors of HTTP clients and database drivers
// quote the URL they failed on.
func RedactError(err error, raw string) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if raw == "" {
		return msg
	}
	red := RedactURL(raw)
	msg = strings.ReplaceAll(msg, raw, red)
	if u, perr := url.Parse(raw); perr == nil {
		for _, secret := range []string{u.RawQuery, u.EscapedPath(), u.Path, u.User.String()} {
			if len(secret) > 1 {
				msg = strings.ReplaceAll(msg, secret, "[redacted]")
			}
		}
	}
	return msg
}
