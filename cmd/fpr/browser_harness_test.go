package main

// The harness of the browser tests (browser_test.go): it runs the whole
// program in-process with run(ctx, "serve", ...), so the tests exercise the
// same wiring as `fpr serve`, on a temporary SQLite database and a free
// loopback port, and drives Debian's chromium headless through chromedp.
//
// Every tab records what the page reports: uncaught exceptions,
// console.error calls, Content-Security-Policy violations and failed
// subresource loads. A step that leaves such a report fails the test.
//
// It is the one home of the browser tests' helpers: the site, the browser
// and its tabs, and the steps people take on the site (log in, register,
// read the rating histogram).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/fpr-team/fpr/internal/auth"
)

// browserTools holds the external programs the browser tests need.
type browserTools struct {
	chromium string // path of the chromium executable
	axeJS    string // source of axe.min.js
}

// requireBrowser reports whether missing tools fail the tests instead of
// skipping them (CI sets FPR_REQUIRE_BROWSER=1).
func requireBrowser() bool { return os.Getenv("FPR_REQUIRE_BROWSER") == "1" }

// skipOrFail skips the test, or fails it when FPR_REQUIRE_BROWSER=1.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireBrowser() {
		t.Fatalf(format+" (FPR_REQUIRE_BROWSER=1)", args...)
	}
	t.Skipf(format, args...)
}

var (
	toolsOnce sync.Once
	tools     browserTools
	toolsErr  [2]string // why chromium, axe is missing
)

// mustBrowserTools finds chromium and axe-core, or skips the test (fails
// it with FPR_REQUIRE_BROWSER=1). `go test -short` skips the browser tests.
func mustBrowserTools(t *testing.T) browserTools {
	t.Helper()
	if testing.Short() && !requireBrowser() {
		t.Skip("browser tests are skipped with -short")
	}
	toolsOnce.Do(func() {
		tools.chromium, toolsErr[0] = findChromium()
		tools.axeJS, toolsErr[1] = loadAxe()
	})
	if toolsErr[0] != "" {
		skipOrFail(t, "no chromium: install Debian's chromium to run the browser tests (%s)", toolsErr[0])
	}
	if toolsErr[1] != "" {
		skipOrFail(t, "no axe-core: %s", toolsErr[1])
	}
	return tools
}

// findChromium returns the browser from FPR_CHROMIUM, /usr/bin/chromium or
// PATH, or why none was found.
func findChromium() (string, string) {
	if p := os.Getenv("FPR_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil { //nolint:gosec // G703: the tester's own FPR_CHROMIUM
			return "", fmt.Sprintf("FPR_CHROMIUM=%s: %v", p, err)
		}
		return p, ""
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "not in FPR_CHROMIUM, /usr/bin/chromium or PATH"
}

// loadAxe reads axe.min.js from FPR_AXE_JS or the cache .ci/run fills.
func loadAxe() (string, string) {
	p := os.Getenv("FPR_AXE_JS")
	if p == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "FPR_AXE_JS unset and no home directory"
		}
		p = filepath.Join(home, ".cache", "fpr", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p) //nolint:gosec // G703: the tester's own FPR_AXE_JS
	if err != nil {
		return "", fmt.Sprintf("set FPR_AXE_JS or run .ci/run to install axe-core: %v", err)
	}
	return string(b), ""
}

// artifactsDir returns where screenshots and logs go: FPR_ARTIFACTS_DIR or
// testdata/artifacts (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FPR_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil { //nolint:gosec // G703: the tester's own FPR_ARTIFACTS_DIR
		t.Fatalf("artifacts: %v", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	return abs
}

// e2eSite is one running `fpr serve`.
type e2eSite struct {
	URL    string
	DBURL  string            // FPR_DATABASE_URL of the site
	Env    map[string]string // the environment run saw
	Stdout *lockedBuffer     // what serve printed (URL, demo admin login)
	Log    *lockedBuffer     // the server's log
}

// getenv returns the site's environment, nothing from the test process,
// so a developer's FPR_* variables cannot change the test.
func (s *e2eSite) getenv(k string) string { return s.Env[k] }

// mustStartSite runs `fpr serve --addr 127.0.0.1:0 extraArgs...` in-process
// on a fresh SQLite database until the test ends. env adds or overrides
// FPR_* variables.
func mustStartSite(t *testing.T, env map[string]string, extraArgs ...string) *e2eSite {
	t.Helper()
	dir := t.TempDir()
	s := &e2eSite{
		DBURL: "sqlite:" + filepath.Join(dir, "fpr.db"),
		Env: map[string]string{
			"FPR_ENV":        "development",
			"FPR_LOG_FORMAT": "text",
		},
		Stdout: newLockedBuffer(),
		Log:    newLockedBuffer(),
	}
	s.Env["FPR_DATABASE_URL"] = s.DBURL
	for k, v := range env {
		s.Env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, extraArgs...)
	go func() { done <- run(ctx, args, s.getenv, strings.NewReader(""), s.Stdout, s.Log) }()

	servingRE := regexp.MustCompile(`serving at (http://\S+)`)
	deadline := time.After(2 * time.Minute)
	for s.URL == "" {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("fpr serve %v stopped before serving: %v\nlog:\n%s", extraArgs, err, s.Log.String())
		case <-deadline:
			cancel()
			t.Fatalf("fpr serve %v did not print its URL within 2 minutes\nstdout:\n%s\nlog:\n%s", extraArgs, s.Stdout.String(), s.Log.String())
		case <-s.Stdout.changed():
			if m := servingRE.FindStringSubmatch(s.Stdout.String()); m != nil {
				s.URL = m[1]
			}
		}
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("fpr serve returned %v after shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("fpr serve did not stop within 30s of cancel")
		}
		logPath := filepath.Join(artifactsDir(t), sanitize(t.Name())+"-server.log")
		if err := os.WriteFile(logPath, []byte(s.Log.String()), 0o600); err == nil {
			t.Logf("server log: %s", logPath)
		}
		if t.Failed() {
			t.Logf("last server log lines:\n%s", lastLines(s.Log.String(), 40))
		}
	})
	return s
}

// runCommand runs another fpr command (user add, seed, ...) against the
// site's database, with stdin, and returns its stdout. It is safe to call
// from several goroutines.
func (s *e2eSite) runCommand(stdin string, args ...string) (string, error) {
	stdout, stderr := newLockedBuffer(), newLockedBuffer()
	if err := run(context.Background(), args, s.getenv, strings.NewReader(stdin), stdout, stderr); err != nil {
		return "", fmt.Errorf("fpr %s: %w\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// lockedBuffer is an io.Writer safe for concurrent use that tells waiters
// when it changes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
	ch chan struct{} // closed and replaced on every write
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{ch: make(chan struct{})} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Write(p)
	close(b.ch)
	b.ch = make(chan struct{})
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *lockedBuffer) changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func sanitize(name string) string { return unsafeName.ReplaceAllString(name, "_") }

// browser is one headless chromium process; tabs share it.
type browser struct {
	ctx   context.Context // a chromedp context that has started the browser
	tools browserTools
}

// mustStartBrowser starts headless chromium with a temporary profile for
// the rest of the test.
func mustStartBrowser(t *testing.T, tl browserTools) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(tl.chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1366, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Do starts the browser; its context must carry no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", tl.chromium, err)
	}
	return &browser{ctx: ctx, tools: tl}
}

// tab is one browser tab in its own browser context (its own cookies), on
// one site.
type tab struct {
	t    *testing.T
	ctx  context.Context
	site *e2eSite
	b    *browser

	mu       sync.Mutex
	problems []string        // page reports not yet checked
	docs     map[string]bool // URLs loaded as documents
	dialogs  []string        // messages of the dialogs accepted
}

// stepTimeout bounds each browser step so a missing element fails fast
// instead of hanging the suite.
const stepTimeout = 10 * time.Second

// newTab opens a tab with a fresh cookie jar on site. The tab checks the
// page reports when the test ends.
func (b *browser) newTab(t *testing.T, site *e2eSite) *tab {
	t.Helper()
	tb := &tab{t: t, site: site, b: b, docs: map[string]bool{}}
	ctx, cancel := chromedp.NewContext(b.ctx,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(tb.listen),
	)
	t.Cleanup(cancel)
	tb.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	t.Cleanup(func() {
		for _, p := range tb.takeReports() {
			t.Errorf("page report: %s", p)
		}
	})

	// Accept confirm() dialogs (forms with data-confirm), as a person
	// who meant to click would; an unanswered dialog blocks the page.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, ev.Message)
			tb.mu.Unlock()
			// The tab may close before the answer; nothing is left to do then.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return tb
}

// listen records what the page reports. It runs in the tab's event loop:
// it must return fast and send no command.
func (tb *tab) listen(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("JavaScript exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			tb.problems = append(tb.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
		}
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument {
			tb.docs[ev.Response.URL] = true
		}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		csp := strings.Contains(e.Text, "Content Security Policy") || strings.Contains(e.Text, "Content-Security-Policy")
		switch {
		case csp:
			tb.problems = append(tb.problems, fmt.Sprintf("CSP violation (%s %s): %s", e.Source, e.Level, e.Text))
		case e.Level != cdplog.EntryLevelError:
		case e.Source == cdplog.EntrySourceNetwork && tb.docs[e.URL]:
			// A page served with 404 or 422 on purpose: the status is
			// asserted by the test, not a broken subresource.
		case e.Source == cdplog.EntrySourceNetwork && strings.HasSuffix(e.URL, "/favicon.ico"):
			// The browser asks for /favicon.ico by itself on pages that
			// name no icon, such as the plain-text /healthz.
		default:
			tb.problems = append(tb.problems, fmt.Sprintf("browser log %s error at %s: %s", e.Source, e.URL, e.Text))
		}
	}
}

// use makes the tab report to t (a subtest) from now on, and returns it.
// Subtests run one after another, so a tab serves one test at a time.
func (tb *tab) use(t *testing.T) *tab {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.t = t
	return tb
}

// peekReports returns the page reports not yet checked.
func (tb *tab) peekReports() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.problems...)
}

// takeReports returns the page reports not yet checked and forgets them.
func (tb *tab) takeReports() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.problems
	tb.problems = nil
	return p
}

// checkReports fails the test for every exception, console error, CSP
// violation or failed subresource the pages reported since the last check.
func (tb *tab) checkReports() {
	tb.t.Helper()
	for _, p := range tb.takeReports() {
		tb.t.Errorf("page report: %s", p)
	}
}

// do runs browser steps with the step timeout, failing the test on error.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v (page %s)", what, err, tb.location())
	}
}

// runValue runs one action returning a value, failing the test on error.
func runValue[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v (page %s)", what, err, tb.location())
	}
	return v
}

// location returns the tab's URL, or "?" if it cannot be read.
func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// path returns the tab's URL path with its query, e.g. "/products?q=x".
func (tb *tab) path() string {
	tb.t.Helper()
	u, err := url.Parse(runValue(tb, "read location", chromedp.Location()))
	if err != nil {
		tb.t.Fatalf("parse location: %v", err)
	}
	return u.RequestURI()
}

// visit loads path on the site, checks the response status and the page
// reports, and returns nothing: assertions follow on the DOM.
func (tb *tab) visit(path string, wantStatus int) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.site.URL+path))
	if err != nil {
		tb.t.Fatalf("visit %s: %v", path, err)
	}
	if resp == nil {
		tb.t.Fatalf("visit %s: no response", path)
	}
	if int(resp.Status) != wantStatus {
		tb.t.Errorf("visit %s: status %d, want %d", path, resp.Status, wantStatus)
	}
	tb.checkReports()
}

// submit runs trigger (a click or an Enter key) that submits a form, waits
// for the new page and checks its status and the page reports.
func (tb *tab) submit(what string, wantStatus int, trigger ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, trigger...)
	if err != nil {
		tb.t.Fatalf("%s: %v (page %s)", what, err, tb.location())
	}
	if resp == nil {
		tb.t.Fatalf("%s: no navigation (page %s)", what, tb.location())
	}
	if int(resp.Status) != wantStatus {
		tb.t.Errorf("%s: status %d, want %d (page %s)", what, resp.Status, wantStatus, resp.URL)
	}
	tb.checkReports()
}

// text returns the visible text of the first element matching css.
func (tb *tab) text(css string) string {
	tb.t.Helper()
	return strings.TrimSpace(runValue(tb, "text of "+css, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible)))
}

// count returns how many elements match css now, without waiting.
func (tb *tab) count(css string) int {
	tb.t.Helper()
	return runValue(tb, "count "+css, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%s).length", jsString(css))))
}

// texts returns the text content of every element matching css, without
// waiting.
func (tb *tab) texts(css string) []string {
	tb.t.Helper()
	return runValue(tb, "texts of "+css, chromedp.Evaluate[[]string](fmt.Sprintf(
		"Array.from(document.querySelectorAll(%s), e => e.textContent.replace(/\\s+/g, ' ').trim())", jsString(css))))
}

// value returns the current value of the form field matching css.
func (tb *tab) value(css string) string {
	tb.t.Helper()
	return runValue(tb, "value of "+css, chromedp.Value(chromedp.CSS(css)))
}

// activeID returns the id of the focused element ("" for none).
func (tb *tab) activeID() string {
	tb.t.Helper()
	return runValue(tb, "focused element", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
}

// tabTo presses Tab until the element with the given id has focus, at
// most max times, failing the test if it never does.
func (tb *tab) tabTo(id string, max int) {
	tb.t.Helper()
	var seen []string
	for range max {
		tb.do("press Tab", chromedp.KeyEvent(kb.Tab))
		got := tb.activeID()
		if got == id {
			return
		}
		seen = append(seen, got)
	}
	tb.t.Fatalf("%d Tab presses never focused #%s; focus went through %q", max, id, seen)
}

// fill types value into the field matching css after clearing it.
func (tb *tab) fill(css, value string) {
	tb.t.Helper()
	// Clear fails on an empty textarea, and SetValue refuses "".
	tb.do("fill "+css,
		chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector(%s).value = ''", jsString(css))),
		chromedp.SendKeys(chromedp.CSS(css), value))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// axeViolation is the part of an axe-core result the tests print.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"`
}

// axe injects axe-core into the current page, runs it, fails the test for
// every serious or critical violation and logs the others.
func (tb *tab) axe(page string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](tb.b.tools.axeJS+";void 0")); err != nil {
		tb.t.Fatalf("axe on %s: inject axe.min.js: %v", page, err)
	}
	const runAxe = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
		targets: v.nodes.map(n => n.target.join(' '))
	})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](runAxe, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("axe on %s: %v", page, err)
	}
	for _, v := range vs {
		msg := fmt.Sprintf("axe on %s (%s): %s [%s] %s (%s) at %s", page, tb.location(), v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(v.Targets, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.t.Error(msg)
		} else {
			tb.t.Log(msg)
		}
	}
	tb.checkReports()
}

// Viewports of the screenshots.
var screenshotSizes = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"phone", 390, 844, true},
	{"desktop", 1366, 900, false},
}

// screenshots saves full-page PNGs of the current page at phone and
// desktop widths and logs their paths, then restores the desktop viewport.
func (tb *tab) screenshots(name string) {
	tb.t.Helper()
	dir := artifactsDir(tb.t)
	for _, sz := range screenshotSizes {
		var opts []chromedp.EmulateViewportOption
		if sz.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(1))
		}
		tb.do("viewport "+sz.name, chromedp.EmulateViewport(sz.width, sz.height, opts...))
		// Let the layout settle at the new width before capturing.
		tb.do("settle", chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
		// Nothing may widen the page past the viewport: a phone user
		// would have to scroll sideways to read it.
		if w := runValue(tb, "page width", chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); w > sz.width {
			tb.t.Errorf("%s at %s width: the page is %dpx wide, wider than the %dpx viewport", name, sz.name, w, sz.width)
		}
		png := runValue(tb, "screenshot "+name, chromedp.FullScreenshot(100))
		p := filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, sz.name))
		if err := os.WriteFile(p, png, 0o600); err != nil {
			tb.t.Fatalf("write screenshot: %v", err)
		}
		tb.t.Logf("screenshot %s", p)
	}
	tb.do("reset viewport", chromedp.EmulateViewport(1366, 900))
}

// cookies returns the names of the tab's cookies for the site.
func (tb *tab) cookies() []string {
	tb.t.Helper()
	res := runValue(tb, "cookies", chromedp.Action[network.GetCookiesResult](func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{tb.site.URL}})
	}))
	var names []string
	for _, c := range res.Cookies {
		names = append(names, c.Name)
	}
	return names
}

// testPageReports proves the harness sees what it must fail on: a script
// the Content-Security-Policy blocks and an uncaught exception.
func testPageReports(t *testing.T, tb *tab) {
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
		got = tb.peekReports()
		if len(got) >= 2 {
			break
		}
	}
	tb.takeReports()
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

// siteUser is a person with an account on the test site.
type siteUser struct {
	email, name, password string
}

// addUser creates u with role through `fpr user add --password-stdin`.
func (s *e2eSite) addUser(u siteUser, role string) error {
	_, err := s.runCommand(u.password+"\n", "user", "add", "--email", u.email, "--role", role, "--display-name", u.name, "--password-stdin")
	return err
}

// login logs u in through the log-in page and checks where it lands.
func (tb *tab) login(u siteUser, next string) {
	tb.t.Helper()
	tb.visit("/login?next="+url.QueryEscape(next), 200)
	tb.fill("#email", u.email)
	tb.fill("#password", u.password)
	tb.submit("log in as "+u.email, 200, chromedp.Click(chromedp.CSS("#login-submit"), chromedp.NodeVisible))
	if got := tb.path(); got != next {
		tb.t.Fatalf("logging in as %s led to %s, want %s", u.email, got, next)
	}
}

// register creates u through the registration page.
func (tb *tab) register(u siteUser) {
	tb.t.Helper()
	tb.visit("/register", 200)
	tb.fill("#email", u.email)
	tb.fill("#display_name", u.name)
	tb.fill("#password", u.password)
	tb.submit("register "+u.email, 200, chromedp.Click(chromedp.CSS("#register-submit"), chromedp.NodeVisible))
	if got := tb.path(); got != "/account" {
		tb.t.Fatalf("registering %s led to %s, want /account", u.email, got)
	}
}

// histogram returns the product page's review counts for 1 to 5 stars.
func (tb *tab) histogram() [5]int {
	tb.t.Helper()
	var h [5]int
	for i := range h {
		sel := fmt.Sprintf("#histogram li[data-stars='%d'] .hist-count", i+1)
		got := tb.texts(sel)
		if len(got) != 1 {
			tb.t.Fatalf("histogram: %d elements match %s, want 1", len(got), sel)
		}
		n, err := strconv.Atoi(got[0])
		if err != nil {
			tb.t.Fatalf("histogram count %s = %q: %v", sel, got[0], err)
		}
		h[i] = n
	}
	return h
}

// reviewIDBy returns the ID of the review by the named author in the
// product page's list, or "".
func (tb *tab) reviewIDBy(author string) string {
	tb.t.Helper()
	return runValue(tb, "review by "+author, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		for (const a of document.querySelectorAll('#review-list article.review')) {
			if (a.querySelector('.review-author').textContent.trim() === %s) return a.id.replace(/^review-/, '');
		}
		return '';
	})()`, jsString(author))))
}

// totpCode is the two-factor code an authenticator app shows for secret
// at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, at)
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return c
}
