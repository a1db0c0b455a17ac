// Package metrics owns TrustPulse's Prometheus registry and its typed collectors. Packages that
// report take a *Metrics as a dependency (passed in, never a global); every method is safe on a
// nil *Metrics, so a package built without metrics (tests, CLI commands) needs no checks.
//
// Label values are always our own names (route patterns, job names, fixed results), never
// request data: survey tokens travel in paths, so a path must never become a label.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "trustpulse"

// Metrics is the registry and the collectors other packages report to.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	submissions     *prometheus.CounterVec
	smsSends        *prometheus.CounterVec
	jobRuns         *prometheus.CounterVec
	jobDuration     *prometheus.HistogramVec
}

// New returns metrics on their own registry (not prometheus.DefaultRegisterer), with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "submissions_total",
			Help: "Survey responses submitted, by channel (web, sms)."}, []string{"channel"}),
		smsSends: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "sms_send_results_total",
			Help: "Outcomes of SMS send attempts (sent, retry, failed, stopped, unknown, deferred)."}, []string{"result"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "job_runs_total",
			Help: "Background job runs by job and result (ok, error)."}, []string{"job", "result"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "job_duration_seconds",
			Help: "Background job run time by job.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}, []string{"job"}),
	}
	m.reg.MustRegister(m.requests, m.requestDuration, m.submissions, m.smsSends, m.jobRuns, m.jobDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	// Uncompressed: the web server's gzip middleware compresses it once.
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, DisableCompression: true})
}

// Request counts one HTTP request. route is the route pattern (e.g. /s/:token), never the path.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(d.Seconds())
}

// Submission counts one submitted response on channel ("web" or "sms").
func (m *Metrics) Submission(channel string) {
	if m == nil {
		return
	}
	m.submissions.WithLabelValues(channel).Inc()
}

// SMSSend counts the outcome of one send attempt (result is one of a fixed few words).
func (m *Metrics) SMSSend(result string) {
	if m == nil {
		return
	}
	m.smsSends.WithLabelValues(result).Inc()
}

// JobRun records one run of a background job: its duration and whether it failed. The job
// runner calls it after each run, e.g. `defer func(t time.Time) { m.JobRun(name, time.Since(t), err) }(time.Now())`.
func (m *Metrics) JobRun(name string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(name, result).Inc()
	m.jobDuration.WithLabelValues(name).Observe(d.Seconds())
}

// WatchDB exports the connection pool statistics of db (open, in use, idle, waits…).
func (m *Metrics) WatchDB(db *sql.DB) {
	if m == nil || db == nil {
		return
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, namespace))
}

// DepthFunc reports the current length of a queue by label value (e.g. SMS outbox by status).
type DepthFunc func(ctx context.Context) (map[string]float64, error)

// WatchQueue exports a gauge trustpulse_<name>_depth{<label>} read by f at each scrape (bounded
// by a 5 s timeout; a failed read is logged and leaves the gauge out of that scrape).
func (m *Metrics) WatchQueue(name, help, label string, f DepthFunc, log *slog.Logger) {
	if m == nil {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m.reg.MustRegister(&queueCollector{
		desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, name, "depth"), help, []string{label}, nil),
		f:    f, log: log, name: name,
	})
}

type queueCollector struct {
	desc *prometheus.Desc
	f    DepthFunc
	log  *slog.Logger
	name string
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	depths, err := q.f(ctx)
	if err != nil {
		q.log.Warn("metrics: queue depth", "queue", q.name, "err", err)
		return
	}
	for label, v := range depths {
		ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, v, label)
	}
}
