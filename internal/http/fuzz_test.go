package http

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fpr-team/fpr"
)

// Fuzz targets of the HTTP decoders of untrusted input: JSON bodies and
// posted forms. CI runs each for a few seconds (.ci/run, FUZZTIME).

// FuzzDecodeJSON: any body either decodes into the request struct or is a
// bad_request or payload_too_large error, never a panic or another error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"rating":4,"title":"t","body":"b"}`, `null`, ` null `, `[]`, `"x"`, `4`, `{}`, `{"rating":"4"}`,
		`{"extra":1}`, `{"body":"a"} {"body":"b"}`, `{"body":"\u0000"}`, `{`, "", "\xff", `{"title":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in struct {
			Rating *int    `json:"rating"`
			Title  *string `json:"title"`
			Body   *string `json:"body"`
		}
		r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
		w := httptest.NewRecorder()
		err := decodeJSON(w, r, &in)
		if err == nil {
			if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
				t.Fatalf("decodeJSON accepted %q, which is not an object", body)
			}
			return
		}
		switch fpr.ErrorCode(err) {
		case fpr.CodeBadRequest, fpr.CodePayloadTooLarge:
		default:
			t.Fatalf("decodeJSON(%q) = %v, want bad_request or payload_too_large", body, err)
		}
	})
}

// FuzzParseForm: any form body either parses into fields of clean text
// (valid UTF-8, no NUL) or is refused with a 4xx error.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "body=caf%E9", "body=a%00b", "%zz=1", "a=%", "x=" + strings.Repeat("y", 100), "=&=&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/register", io.NopCloser(strings.NewReader(body)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		if err := parseForm(w, r); err != nil {
			if st := errorStatus(err); st < 400 || st >= 500 {
				t.Fatalf("parseForm(%q) = %v (status %d), want a 4xx", body, err, st)
			}
			return
		}
		for name, vs := range r.PostForm {
			for _, v := range vs {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || !utf8.ValidString(name) {
					t.Fatalf("parseForm(%q) let %q=%q through", body, name, v)
				}
			}
		}
	})
}

// FuzzAddressScope: any client address gives a scope without a panic, and
// two IPv6 addresses of one /64 share it.
func FuzzAddressScope(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "2001:db8::1", "::ffff:10.0.0.1", "bogus", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if scope := addressScope(addr); scope == "" && addr != "" {
			t.Fatalf("addressScope(%q) = empty", addr)
		}
	})
}
