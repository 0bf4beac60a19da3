package ops

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fpr-team/fpr"
)

// The routes of the two critical flows, API and page, with the statuses
// that mean success: 201 from the API, 303 (post, redirect, get) from a form.
var (
	RegistrationRoutes = []string{"POST /api/v1/auth/register", "POST /register"}
	ReviewRoutes       = []string{"POST /api/v1/products/{id}/reviews", "POST /products/{id}/reviews"}
)

// Metrics are the Prometheus series of one server, on a registry it owns
// (no package globals, so tests may build several servers in one process).
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	errors        *prometheus.CounterVec
	registrations prometheus.Counter
	reviews       prometheus.Counter
	dropped       *prometheus.CounterVec
	alerts        *prometheus.CounterVec

	critical map[string]prometheus.Counter
}

// NewMetrics registers FPR's series, the Go and process collectors, build
// information and, when dbStats is not nil, the database pool figures it
// returns (read at each scrape).
func NewMetrics(build fpr.BuildInfo, dbStats func() sql.DBStats) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fpr_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fpr_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fpr_errors_total",
			Help: "Internal errors and panics, by error group fingerprint.",
		}, []string{"fingerprint"}),
		registrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fpr_registrations_total",
			Help: "Successful registrations (API and web form).",
		}),
		reviews: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fpr_reviews_submitted_total",
			Help: "Successfully submitted reviews (API and web form).",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fpr_error_events_dropped_total",
			Help: "Error events not stored: queue full, or the database refused them.",
		}, []string{"reason"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fpr_alerts_total",
			Help: "Alerts this instance sent to the webhook, by kind and result (sent, failed, unconfigured).",
		}, []string{"kind", "result"}),
	}
	m.critical = map[string]prometheus.Counter{}
	for _, r := range RegistrationRoutes {
		m.critical[r] = m.registrations
	}
	for _, r := range ReviewRoutes {
		m.critical[r] = m.reviews
	}
	reg.MustRegister(m.requests, m.duration, m.errors, m.registrations, m.reviews, m.dropped, m.alerts,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "fpr_build_info",
			Help:        "Always 1; the labels name the running build.",
			ConstLabels: prometheus.Labels{"release": build.Release, "commit": build.Commit, "go": build.Go},
		}, func() float64 { return 1 }),
	)
	if dbStats != nil {
		reg.MustRegister(newDBStatsCollector(dbStats))
	}
	return m
}

// ResponseCacheStats is what ObserveResponseCache reads at each scrape:
// the answers served from the kept ones and made anew, and what is kept.
type ResponseCacheStats struct {
	Hits, Misses   int64
	Entries, Bytes int
	// StoredHits, Stored and Dropped count the pages kept in the
	// database: answers served from them, pages written, pages not.
	StoredHits, Stored, Dropped int64
}

// ObserveResponseCache exports the HTTP server's kept product answers
// (fprhttp.Server.ResponseCacheStats), read at each scrape.
func (m *Metrics) ObserveResponseCache(stats func() ResponseCacheStats) {
	m.Registry.MustRegister(
		counterFunc("fpr_response_cache_hits_total",
			"Product details and review pages answered from a kept answer whose product stamp was unchanged.",
			func() float64 { return float64(stats().Hits) }),
		counterFunc("fpr_response_cache_misses_total",
			"Product details and review pages made anew (none kept, or the product changed since).",
			func() float64 { return float64(stats().Misses) }),
		gaugeFunc("fpr_response_cache_entries",
			"Answers kept.",
			func() float64 { return float64(stats().Entries) }),
		gaugeFunc("fpr_response_cache_bytes",
			"Memory counted for the answers kept (keys, bodies and bookkeeping), at most the configured bound.",
			func() float64 { return float64(stats().Bytes) }),
		counterFunc("fpr_response_cache_stored_hits_total",
			"First pages of reviews answered from a page kept in the database whose product stamp was unchanged.",
			func() float64 { return float64(stats().StoredHits) }),
		counterFunc("fpr_response_cache_stored_total",
			"First pages of reviews written to the database to be kept.",
			func() float64 { return float64(stats().Stored) }),
		counterFunc("fpr_response_cache_store_dropped_total",
			"First pages of reviews not written to the database (the queue was full or the write failed).",
			func() float64 { return float64(stats().Dropped) }),
	)
}

// WriterStats is what ObserveWriter reads at each scrape: the figures of
// SQLite's one writer (store.DB.GroupCommitStats).
type WriterStats struct {
	Batches, Committed int64
	Busy, Commit       time.Duration
}

// ObserveWriter exports the figures of SQLite's one writer, read at each
// scrape. rate(fpr_sqlite_writer_busy_seconds_total[1m]) is the share of
// time it works: near 1, writes queue behind it (docs/runbook.md).
func (m *Metrics) ObserveWriter(stats func() WriterStats) {
	m.Registry.MustRegister(
		counterFunc("fpr_sqlite_write_batches_total",
			"Transactions of SQLite's one writer: each runs the writes waiting together and commits them with one fsync.",
			func() float64 { return float64(stats().Batches) }),
		counterFunc("fpr_sqlite_writes_committed_total",
			"Write transactions committed in those batches (a review, a vote, a registration…).",
			func() float64 { return float64(stats().Committed) }),
		counterFunc("fpr_sqlite_writer_busy_seconds_total",
			"Time SQLite's one writer spent running batches; its rate is the share of time it works.",
			func() float64 { return stats().Busy.Seconds() }),
		counterFunc("fpr_sqlite_commit_seconds_total",
			"The part of the writer's busy time spent in COMMIT: writing the WAL, its fsync, and checkpoints.",
			func() float64 { return stats().Commit.Seconds() }),
	)
}

// SessionCacheStats is what ObserveSessionCache reads at each scrape: the
// figures of SQLite's session cache (store.DB.SessionCacheStats).
type SessionCacheStats struct {
	Hits, Misses int64
	Kept         int
}

// ObserveSessionCache exports the figures of SQLite's session cache, read
// at each scrape. Misses are first uses and reads after any change to
// sessions or accounts (a logout anywhere empties it for every session).
func (m *Metrics) ObserveSessionCache(stats func() SessionCacheStats) {
	m.Registry.MustRegister(
		counterFunc("fpr_sqlite_session_cache_hits_total",
			"Sessions (API tokens, web logins) served from the instance's cache: the auth epoch was unchanged.",
			func() float64 { return float64(stats().Hits) }),
		counterFunc("fpr_sqlite_session_cache_misses_total",
			"Sessions read from the database: a first use, a change to sessions or accounts since, or an expired copy.",
			func() float64 { return float64(stats().Misses) }),
		gaugeFunc("fpr_sqlite_session_cache_entries",
			"Sessions the instance keeps (at most 10,000).",
			func() float64 { return float64(stats().Kept) }),
	)
}

// counterFunc is a counter read from f at each scrape.
func counterFunc(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
}

// gaugeFunc is a gauge read from f at each scrape.
func gaugeFunc(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveRequest counts one request; its signature is fprhttp.Server's
// AfterRequest hook. The route is the pattern, never the raw path, and the
// method is one of the standard ones or "other" (MethodLabel), so label
// values stay few whatever clients send. A probe's successful
// registration or review counts as a request but not as a registration or
// review (fpr.ServedRequest.Probe).
func (m *Metrics) ObserveRequest(r *http.Request, sr fpr.ServedRequest) {
	method := MethodLabel(r.Method)
	m.requests.WithLabelValues(sr.Route, method, strconv.Itoa(sr.Status)).Inc()
	m.duration.WithLabelValues(sr.Route, method).Observe(sr.Duration.Seconds())
	if c, ok := m.critical[sr.Route]; ok && !sr.Probe && (sr.Status == http.StatusCreated || sr.Status == http.StatusSeeOther) {
		c.Inc()
	}
}

// MethodLabel is the metrics label of an HTTP method: the method itself
// when it is one of the standard ones, else "other". A client can send any
// token as a method (a megabyte of it); each distinct label value would be
// a new series kept for the life of the process.
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// errorRecorded counts one error event of a group.
func (m *Metrics) errorRecorded(fingerprint string) {
	if m != nil {
		m.errors.WithLabelValues(fingerprint).Inc()
	}
}

// eventsDropped counts n error events not stored.
func (m *Metrics) eventsDropped(reason string, n int) {
	if m != nil {
		m.dropped.WithLabelValues(reason).Add(float64(n))
	}
}

// alertSent counts one alert send outcome.
func (m *Metrics) alertSent(kind fpr.AlertKind, result string) {
	if m != nil {
		m.alerts.WithLabelValues(string(kind), result).Inc()
	}
}

// dbStatsCollector reports sql.DBStats at each scrape.
type dbStatsCollector struct {
	stats                                        func() sql.DBStats
	maxOpen, open, inUse, idle, waitCount, waitS *prometheus.Desc
}

func newDBStatsCollector(stats func() sql.DBStats) *dbStatsCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &dbStatsCollector{
		stats:     stats,
		maxOpen:   d("fpr_db_max_open_connections", "Maximum number of open connections to the database."),
		open:      d("fpr_db_open_connections", "Established connections, in use and idle."),
		inUse:     d("fpr_db_in_use_connections", "Connections in use."),
		idle:      d("fpr_db_idle_connections", "Idle connections."),
		waitCount: d("fpr_db_wait_count_total", "Times a query waited for a free connection."),
		waitS:     d("fpr_db_wait_duration_seconds_total", "Total time spent waiting for a free connection."),
	}
}

// Describe implements prometheus.Collector.
func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle, c.waitCount, c.waitS} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.maxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(c.waitCount, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.waitS, prometheus.CounterValue, s.WaitDuration.Seconds())
}
