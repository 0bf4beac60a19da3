package main

// Browser tests: the whole program (`fpr serve`) driven by headless
// chromium. Run them alone with
//
//	go test -run Browser -v ./cmd/fpr/
//
// They skip without chromium or axe-core (and with -short) unless
// FPR_REQUIRE_BROWSER=1. Screenshots and server logs go to
// testdata/artifacts/ or FPR_ARTIFACTS_DIR.

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_Harness proves the harness sees what it must fail on: a
// script the Content-Security-Policy blocks and an uncaught exception.
func TestBrowser_Harness(t *testing.T) {
	tl := mustBrowserTools(t)
	site := mustStartSite(t, nil)
	b := mustStartBrowser(t, tl)
	tb := b.newTab(t, site)

	tb.visit("/healthz", 200)
	if got := tb.text("body"); got != "ok" {
		t.Errorf("/healthz body = %q, want %q", got, "ok")
	}

	// An inline script is refused by the site's CSP (script-src 'self');
	// a thrown error in a timer is an uncaught exception.
	tb.visit("/no-such-page", 404)
	tb.do("break the page", chromedp.Evaluate[chromedp.Void](`
		const s = document.createElement('script');
		s.textContent = 'window.inlineRan = true';
		document.body.append(s);
		setTimeout(() => { throw new Error('harness test exception') }, 0);
	`))
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		tb.mu.Lock()
		got = append([]string(nil), tb.problems...)
		tb.mu.Unlock()
		if len(got) >= 2 {
			break
		}
	}
	tb.mu.Lock()
	tb.problems = nil
	tb.mu.Unlock()
	t.Logf("reports: %q", got)
	var csp, exc bool
	for _, p := range got {
		csp = csp || strings.HasPrefix(p, "CSP violation")
		exc = exc || strings.Contains(p, "harness test exception")
	}
	if !csp || !exc {
		t.Errorf("page reports = %q, want a CSP violation and the thrown exception", got)
	}
	if ran := runValue(tb, "inline flag", chromedp.Evaluate[bool](`window.inlineRan === true`)); ran {
		t.Errorf("inline script ran despite the CSP")
	}
}

// TestBrowser_ErrorPage checks the apology page a person sees for an
// unknown URL: status 404, the request ID, no accessibility violations.
func TestBrowser_ErrorPage(t *testing.T) {
	tl := mustBrowserTools(t)
	site := mustStartSite(t, nil)
	b := mustStartBrowser(t, tl)
	tb := b.newTab(t, site)

	tb.visit("/no-such-page", 404)
	if got := tb.text("main"); !strings.Contains(got, "Request ID") {
		t.Errorf("404 page main = %q, want it to give the request ID", got)
	}
	tb.axe("not found page")
	tb.screenshots("not-found")
}
