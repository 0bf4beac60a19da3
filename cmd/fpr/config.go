package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/store"
)

// Config is FPR's configuration: defaults, then FPR_* variables, then
// flags. It is validated once; `check --deploy` adds production rules.
type Config struct {
	Env             string
	Addr            string
	DatabaseURL     string
	BaseURL         string
	Release         string
	AlertWebhookURL string
	SMTPURL         string
	MailFrom        string
	LogFormat       string
	Moderation      fpr.ModerationMode
	// StaffMFA is FPR_STAFF_MFA; finish makes "" required in production,
	// optional elsewhere.
	StaffMFA fpr.StaffMFA
	// AlertEvalInterval, AlertFlushInterval and AlertWindow pace the 5xx
	// ratio alert; zero takes the defaults (10 s, 2 s and the last minute).
	// Tests shorten them.
	AlertEvalInterval, AlertFlushInterval, AlertWindow time.Duration
	// ShutdownDrain is how long `fpr serve` keeps serving after SIGTERM
	// with /readyz answering 503 (FPR_SHUTDOWN_DRAIN, a Go duration such
	// as 5s): 5 s outside development, 0 in development.
	ShutdownDrain time.Duration
	shutdownDrain string
	// TestCrashAt (FPR_TEST_CRASH_AT), for the crash test only, makes the
	// process kill itself at a step of keyed writes; refused in
	// production and by `fpr check --deploy`.
	TestCrashAt string
	// TrustedProxies lists the load balancers (CIDRs or addresses) whose
	// X-Forwarded-For header names the client (FPR_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	trustedProxies string
	// RateLimits are the limits on writes: fpr.DefaultRateLimits changed
	// by FPR_RATE_LIMITS ("off": none).
	RateLimits fpr.RateLimits
	rateLimits string
}

// loadConfig reads defaults and FPR_* variables.
func loadConfig(getenv func(string) string) Config {
	c := Config{
		Env:             or(getenv("FPR_ENV"), "development"),
		Addr:            or(getenv("FPR_ADDR"), "127.0.0.1:8080"),
		DatabaseURL:     or(getenv("FPR_DATABASE_URL"), "sqlite:fpr-data/fpr.db"),
		BaseURL:         getenv("FPR_BASE_URL"),
		Release:         getenv("FPR_RELEASE"),
		AlertWebhookURL: getenv("FPR_ALERT_WEBHOOK_URL"),
		SMTPURL:         getenv("FPR_SMTP_URL"),
		MailFrom:        getenv("FPR_MAIL_FROM"),
		LogFormat:       getenv("FPR_LOG_FORMAT"),
		Moderation:      fpr.ModerationMode(or(getenv("FPR_MODERATION"), string(fpr.ModerationPost))),
		trustedProxies:  getenv("FPR_TRUSTED_PROXIES"),
		rateLimits:      getenv("FPR_RATE_LIMITS"),
		shutdownDrain:   getenv("FPR_SHUTDOWN_DRAIN"),
		TestCrashAt:     getenv("FPR_TEST_CRASH_AT"),
	}
	c.StaffMFA = fpr.StaffMFA(getenv("FPR_STAFF_MFA"))
	return c
}

// defaultShutdownDrain is FPR_SHUTDOWN_DRAIN outside development: long
// enough for a load balancer polling /readyz every few seconds to notice.
const defaultShutdownDrain = 5 * time.Second

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// addFlags registers the flags shared by commands that open the database.
func (c *Config) addDatabaseFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "database URL: sqlite:PATH or postgres://… (FPR_DATABASE_URL)")
}

// finish fills derived defaults after flags are parsed and validates.
func (c *Config) finish() error {
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
		if c.Env == "development" {
			c.LogFormat = "text"
		}
	}
	if c.Release == "" {
		c.Release = buildInfo().Release
	}
	if c.StaffMFA == "" {
		c.StaffMFA = fpr.DefaultStaffMFA(c.Env)
	}
	return c.Validate()
}

// Validate checks every value.
func (c *Config) Validate() error {
	var errs []string
	switch c.Env {
	case "development", "staging", "production":
	default:
		errs = append(errs, fmt.Sprintf("FPR_ENV %q: want development, staging or production", c.Env))
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, "FPR_DATABASE_URL: want sqlite:PATH or postgres://…")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Sprintf("FPR_BASE_URL %q: want an http or https URL", c.BaseURL))
	}
	if c.AlertWebhookURL != "" {
		if u, err := url.Parse(c.AlertWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, "FPR_ALERT_WEBHOOK_URL: want an http or https URL")
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			errs = append(errs, "FPR_SMTP_URL: want smtp://user:pass@host:port or smtps://user:pass@host:port")
		}
	}
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			errs = append(errs, fmt.Sprintf("FPR_MAIL_FROM %q: want an address such as FPR <fpr@example.org>", c.MailFrom))
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Sprintf("FPR_LOG_FORMAT %q: want text or json", c.LogFormat))
	}
	switch c.Moderation {
	case fpr.ModerationPost, fpr.ModerationPre:
	default:
		errs = append(errs, fmt.Sprintf("FPR_MODERATION %q: want post or pre", c.Moderation))
	}
	if c.TestCrashAt != "" {
		switch {
		case c.Env == "production":
			errs = append(errs, "FPR_TEST_CRASH_AT is for the crash test: it kills the process, never in production")
		case !store.ValidFaultPoint(c.TestCrashAt):
			errs = append(errs, fmt.Sprintf("FPR_TEST_CRASH_AT %q: want one of %s", c.TestCrashAt, strings.Join(store.FaultPoints, ", ")))
		}
	}
	if !c.StaffMFA.Valid() {
		errs = append(errs, fmt.Sprintf("FPR_STAFF_MFA %q: want required or optional", c.StaffMFA))
	}
	c.ShutdownDrain = 0
	if c.Env != "development" {
		c.ShutdownDrain = defaultShutdownDrain
	}
	if c.shutdownDrain != "" {
		d, err := time.ParseDuration(c.shutdownDrain)
		if err != nil || d < 0 || d > 5*time.Minute {
			errs = append(errs, fmt.Sprintf("FPR_SHUTDOWN_DRAIN %q: want a duration from 0s to 5m, such as 5s", c.shutdownDrain))
		} else {
			c.ShutdownDrain = d
		}
	}
	c.TrustedProxies = nil
	for _, p := range strings.FieldsFunc(c.trustedProxies, func(r rune) bool { return r == ',' || r == ' ' }) {
		prefix, err := parsePrefix(p)
		if err != nil {
			errs = append(errs, fmt.Sprintf("FPR_TRUSTED_PROXIES %q: want addresses or CIDRs such as 10.0.0.0/8", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	limits, err := fpr.ParseRateLimits(c.rateLimits)
	if err != nil {
		errs = append(errs, err.Error())
	}
	c.RateLimits = limits
	if len(errs) > 0 {
		return fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// CheckDeploy refuses settings that are unsafe in production.
func (c *Config) CheckDeploy() error {
	var errs []string
	if c.Env == "production" || c.Env == "staging" {
		if !strings.HasPrefix(c.BaseURL, "https://") {
			errs = append(errs, "FPR_BASE_URL must be https outside development (session cookies are Secure only then)")
		}
		if c.AlertWebhookURL == "" {
			errs = append(errs, "FPR_ALERT_WEBHOOK_URL must be set outside development: nobody would hear of a broken release")
		}
		if c.LogFormat != "json" {
			errs = append(errs, "FPR_LOG_FORMAT must be json outside development")
		}
		if c.SMTPURL == "" {
			errs = append(errs, "FPR_SMTP_URL must be set outside development: without it mail only goes to the log")
		}
		if u, err := url.Parse(c.DatabaseURL); err == nil && strings.HasPrefix(c.DatabaseURL, "postgres") {
			if q := u.Query().Get("sslmode"); q == "disable" && !isLoopback(u.Hostname()) {
				errs = append(errs, "FPR_DATABASE_URL: sslmode=disable to a remote PostgreSQL sends passwords in clear")
			}
		}
	}
	if strings.TrimSpace(c.rateLimits) == fpr.RateLimitsOff {
		errs = append(errs, "FPR_RATE_LIMITS=off disables every rate limit: it is for load tests only")
	}
	if c.TestCrashAt != "" {
		errs = append(errs, "FPR_TEST_CRASH_AT must not be set in a deployment: it kills the process on purpose")
	}
	if c.Env == "production" && c.StaffMFA != fpr.StaffMFARequired {
		errs = append(errs, "FPR_STAFF_MFA must be required in production: a moderator's or admin's password alone must not be enough")
	}
	if c.Env == "production" && c.Release == "" {
		errs = append(errs, "FPR_RELEASE (or VCS build info) must identify the release in production")
	}
	if len(errs) > 0 {
		return fmt.Errorf("refusing this configuration for deployment:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// parsePrefix reads a CIDR, or a single address as a one-address prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// LogValue lets a Config be logged without its secrets: passwords in URLs
// are replaced.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("env", c.Env),
		slog.String("addr", c.Addr),
		slog.String("database_url", redact(c.DatabaseURL)),
		slog.String("base_url", c.BaseURL),
		slog.String("release", c.Release),
		slog.Bool("alert_webhook", c.AlertWebhookURL != ""),
		slog.String("smtp_url", redact(c.SMTPURL)),
		slog.String("mail_from", c.MailFrom),
		slog.String("log_format", c.LogFormat),
		slog.String("moderation", string(c.Moderation)),
		slog.String("staff_mfa", string(c.StaffMFA)),
		slog.String("trusted_proxies", c.trustedProxies),
		slog.String("rate_limits", c.rateLimits),
		slog.String("shutdown_drain", c.ShutdownDrain.String()),
		slog.String("test_crash_at", c.TestCrashAt),
	)
}

// redact keeps only the scheme and host of a URL (fpr.RedactURL).
func redact(raw string) string { return fpr.RedactURL(raw) }

// newLogger builds the program's one logger: text in development, JSON
// elsewhere, with release and env on every line. On an ops.LogBuffer,
// warnings and errors are written at once.
func (c *Config) newLogger(w io.Writer) *slog.Logger {
	var h slog.Handler
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(w, nil)
	} else {
		h = slog.NewTextHandler(w, nil)
	}
	if lb, ok := w.(*ops.LogBuffer); ok {
		h = lb.Handler(h)
	}
	return slog.New(ops.ContextHandler{Handler: h}).With("release", c.Release, "env", c.Env)
}

// Set by the linker: -ldflags "-X main.release=… -X main.builtAt=…".
var (
	release string
	builtAt string
)

// buildInfo returns the release, commit and build time of this binary.
func buildInfo() fpr.BuildInfo {
	b := fpr.BuildInfo{Release: release, BuiltAt: builtAt, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				if b.BuiltAt == "" {
					b.BuiltAt = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if b.Release == "" && b.Commit != "" {
			b.Release = b.Commit[:min(12, len(b.Commit))]
			if dirty {
				b.Release += "-dirty"
			}
		}
	}
	if b.Release == "" {
		b.Release = "dev"
	}
	return b
}
