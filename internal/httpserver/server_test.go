package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/locales"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestReadyzFollowsTheDatabase(t *testing.T) {
	s := testdb.Open(t)
	cfg := config.Default()
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: s, Log: quietLog(), Locales: mustLocales(t)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Fatalf("readyz with database up = %d", rec.Code)
	}
	s.Close()
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Fatalf("readyz with database closed = %d, want 503", rec.Code)
	}
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Fatalf("healthz with database closed = %d, want 200", rec.Code)
	}
}

func TestRunLetsInFlightRequestsFinish(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(500 * time.Millisecond)
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- httpserver.Run(ctx, ln, slow, quietLog()) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{body: string(b)}
	}()
	<-started
	cancel() // what SIGTERM does in main
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request during shutdown: body %q, err %v", r.body, r.err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run returned %v after graceful shutdown", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestBodiesAreLimited(t *testing.T) {
	s := testdb.Open(t)
	srv, _ := httpserver.New(httpserver.Deps{Config: config.Default(), Store: s, Log: quietLog(), Locales: mustLocales(t)})
	big := make([]byte, 2<<20)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/healthz", io.NopCloser(&fixedReader{b: big}))
	req.ContentLength = int64(len(big))
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB body = %d", rec.Code)
	}
}

type fixedReader struct{ b []byte }

func (f *fixedReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

func mustLocales(t *testing.T) *locale.Catalog {
	t.Helper()
	loc, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
