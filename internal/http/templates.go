package http

// The web site's render system: templates parsed once at start, one typed
// data struct per page, buffered rendering and the page adapter. Beside it:
// static.go (fingerprinted static files), flash.go (the flash message and
// redirects), forms.go (form state, the form-failure helper, the "field"
// and "errors" partials), templatefuncs.go and error_page.go.
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
//     a filled example to pageSamples in templates_test.go: TestTemplates
//     renders every page with its zero value and the example, and fails
//     while a template has no entry, so a typo in a template fails a test
//     instead of a visitor's request.
//  4. Write the handler as a method returning error, and route it in the
//     "Pages" block of routes.go through the s.page adapter:
//
//	handle("GET /ops/errors", s.page(s.handleErrorGroupList))
//
//	func (s *Server) handleErrorGroupList(w http.ResponseWriter, r *http.Request) error {
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
// input and a formState; on an error from the service it returns
// formFailed (forms.go), which re-renders the page with the input kept and
// each message of fpr.ErrorFields(err) beside its field (status 422, 409
// or 429), and on success it calls s.redirect(w, r, url, flashKey): 303
// with a flash message.
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
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/web"
)

// pageTypes lists every page template with its data type. The template
// test renders each with a zero value and a filled one.
var pageTypes = map[string]any{
	"review":             reviewPage{},
	"purchase_codes":     purchaseCodesPage{},
	"error":              errorPage{},
	"home":               homePage{},
	"register":           registerPage{},
	"mfa":                mfaPage{},
	"login":              loginPage{},
	"account":            accountPage{},
	"products":           productsPage{},
	"product":            productPage{},
	"farm":               farmPage{},
	"farms":              farmsPage{},
	"farm_application":   farmApplicationPage{},
	"farm_reviews":       farmReviewsPage{},
	"admin_applications": adminApplicationsPage{},
	"user":               userPage{},
	"moderation":         moderationPage{},
	"moderation_review":  moderationReviewPage{},
	"admin":              adminPage{},
	"admin_farm":         adminFarmPage{},
	"admin_product":      adminProductPage{},
	"admin_users":        adminUsersPage{},
	"ops":                opsPage{},
	"ops_group":          opsGroupPage{},
	"ops_releases":       opsReleasesPage{},
	"ops_alerts":         opsAlertsPage{},
	"audit":              auditPage{},
	"verify_email":       tokenPage{},
	"reset_password":     tokenPage{},
	"forgot_password":    forgotPasswordPage{},
	"unsubscribe":        unsubscribePage{},
	"ops_mail":           opsMailPage{},
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

// OffersFarmApplication reports whether the visitor is offered the farm
// application: members (fpr.FarmApplicantRole); the application page
// leads one whose e-mail is not verified to verify it first.
func (b basePage) OffersFarmApplication() bool { return fpr.FarmApplicantRole(b.User) }

// HasInbox reports whether the visitor has a review inbox.
func (b basePage) HasInbox() bool { return fpr.CanReadFarmInbox(b.User) }

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
