// Package smstest is a Twilio-shaped Messages API on an httptest server, for tests outside
// package sms (the same wire shape as the sms package's own fake): it records every create with
// the moment it arrived, and answers 201 queued.
package smstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// InstanceHeader is the request header Client stamps, so a test can tell which server sent what.
const InstanceHeader = "X-Test-Instance"

// Request is one Messages create as the fake received it.
type Request struct {
	At       time.Time
	Instance string
	To, Body string
}

// Twilio is the fake.
type Twilio struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []Request
}

// NewTwilio starts the fake; it stops when tb ends.
func NewTwilio(tb testing.TB) *Twilio {
	f := &Twilio{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, Request{At: time.Now(), Instance: r.Header.Get(InstanceHeader), To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body")})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued"}`, n)
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

// Requests returns what arrived so far, in arrival order.
func (f *Twilio) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}

// Client is an HTTP client for twilio-go that carries every call to the fake (twilio-go has no
// base-URL option) and stamps instance on it.
func (f *Twilio) Client(instance string) *http.Client {
	target, _ := url.Parse(f.srv.URL)
	return &http.Client{Timeout: 10 * time.Second, Transport: rewrite{target: target, instance: instance}}
}

type rewrite struct {
	target   *url.URL
	instance string
}

func (rt rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rt.target.Scheme, rt.target.Host, ""
	r.Header.Set(InstanceHeader, rt.instance)
	return http.DefaultTransport.RoundTrip(r)
}
