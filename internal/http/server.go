// Package http serves FPR's web pages and JSON API over the fpr services.
// Routes are in routes.go; page handlers in <resource>.go, API handlers in
// api_<resource>.go. Handlers return errors; two adapters (error.go) turn
// them into the apology page or the JSON envelope.
package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpr-team/fpr"
)

// MaxHeaderBytes caps the request line and headers of a request.
const MaxHeaderBytes = 64 << 10

// Server is FPR's HTTP server. Fields are set by the caller before Open.
type Server struct {
	Log   *slog.Logger
	Build fpr.BuildInfo
	// Env is development, staging or production.
	Env string
	// TrustedProxies are the load balancers whose X-Forwarded-For header
	// names the client, for per-address login throttling.
	TrustedProxies []netip.Prefix
	// BaseURL is the public URL, e.g. https://fpr.example.
	BaseURL string

	Auth       fpr.AuthService
	Accounts   fpr.AccountService
	Mail       fpr.MailService
	Users      fpr.UserService
	Farms      fpr.FarmService
	Products   fpr.ProductService
	Reviews    fpr.ReviewService
	Moderation fpr.ModerationService
	// PurchaseCodes issues the codes of verified purchases.
	PurchaseCodes fpr.PurchaseCodeService
	// Photos stores and serves photos of reviews, products and farms.
	Photos      fpr.PhotoService
	Idempotency fpr.IdempotencyService
	// Ops serves the operations API and pages (error groups, releases,
	// alerts).
	Ops fpr.OpsService
	// Audit serves the audit log (GET /api/v1/ops/audit, /ops/audit).
	Audit fpr.AuditService
	// Metrics serves GET /metrics; nil answers 404.
	Metrics http.Handler
	// MFA manages the acting user's two-factor authentication.
	MFA fpr.MFAService
	// StaffMFA is FPR_STAFF_MFA: under required, moderators and admins
	// without two-factor get 403 on staff routes and their powers are
	// withheld everywhere until they set it up. "" is optional.
	StaffMFA fpr.StaffMFA

	// Ready reports whether the database answers and migrations are
	// current; /readyz calls it.
	Ready func(ctx context.Context) error

	// AfterRequest, when set, is called after each request with its route
	// pattern, status and duration (metrics, alert ratios).
	AfterRequest func(r *http.Request, sr fpr.ServedRequest)
	// OnError, when set, is called for every internal error and panic with
	// its stack (error events, alerts). The error is already logged.
	OnError func(r *http.Request, route string, err error, stack []byte)

	// ResponseCacheBytes bounds the memory that keeps answers of product
	// details (two thirds) and review pages (a third; respcache.go); 0 is
	// DefaultResponseCacheBytes, a negative value keeps none.
	ResponseCacheBytes int

	// Now returns the current time.
	Now func() time.Time
	// RequestTimeout bounds each request's database calls together;
	// zero is DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ReadTimeout and WriteTimeout bound reading a whole request and
	// writing its answer (zero: DefaultReadTimeout, DefaultWriteTimeout);
	// photo uploads get UploadTimeout for both instead (zero:
	// DefaultUploadTimeout), since an 8 MB photo from a phone on a slow
	// uplink, then decoded and scaled, takes longer than a form.
	ReadTimeout, WriteTimeout, UploadTimeout time.Duration

	// draining is set by Drain: /readyz answers 503 and responses close
	// their connections, while requests are still served.
	draining atomic.Bool

	ln  net.Listener
	srv *http.Server
	// conns holds the state of each open connection (ConnState hook), so
	// Close knows when none is reading a request or being answered.
	connsMu sync.Mutex
	conns   map[net.Conn]http.ConnState
	handler http.Handler
	// details and reviewPages keep public product answers (respcache.go).
	details, reviewPages *respCache
	// keeper stores first pages of reviews in the database (keeper.go).
	keeper *pageKeeper
	// etagRelease names the build in the kept answers' ETags.
	etagRelease string
	mux         *http.ServeMux // the routes, for allowedMethods
	web         *webFiles      // templates and static files (templates.go, static.go)
	// testRoutes are extra routes that only tests add (export_test.go),
	// such as one that panics.
	testRoutes map[string]http.Handler
}

// Handler returns the server's root handler, building it on first use.
func (s *Server) Handler() http.Handler {
	if s.handler == nil {
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.ResponseCacheBytes >= 0 {
			n := s.ResponseCacheBytes
			if n == 0 {
				n = DefaultResponseCacheBytes
			}
			s.details, s.reviewPages = newRespCache(n*2/3), newRespCacheSeenTwice(n/3)
			if s.Products != nil {
				s.keeper = newPageKeeper(s.Products.KeepPages, s.Log)
			}
			sum := sha256.Sum256([]byte(s.Build.Release + "\x00" + s.Build.Commit + "\x00" + s.Build.BuiltAt))
			s.etagRelease = hex.EncodeToString(sum[:6])
		}
		s.handler = s.routes()
	}
	return s.handler
}

// DefaultResponseCacheBytes is Server.ResponseCacheBytes's default. Two
// thirds, 8 MiB, keep the details of about 11,000 products (about 700
// bytes each with the key and bookkeeping); a third, 4 MiB, about 400
// pages of reviews (20 reviews are about 10 KB), each kept from its second
// request (newRespCacheSeenTwice), least recently used out first. Kept answers are live heap, which the garbage collector's
// target doubles: `fpr serve` sets a soft memory limit (cmd/fpr).
const DefaultResponseCacheBytes = 12 << 20

// ResponseCacheStats counts the answers of product details and review
// pages served from what was kept (Hits) and made anew (Misses), and what
// is kept.
type ResponseCacheStats struct {
	Hits, Misses   int64
	Entries, Bytes int
	// StoredHits counts answers served from the pages the database
	// keeps; Stored and Dropped count the pages written there and those
	// not (the queue was full or the write failed).
	StoredHits, Stored, Dropped int64
}

// ResponseCacheStats returns the counts of both caches together.
func (s *Server) ResponseCacheStats() ResponseCacheStats {
	var st ResponseCacheStats
	for _, c := range []*respCache{s.details, s.reviewPages} {
		if c == nil {
			continue
		}
		e, b := c.stats()
		st.Hits += c.hits.Load()
		st.Misses += c.misses.Load()
		st.StoredHits += c.storedHits.Load()
		st.Entries += e
		st.Bytes += b
	}
	if s.keeper != nil {
		st.Stored, st.Dropped = s.keeper.stored.Load(), s.keeper.dropped.Load()
	}
	return st
}

// The server's deadlines for reading a request and writing its answer
// (Server.ReadTimeout, WriteTimeout, UploadTimeout).
const (
	DefaultReadTimeout   = 15 * time.Second
	DefaultWriteTimeout  = 30 * time.Second
	DefaultUploadTimeout = 2 * time.Minute
)

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Open listens on addr and serves in the background, so a bind error comes
// back at once and tests can use ":0".
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = &onceCloseListener{Listener: ln}
	s.conns = map[net.Conn]http.ConnState{}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ConnState:         s.trackConn,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       orDefault(s.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      orDefault(s.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       2 * time.Minute,
		// The request line and headers of one request, method included:
		// Go's default is 1 MB; no client of ours needs more than 64 KB.
		MaxHeaderBytes: MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.Log.Error("serve", "err", err)
		}
	}()
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's loopback URL, for tests and logs.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Drain starts a graceful shutdown's first step: /readyz answers 503, so
// load balancers stop sending new clients, while the server goes on
// accepting connections and serving requests (each response then closes
// its connection). Close ends it.
func (s *Server) Drain() { s.draining.Store(true) }

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// Close shuts the server down, waiting for requests up to ctx's deadline.
// It closes the listener, then waits until no connection is reading a
// request or being answered, and only then lets http.Server.Shutdown
// close the idle ones: Shutdown alone drops a request whose headers were
// still arriving (a slow client) without an answer. A connection's
// request that completes meanwhile is answered with Connection: close.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	s.Drain()
	if err := s.ln.Close(); err != nil {
		return fmt.Errorf("close listener: %w", err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.busyConns() > 0 {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), s.srv.Close())
		case <-tick.C:
		}
	}
	err := s.srv.Shutdown(ctx)
	if s.keeper != nil {
		// Pages the last requests queued, before the database closes.
		err = errors.Join(err, s.keeper.wait(ctx))
	}
	return err
}

// trackConn is the server's ConnState hook.
func (s *Server) trackConn(c net.Conn, st http.ConnState) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		s.conns[c] = st
	}
}

// busyConns counts the connections reading a request (new ones, whose
// first request has not fully arrived; the server closes them after
// ReadHeaderTimeout) or being answered.
func (s *Server) busyConns() int {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	n := 0
	for _, st := range s.conns {
		if st == http.StateNew || st == http.StateActive {
			n++
		}
	}
	return n
}

// onceCloseListener lets Close close the listener before Shutdown does
// again.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
