package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// brokenListener is a socket that fails for good on the first Accept: the HTTP server stops by
// itself while the workers and jobs are running.
type brokenListener struct{ net.Listener }

func (brokenListener) Accept() (net.Conn, error) { return nil, errors.New("accept: socket broken") }

// Before the errgroup lifecycle, serve waited for the workers after the HTTP server stopped by
// itself, and they only stopped on SIGTERM: the process hung, serving nothing.
func TestServeStopsWithAnErrorWhenTheHTTPServerFails(t *testing.T) {
	cfg := config.Default()
	cfg.DatabaseURL, cfg.Addr = testdb.URL(t), "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c, s, err := openRuntime(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		done <- serveUntilDone(context.Background(), cfg, s, log, brokenListener{ln}, c, newServices(cfg, s, c, log), false)
	}()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve still running 30 s after its HTTP server failed:\n%s", logs.String())
	}
	var exit *ExitError
	if err == nil || (errors.As(err, &exit) && exit.Code == 0) {
		t.Fatalf("serve returned %v: want an error (non-zero exit)", err)
	}
	if !strings.Contains(err.Error(), "http server: accept: socket broken") {
		t.Fatalf("error %q does not say what failed", err)
	}
	if !strings.Contains(logs.String(), `msg="component failed; stopping the process" component="http server" err="accept: socket broken"`) {
		t.Fatalf("no clear log line for the failure:\n%s", logs.String())
	}
}
