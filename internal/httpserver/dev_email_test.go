package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/email"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// /dev/email shows live links, so it exists in demo mode only.
func TestDevEmailOnlyInDemoMode(t *testing.T) {
	st := testdb.Open(t)
	cfg := config.Default()
	cfg.BaseURL = hookBase
	loc := mustLocales(t)
	mail := email.New(cfg, st, loc, nil, quietLog())
	for _, demo := range []bool{false, true} {
		srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: st, Log: quietLog(), Locales: loc, Email: mail, DevOutbox: demo})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/email", nil))
		if ok := rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), "Email outbox"); ok != demo {
			t.Errorf("demo=%v: /dev/email answered %d", demo, rec.Code)
		}
	}
}
