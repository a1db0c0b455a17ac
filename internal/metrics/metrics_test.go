package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestJobRunsQueuesAndSends(t *testing.T) {
	m := metrics.New()
	m.JobRun("results.refresh", 40*time.Millisecond, nil)
	m.JobRun("results.refresh", 2*time.Second, errors.New("wave 7: boom"))
	m.SMSSend("sent")
	m.SMSSend("retry")
	m.WatchQueue("sms_outbox", "test queue", "status", func(context.Context) (map[string]float64, error) {
		return map[string]float64{"queued": 12, "sending": 1}, nil
	}, nil)
	m.WatchQueue("broken", "fails", "status", func(context.Context) (map[string]float64, error) {
		return nil, errors.New("db down")
	}, nil)
	body := scrape(t, m)
	for _, want := range []string{
		`trustpulse_job_runs_total{job="results.refresh",result="ok"} 1`,
		`trustpulse_job_runs_total{job="results.refresh",result="error"} 1`,
		`trustpulse_job_duration_seconds_count{job="results.refresh"} 2`,
		`trustpulse_sms_send_results_total{result="sent"} 1`,
		`trustpulse_sms_send_results_total{result="retry"} 1`,
		`trustpulse_sms_outbox_depth{status="queued"} 12`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(body, "trustpulse_broken_depth{") || strings.Contains(body, "boom") {
		t.Error("a failed queue read or an error text reached the scrape")
	}
}

// A package given no metrics (nil) reports nothing and does not panic.
func TestNilMetricsAreSafe(t *testing.T) {
	var m *metrics.Metrics
	m.Request("/x", "GET", 200, time.Millisecond)
	m.Submission("web")
	m.SMSSend("sent")
	m.JobRun("j", time.Second, nil)
	m.WatchDB(nil)
	m.WatchQueue("q", "h", "l", nil, nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("nil metrics handler: %d", rec.Code)
	}
}
