package http

// The web site's render system: templates parsed once at start, one typed
// data struct per page, buffered rendering, fingerprinted static files, the
// flash message, and the error pages.
//
// # How to add a page
//
//  1. Write web/templates/<name>.html defining {{define "main"}}…{{end}}:
//     the content of <main>. The layout (_layout.html) supplies <head>, the
//     header with navigation, the flash, the footer and the STAGING banner.
//     A page may also define {{define "head"}}…{{end}} for extra <head>
//     elements. Shared pieces live in _partials.html ("field", "errors",
//     "review", "pager", …); files starting with "_" are not pages.
//  2. Declare the page's data type next to its handler, embedding basePage:
//
//	type opsErrorsPage struct {
//		basePage
//		Groups []*fpr.ErrorGroup
//	}
//
//  3. Add the page to pageTypes below ("ops_errors": opsErrorsPage{}) and
//     a filled example to pageSamples in render_test.go: TestTemplates
//     renders every page with its zero value and the example, and fails
//     while a template has no entry, so a typo in a template fails a test
//     instead of a visitor's request.
//  4. Write the handler as a method returning error, and route it in the
//     "Pages" block of routes.go through the s.page adapter:
//
//	handle("GET /ops/errors", s.page(s.handleOpsErrors))
//
//	func (s *Server) handleOpsErrors(w http.ResponseWriter, r *http.Request) error {
//		if _, err := requireUser(r.Context()); err != nil {
//			return err // anonymous: 303 to /login?next=…
//		}
//		groups, err := s.Ops.FindErrorGroups(r.Context(), …) // checks the role
//		if err != nil {
//			return err // s.page shows the 403, 404 or apology page
//		}
//		return s.render(w, r, http.StatusOK, "ops_errors",
//			&opsErrorsPage{basePage: s.base(w, r, "Errors"), Groups: groups})
//	}
//
// A form page decodes the posted values into a struct holding the user's
// input and a formState; on a validation_failed or conflict error from the
// service it re-renders with the input kept and each message of
// fpr.ErrorFields(err) beside its field (status 422 or 409), and on success
// it calls s.redirect(w, r, url, flashKey): 303 with a flash message.
//
// # Flash messages
//
// A flash is a short confirmation shown on the page after a redirect. It
// travels in the fpr_flash cookie (HttpOnly, SameSite=Lax, one minute) as a
// key of the flashes table below, never as free text, so nobody can make
// the site display words of their choosing by planting a cookie. The next
// page that renders shows it and clears the cookie.
//
// # Static files
//
// Files under web/static are served at /static/<hash>/<name>, where hash
// is the start of the file's SHA-256: the template function `static`
// ("{{static "app.css"}}") gives the URL, and responses carry
// Cache-Control: public, max-age=31536000, immutable. A request with an
// outdated hash (a page from the previous release during a deploy) still
// gets the current file, with a short cache lifetime.
//
// # Content Security Policy
//
// The policy allows no inline script or style, so templates use no
// style="" attributes and no inline <script> except data blocks
// (<script type="application/ld+json">), which browsers do not execute and
// CSP does not govern. Widths come from classes such as w-35 (see the pct
// template function).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/web"
)

// pageTypes lists every page template with its data type. The template
// test renders each with a zero value and a filled one.
var pageTypes = map[string]any{
	"error":             errorPage{},
	"home":              homePage{},
	"register":          registerPage{},
	"login":             loginPage{},
	"account":           accountPage{},
	"products":          productsPage{},
	"product":           productPage{},
	"farm":              farmPage{},
	"user":              userPage{},
	"moderation":        moderationPage{},
	"moderation_review": moderationReviewPage{},
	"admin":             adminPage{},
	"admin_farm":        adminFarmPage{},
	"admin_product":     adminProductPage{},
	"admin_users":       adminUsersPage{},
	"ops":               opsPage{},
	"ops_group":         opsGroupPage{},
	"ops_releases":      opsReleasesPage{},
	"ops_alerts":        opsAlertsPage{},
}

// basePage is what every page's data carries, for the layout.
type basePage struct {
	Title     string
	User      *fpr.User
	Flash     string
	Release   string
	Env       string
	Staging   bool
	Path      string // the request's path, for marking the current link
	RequestID string
	// Next is the current page's URL, for "log in and come back" links.
	Next string
}

// LoginURL is the log-in link that comes back to the current page.
func (b basePage) LoginURL() string {
	if b.Next == "" || b.Next == "/" || strings.HasPrefix(b.Path, "/login") || strings.HasPrefix(b.Path, "/register") {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(b.Next)
}

// IsProducer reports whether the visitor manages farms (producer or admin).
func (b basePage) IsProducer() bool {
	return fpr.CanCreateFarm(b.User)
}

// base fills the common page data and consumes the flash cookie.
func (s *Server) base(w http.ResponseWriter, r *http.Request, title string) basePage {
	return basePage{
		Title:     title,
		User:      fpr.UserFromContext(r.Context()),
		Flash:     s.takeFlash(w, r),
		Release:   s.Build.Release,
		Env:       s.Env,
		Staging:   s.Env == "staging",
		Path:      r.URL.Path,
		RequestID: fpr.RequestIDFromContext(r.Context()),
		Next:      comeBackTo(r),
	}
}

// webFiles holds the parsed templates and static files; built once by
// mustLoadWeb.
type webFiles struct {
	pages  map[string]*template.Template
	static map[string]staticFile // by file name
}

type staticFile struct {
	hash        string
	body        []byte
	contentType string
}

// mustLoadWeb parses every template and fingerprints every static file. It
// panics on an error: the files are embedded, so an error is a programmer's
// mistake that must stop the start.
func (s *Server) mustLoadWeb() {
	wf, err := parseWeb(web.FS, s.funcs)
	if err != nil {
		panic(err)
	}
	s.web = wf
}

// parseWeb loads templates and static files from fsys.
func parseWeb(fsys fs.FS, funcs func(*webFiles) template.FuncMap) (*webFiles, error) {
	wf := &webFiles{pages: map[string]*template.Template{}, static: map[string]staticFile{}}
	statics, err := fs.Glob(fsys, "static/*")
	if err != nil {
		return nil, err
	}
	for _, name := range statics {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		wf.static[path.Base(name)] = staticFile{hash: hex.EncodeToString(sum[:])[:12], body: b, contentType: ct}
	}

	shared, err := fs.Glob(fsys, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	root := template.New("").Funcs(funcs(wf))
	if _, err := root.ParseFS(fsys, shared...); err != nil {
		return nil, fmt.Errorf("parse layout and partials: %w", err)
	}
	all, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range all {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := root.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(fsys, file); err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		if t.Lookup("main") == nil {
			return nil, fmt.Errorf("%s defines no \"main\" template", file)
		}
		wf.pages[name] = t
	}
	return wf, nil
}

// render executes page name with data into a buffer, then writes it with
// status, so a template error becomes the apology page rather than half a
// page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	t, ok := s.web.pages[name]
	if !ok {
		return fmt.Errorf("render: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Cookie")
	if fpr.UserFromContext(r.Context()) != nil {
		h.Set("Cache-Control", "no-store")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// pageFunc is a page handler: it writes a page or a redirect and returns
// nil, or returns an error and writes nothing.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// page adapts a pageFunc: an error becomes a redirect to the log-in page
// (unauthenticated visitor), or the error page with the error's status.
func (s *Server) page(h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.pageError(w, r, err)
		}
	})
}

// pageError answers a page request that failed with err.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	switch fpr.ErrorCode(err) {
	case fpr.CodeUnauthenticated:
		if fpr.UserFromContext(r.Context()) == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(comeBackTo(r)), http.StatusSeeOther)
			return
		}
	case fpr.CodeInternal:
		s.reportError(r, err, debug.Stack())
	}
	setRetryAfter(w, err)
	s.renderErrorPage(w, r, errorStatus(err), err)
}

// comeBackTo is where to return after logging in: the page itself for a
// GET, the page the form was on for a POST.
func comeBackTo(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return safeNext(ref.RequestURI())
	}
	return "/"
}

// safeNext returns next when it is a path on this site, else "/": a
// "next" parameter must not send people to another site after log-in.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

// errorPage is the data of the error page: not found, forbidden, the
// apology for internal errors, and the others.
type errorPage struct {
	basePage
	Status  int
	Heading string
	Message string
}

// renderErrorPage shows an error to a person: its status, a heading and
// message written for people, and the request ID. Internal errors get an
// apology and never their detail.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	p := &errorPage{basePage: s.base(w, r, http.StatusText(status)), Status: status, Message: fpr.ErrorMessage(err)}
	switch {
	case status == http.StatusNotFound:
		p.Heading = "Page not found"
		p.Title = "Page not found"
	case status == http.StatusForbidden:
		p.Heading = "Not allowed"
		p.Title = "Not allowed"
	case status == http.StatusTooManyRequests:
		p.Heading = "Please slow down"
	case status >= 500:
		p.Heading = "Sorry, something went wrong"
		p.Title = "Something went wrong"
		p.Message = "Sorry, something went wrong on our side. We have been told and are looking into it."
		if status == http.StatusServiceUnavailable {
			p.Message = "The site is busy or under maintenance. Please try again in a minute."
		}
	default:
		p.Heading = "That did not work"
	}
	if s.web == nil || s.render(w, r, status, "error", p) != nil {
		// The templates themselves failed: a minimal page that still
		// apologises and gives the request ID.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<!doctype html><html lang=en><title>%s</title><main><h1>%s</h1><p>%s</p><p>Request ID: <code>%s</code></p></main></html>",
			template.HTMLEscapeString(p.Heading), template.HTMLEscapeString(p.Heading), template.HTMLEscapeString(p.Message), template.HTMLEscapeString(p.RequestID))
	}
}

// errNoPage is the error of an unknown page.
var errNoPage = fpr.Errorf(fpr.CodeNotFound, "There is no page at this address. It may have moved, or the link may be wrong.")

// handleNotFound answers every path no route matches.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error { return errNoPage }

// handleStatic serves GET /static/{hash}/{name}.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	f, ok := s.web.static[r.PathValue("name")]
	if !ok {
		return errNoPage
	}
	if r.PathValue("hash") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=60")
	}
	w.Header().Set("Content-Type", f.contentType)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	return nil
}

// The flash cookie; see "Flash messages" above.
const flashCookie = "fpr_flash"

// flashes are the confirmations a redirect can carry, by key.
var flashes = map[string]string{
	"registered":       "Welcome! Your account is ready and you are logged in.",
	"logged-in":        "You are logged in.",
	"logged-out":       "You are logged out.",
	"password-changed": "Your password is changed. Your other devices were logged out.",
	"review-published": "Thank you! Your review is published.",
	"review-pending":   "Thank you! Your review will appear once a moderator has read it.",
	"review-updated":   "Your review is updated.",
	"review-deleted":   "The review is deleted.",
	"vote-saved":       "Thanks for your vote.",
	"vote-withdrawn":   "Your vote is withdrawn.",
	"flagged":          "Thank you. A moderator will look at this review.",
	"reply-saved":      "Your reply is saved.",
	"moderated":        "Your decision is recorded.",
	"farm-created":     "The farm is created.",
	"farm-updated":     "The farm is updated.",
	"product-created":  "The product is created.",
	"product-updated":  "The product is updated.",
	"product-deleted":  "The product is deleted.",
	"role-changed":     "The role is changed.",
	"error-resolved":   "The error is marked resolved. If it happens again, it reopens and alerts.",
}

// redirect answers a successful form post: 303 to url with a flash.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, url, flash string) error {
	if _, ok := flashes[flash]; !ok && flash != "" {
		return fmt.Errorf("redirect: unknown flash %q", flash)
	}
	if flash != "" {
		http.SetCookie(w, s.cookie(flashCookie, flash, 60))
	}
	// Callers pass paths they built or checked with safeNext.
	http.Redirect(w, r, url, http.StatusSeeOther) //nolint:gosec // G710: see above
	return nil
}

// takeFlash returns the pending flash message, if any, and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, s.cookie(flashCookie, "", -1))
	return flashes[c.Value]
}

// cookie returns a cookie of the site: HttpOnly, SameSite=Lax, Path=/,
// and Secure when the site's public URL is https (plain-http development
// and tests could not send it back otherwise). maxAge is in seconds; 0
// means a browser-session cookie, negative deletes it.
func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // G124: Secure follows the base URL, see above
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(s.BaseURL, "https://"), SameSite: http.SameSiteLaxMode,
	}
}

// Forms.

// maxFormBody caps posted forms; the longest field (a review) is 5000
// characters.
const maxFormBody = 64 << 10

// parseForm reads a posted form, refusing bodies over maxFormBody.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fpr.Errorf(fpr.CodePayloadTooLarge, "The form is too large.")
		}
		return fpr.Errorf(fpr.CodeBadRequest, "The form could not be read.")
	}
	return nil
}

// formState is what a form shows after a failed post: a message above the
// form and one message per field, from the service's error.
type formState struct {
	Message string
	Errors  map[string]string
}

// State returns f; templates reach an embedded formState through it.
func (f formState) State() formState { return f }

// formFailure reports whether err is one a form shows to its user (invalid
// input or a conflict) and, if so, its status and form state. Other errors
// go to the page adapter.
func formFailure(err error) (int, formState, bool) {
	switch fpr.ErrorCode(err) {
	case fpr.CodeValidationFailed, fpr.CodeConflict, fpr.CodeRateLimited:
		return errorStatus(err), formState{Message: fpr.ErrorMessage(err), Errors: fpr.ErrorFields(err)}, true
	case fpr.CodeUnauthenticated:
		// A wrong password on a form of a signed-in user (change password).
		var e *fpr.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			return errorStatus(err), formState{Message: e.Message, Errors: e.Fields}, true
		}
	}
	return 0, formState{}, false
}

// Template functions.

// fieldView is what the "field" partial needs to draw one labelled input.
type fieldView struct {
	ID, Name, Label, Value, Error, Hint string
	Type, Autocomplete                  string
	Required                            bool
	Filter                              bool // a search filter: neither required nor marked optional
	Rows, MaxLength                     int
	Options                             []option
}

// option is one choice of a select or radio group.
type option struct {
	Value, Label string
	Selected     bool
}

// fieldError is one line of a form's error summary.
type fieldError struct {
	ID, Label, Message string
}

// funcs returns the template functions; static URLs come from wf.
func (s *Server) funcs(wf *webFiles) template.FuncMap {
	return template.FuncMap{
		"static": func(name string) (string, error) {
			f, ok := wf.static[name]
			if !ok {
				return "", fmt.Errorf("static: no file %q", name)
			}
			return "/static/" + f.hash + "/" + name, nil
		},
		"stars": stars,
		"ago":   func(t time.Time) template.HTML { return ago(t, s.now()) },
		"date":  func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
		"pct": pct,
		"average": func(r fpr.Rating) string {
			avg, ok := r.Average()
			if !ok {
				return ""
			}
			return strconv.FormatFloat(avg, 'f', 1, 64)
		},
		"hasPrefix": strings.HasPrefix,
		"field":     field,
		"summary":   summary,
		"options":   options,
		"withOptions": func(opts []option, f fieldView) fieldView {
			f.Options = opts
			return f
		},
		"reviewView":  func(p *productPage, r productReview) reviewView { return reviewView{Page: p, Review: r} },
		"roleOptions": roleOptions,
		"decision": func(id, next string, f moderationForm) decisionView {
			return decisionView{ReviewID: id, Next: next, Form: f}
		},
		"lines": func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") },
		"productURL": func(id string) string {
			return "/products/" + url.PathEscape(id)
		},
		"farmURL": func(id string) string { return "/farms/" + url.PathEscape(id) },
	}
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// stars draws a rating (an int, a float64 average or a product's
// fpr.Rating) as five star glyphs with a text equivalent for screen readers.
func stars(v any) (template.HTML, error) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case float64:
		f = x
	case fpr.Rating:
		f, _ = x.Average()
	default:
		return "", fmt.Errorf("stars: want int or float64, got %T", v)
	}
	full := int(math.Round(f))
	full = min(max(full, 0), 5)
	label := strconv.FormatFloat(f, 'f', -1, 64)
	if f != math.Trunc(f) {
		label = strconv.FormatFloat(f, 'f', 1, 64)
	}
	return template.HTML(`<span class="stars" role="img" aria-label="` + label + ` out of 5 stars">` + //nolint:gosec // built from numbers only
		strings.Repeat("★", full) + `<span class="stars-off">` + strings.Repeat("★", 5-full) + `</span></span>`), nil
}

// ago shows t as "3 days ago" in a <time> element carrying the full date.
func ago(t, now time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	var rel string
	switch {
	case d < time.Minute:
		rel = "just now"
	case d < time.Hour:
		rel = unitsAgo(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		rel = unitsAgo(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		rel = unitsAgo(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		rel = unitsAgo(int(d/(30*24*time.Hour)), "month")
	default:
		rel = unitsAgo(int(d/(365*24*time.Hour)), "year")
	}
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `" title="` + //nolint:gosec // built from a time only
		u.Format("2 January 2006, 15:04 UTC") + `">` + rel + `</time>`)
}

func unitsAgo(n int, unit string) string {
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return strconv.Itoa(n) + " " + unit + "s ago"
}

// pct returns part/total as a percentage rounded to 5, for the w-N width
// classes of app.css (w-0 … w-100).
func pct(part, total int) int {
	if total <= 0 || part <= 0 {
		return 0
	}
	p := int(math.Round(float64(part)*20/float64(total))) * 5
	if p == 0 {
		p = 5 // a bar with some reviews stays visible
	}
	return min(p, 100)
}

// field builds a fieldView: name, label, the current value (string or
// fmt.Stringer-like), the form's error map, then options as "key:value"
// strings: id:, type:, autocomplete:, hint:, rows:, maxlength:, and the
// bare words required and filter (a search filter, which is neither
// required nor marked "optional").
func field(name, label string, value any, errs map[string]string, opts ...string) (fieldView, error) {
	f := fieldView{ID: name, Name: name, Label: label, Type: "text", Error: errs[name]}
	switch v := value.(type) {
	case string:
		f.Value = v
	case int:
		if v != 0 {
			f.Value = strconv.Itoa(v)
		}
	case fmt.Stringer:
		f.Value = v.String()
	case nil:
	default:
		f.Value = fmt.Sprint(v)
	}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, ":")
		switch k {
		case "id":
			f.ID = v
		case "type":
			f.Type = v
		case "autocomplete":
			f.Autocomplete = v
		case "hint":
			f.Hint = v
		case "required":
			f.Required = true
		case "filter":
			f.Filter = true
		case "rows":
			f.Rows, _ = strconv.Atoi(v)
		case "maxlength":
			f.MaxLength, _ = strconv.Atoi(v)
		default:
			return f, fmt.Errorf("field %s: unknown option %q", name, o)
		}
	}
	return f, nil
}

// options builds select options from "value=label" pairs, selecting the
// one equal to current.
func options(current string, pairs ...string) []option {
	out := make([]option, 0, len(pairs))
	for _, p := range pairs {
		v, l, ok := strings.Cut(p, "=")
		if !ok {
			l = v
		}
		out = append(out, option{Value: v, Label: l, Selected: v == current})
	}
	return out
}

// reviewView is what the "product-review" template of product.html gets:
// the page (for the visitor and the farm) and the review.
type reviewView struct {
	Page   *productPage
	Review productReview
}

// errorSummary is the data of the "errors" partial.
type errorSummary struct {
	ID      string
	Message string
	Fields  []fieldError
}

// summary builds a form's error summary with the given element id: the
// form's message, then its field errors in the order of fields, given as
// "name=Label" pairs, or "name=Label=id" when the input's id differs from
// its name. Errors of fields not listed come last, unlinked.
func summary(id string, st formState, fields ...string) errorSummary {
	out := errorSummary{ID: id, Message: st.Message}
	seen := map[string]bool{}
	for _, f := range fields {
		parts := strings.SplitN(f, "=", 3)
		name, label, fid := parts[0], parts[0], parts[0]
		if len(parts) > 1 {
			label = parts[1]
		}
		if len(parts) > 2 {
			fid = parts[2]
		}
		seen[name] = true
		if msg, ok := st.Errors[name]; ok {
			out.Fields = append(out.Fields, fieldError{ID: fid, Label: label, Message: msg})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.Errors)) {
		if !seen[name] {
			out.Fields = append(out.Fields, fieldError{Label: name, Message: st.Errors[name]})
		}
	}
	return out
}
