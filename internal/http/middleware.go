package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// SessionCookie is the name of the web session cookie, which the API also
// accepts for same-origin requests; over https it is SecureSessionCookie.
const SessionCookie = "fpr_session"

// SecureSessionCookie is the session cookie's name when BaseURL is https:
// the __Host- prefix makes browsers accept it only Secure, with Path=/ and
// no Domain, so no other host (a sibling subdomain, a plain-http page) can
// set or overwrite it.
const SecureSessionCookie = "__Host-" + SessionCookie

// https reports whether the site is served over https (its BaseURL).
func (s *Server) https() bool { return strings.HasPrefix(s.BaseURL, "https://") }

// sessionCookie is the session cookie's name on this site.
func (s *Server) sessionCookie() string {
	if s.https() {
		return SecureSessionCookie
	}
	return SessionCookie
}

// requestScope is what the middleware keep for one request, made once by
// withRequestID, the outermost, and reached through one context value
// (scopeFromContext): one allocation and one copy of the request where
// each middleware used to make its own.
type requestScope struct {
	// req is the request's ID and client, which the layers below read
	// through fpr.RequestIDFromContext and fpr.ClientFromContext. It does
	// not change once in the context.
	req fpr.Request
	// info is what the log line learns from inside the chain.
	info requestInfo
	// sw is the writer withLog and withRecover pass down, which records
	// the status.
	sw statusWriter
}

type scopeKey struct{}

// scopeFromContext returns the scope withRequestID put in ctx, or a new
// one, unreachable from ctx, when there is none (a handler used outside
// the chain).
func scopeFromContext(ctx context.Context) *requestScope {
	if sc, ok := ctx.Value(scopeKey{}).(*requestScope); ok {
		return sc
	}
	return &requestScope{}
}

// withRequestID gives every request an ID, in its context and in the
// X-Request-ID response header, its database deadline (requestTimeout),
// and puts who sends it in its context
// (fpr.Client): the client's address (clientAddr: the peer, or what a
// trusted proxy names), by which the store counts rate limits and which it
// writes in the audit log, and the user agent, kept with the sessions a
// login opens. Both go in the request's scope (requestScope), which it
// makes. A well-formed incoming X-Request-ID is kept, so logs can be
// joined across hops, only when the peer is one of TrustedProxies: a
// client's own ID could make two different failures share one ID and hide
// one behind the other.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// "X-Request-Id" is how Header canonicalises X-Request-ID; spelt
		// so, Get and Set need not make the canonical key anew.
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) || !s.trusted(peerAddr(r)) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		sc := &requestScope{req: fpr.Request{ID: id, Client: fpr.Client{Address: s.clientAddr(r), UserAgent: r.UserAgent()}}}
		// The deadline the database calls obey (requestTimeout), set
		// here with the scope: one copy of the request, not two. It
		// bounds a request's database calls by itself: a client that
		// hangs up no longer cancels them (context.WithoutCancel), so a
		// query runs at most the deadline after its client left, as a
		// write already did. Derived from net/http's own context instead,
		// each request's context registered in its parent's map of
		// children, 9% of the bytes a product detail allocated; product
		// detail ran 2-19% faster without it (4 pairs).
		ctx := context.WithValue(fpr.NewContextWithRequest(context.WithoutCancel(r.Context()), &sc.req), scopeKey{}, sc)
		ctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
		defer cancel()
		// During a drain, ask the client to close the connection after
		// the response, so keep-alive clients move to other instances.
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b[:])
}

func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// statusWriter records the status a handler wrote. A request has one, in
// its scope: withLog passes it down, and withRecover, just inside, reads
// the same one.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRecover turns a panic into an error response (the JSON envelope for
// the API, the apology page otherwise) with the request ID, and reports it
// with its stack. Go's server would otherwise drop the connection.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter) // withLog's, just outside
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // the documented sentinel, compared as net/http does
				panic(v)
			}
			err := fmt.Errorf("panic: %v", v)
			s.reportError(r, err, debug.Stack())
			if sw.status != 0 {
				return // headers are out; nothing more can be said
			}
			s.respondError(sw, r, fpr.Errorf(fpr.CodeInternal, "%s", fpr.ErrorMessage(err)))
		}()
		next.ServeHTTP(sw, r)
	})
}

// respondError answers with the envelope for API paths and the error page
// otherwise, without reporting (the caller has).
func (s *Server) respondError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	if isAPI(r) {
		setRetryAfter(w, err)
		writeJSON(w, status, apiError{
			Error:     apiErrorBody{Code: codeForStatus(err), Message: fpr.ErrorMessage(err), Fields: fpr.ErrorFields(err)},
			RequestID: fpr.RequestIDFromContext(r.Context()),
		})
		return
	}
	s.renderErrorPage(w, r, status, err)
}

// DefaultRequestTimeout is how long a request may wait for the database,
// all its queries together, unless Server.RequestTimeout says otherwise.
// Past it, the database call fails and the request answers 503
// unavailable: a request never hangs on a database that stopped
// answering.
const DefaultRequestTimeout = 5 * time.Second

// requestTimeout is DefaultRequestTimeout unless s.RequestTimeout is set.
func (s *Server) requestTimeout() time.Duration {
	if s.RequestTimeout > 0 {
		return s.RequestTimeout
	}
	return DefaultRequestTimeout
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// withLog logs one line per request with its route pattern, method, status
// and duration. The request ID and user ID come from the context through
// the logger's handler.
func (s *Server) withLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sc := scopeFromContext(r.Context())
		sc.sw = statusWriter{ResponseWriter: w}
		sw := &sc.sw
		// The auth middleware runs inside and records the user in info, so
		// this line can name them; the mux records the matched pattern in r.
		info := &sc.info
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("route", info.route()),
			slog.String("method", logMethod(r.Method)),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		}
		if info.userID != "" {
			attrs = append(attrs, slog.String("user_id", info.userID))
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.Log.LogAttrs(r.Context(), level, "request", attrs...)
		if s.AfterRequest != nil {
			s.AfterRequest(r, fpr.ServedRequest{Route: info.route(), Status: status, Duration: time.Since(start), Probe: info.probe})
		}
	})
}

// logMethod is the method as the log line shows it: at most 16 bytes, so
// a client's megabyte-long method does not become a megabyte of log.
func logMethod(m string) string {
	if len(m) > 16 {
		return m[:16] + "…"
	}
	return m
}

// requestInfo carries facts learnt deep in the chain (the matched route,
// the user) out to the log and metrics middleware.
type requestInfo struct {
	pattern string
	userID  string
	probe   bool // a request of `fpr probe` (fpr.ServedRequest.Probe)
}

// markProbe records that r is a request of `fpr probe` when probe is true.
func markProbe(r *http.Request, probe bool) {
	if probe {
		infoFromContext(r.Context()).probe = true
	}
}

// infoFromContext returns the requestInfo of the request's scope
// (scopeFromContext).
func infoFromContext(ctx context.Context) *requestInfo {
	return &scopeFromContext(ctx).info
}

// route is the matched pattern, or "unmatched" for a 404 of the mux, so
// labels stay bounded.
func (i *requestInfo) route() string {
	if i.pattern == "" {
		return "unmatched"
	}
	return i.pattern
}

// withPattern records the matched route pattern; it wraps each route's
// handler, since only the mux knows the pattern.
func withPattern(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFromContext(r.Context()).pattern = r.Pattern
		next.ServeHTTP(w, r)
	})
}

// withSecurityHeaders sets the headers every response carries; over
// https also Strict-Transport-Security, so browsers never again reach the
// site over plain http (where a session cookie could be seen).
//
// The API's JSON is no document a browser renders, follows links from or
// loads anything for: its Content-Security-Policy allows nothing and no
// framing, and it has no Referrer-Policy or X-Frame-Options (which
// frame-ancestors replaces in every browser that runs the pages' CSP).
// Two headers fewer keep an API answer at 8 headers with ETag,
// Cache-Control, Content-Type and Content-Length over https, which Go
// keeps in a map of one group: a ninth key grew the map, and the copy
// net/http takes at WriteHeader, by 1.5 KB each, a fifth of the bytes a
// request allocated under the bench's reads.
func (s *Server) withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The keys are canonical and the values are the shared
		// securityHeaderValues: what Header.Set would store, without a new
		// key and a new slice for each response.
		h := w.Header()
		if s.https() {
			h["Strict-Transport-Security"] = securityHeaderValues.hsts
		}
		h["X-Content-Type-Options"] = securityHeaderValues.nosniff
		if isAPI(r) {
			h["Content-Security-Policy"] = securityHeaderValues.apiCSP
			next.ServeHTTP(w, r)
			return
		}
		h["Referrer-Policy"] = securityHeaderValues.referrer
		if isEmbed(r.URL.Path) {
			// The embeds are the only pages other sites may frame; they
			// run no script and post no form.
			h["Content-Security-Policy"] = securityHeaderValues.embedCSP
		} else {
			h["X-Frame-Options"] = securityHeaderValues.deny
			h["Content-Security-Policy"] = securityHeaderValues.csp
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaderValues are withSecurityHeaders' header values, shared by
// every response. Each slice holds one value at full capacity, so
// Header.Add on the same key appends to a copy; nothing in net/http or FPR
// writes into a header's slice in place (net/http copies the header at
// WriteHeader), so they never change.
var securityHeaderValues = struct {
	hsts, nosniff, referrer, deny, csp, embedCSP, apiCSP []string
}{
	hsts:     []string{"max-age=63072000; includeSubDomains"},
	nosniff:  []string{"nosniff"},
	referrer: []string{"strict-origin-when-cross-origin"},
	deny:     []string{"DENY"},
	csp:      []string{"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"},
	embedCSP: []string{"default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"},
	apiCSP:   []string{"default-src 'none'; frame-ancestors 'none'"},
}

// withAuth resolves the bearer token or session cookie to the acting user.
// A bad, expired or revoked token or cookie is ignored: the request goes
// on as anonymous, so public routes (GET /api/v1/openapi.json, product
// lists) answer as for anyone, and routes that need a user answer 401
// unauthenticated through requireUser. Only a failure to check the token
// (the database not answering) stops the request.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cookieless(r.URL.Path) {
			// Embeds and badges are the same for everyone: no session is
			// read (nor its last use written).
			next.ServeHTTP(w, r)
			return
		}
		token, bearer := bearerToken(r)
		if !bearer {
			if c, err := r.Cookie(s.sessionCookie()); err == nil {
				token = c.Value
			}
		}
		if token != "" && s.Auth != nil {
			u, sess, err := s.Auth.Authenticate(r.Context(), token)
			switch {
			case err == nil:
				if fpr.StaffNeedsMFA(s.StaffMFA, u) {
					// No staff power without two-factor: staff routes
					// refuse or lead to the setup, and every policy
					// elsewhere sees a user without those powers.
					if staffRoute(r.URL.Path) {
						s.refuseStaffWithoutMFA(w, r)
						return
					}
					u = u.WithheldStaffPowers()
				}
				ctx := fpr.NewContextWithUser(r.Context(), u)
				ctx = context.WithValue(ctx, sessionKey{}, sessionInfo{session: sess, token: token, bearer: bearer})
				r = r.WithContext(ctx)
				infoFromContext(ctx).userID = u.ID
				markProbe(r, u.Probe)
			case fpr.ErrorCode(err) != fpr.CodeUnauthenticated:
				s.respondErrorReported(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// staffRoutes are the path prefixes of the moderators' and admins' API
// routes and pages.
var staffRoutes = []string{"/api/v1/moderation/", "/api/v1/admin/", "/api/v1/ops/", "/moderation", "/admin", "/ops"}

// staffRoute reports whether path is a staff route: one of staffRoutes, or
// a page under one.
func staffRoute(path string) bool {
	for _, p := range staffRoutes {
		if path == p || (strings.HasPrefix(path, p) && (strings.HasSuffix(p, "/") || path[len(p)] == '/')) {
			return true
		}
	}
	return false
}

// refuseStaffWithoutMFA answers a staff route asked for by a moderator or
// admin who must set up two-factor first: 403 from the API, and pages
// lead to the setup.
func (s *Server) refuseStaffWithoutMFA(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeAPIError(w, r, fpr.ErrStaffNeedsMFA)
		return
	}
	http.SetCookie(w, s.cookie(flashCookie, "staff-mfa", 60))
	http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
}

// respondErrorReported reports 5xx errors, then responds.
func (s *Server) respondErrorReported(w http.ResponseWriter, r *http.Request, err error) {
	if reportable(r, err) {
		s.reportError(r, err, debug.Stack())
	}
	s.respondError(w, r, err)
}

type sessionKey struct{}

// sessionInfo is the session a request was authenticated with.
type sessionInfo struct {
	session *fpr.Session
	token   string
	bearer  bool
}

func sessionFromContext(ctx context.Context) (sessionInfo, bool) {
	si, ok := ctx.Value(sessionKey{}).(sessionInfo)
	return si, ok
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true // present but malformed: Authenticate("") fails
	}
	return strings.TrimSpace(token), true
}
