// Package authtest is an OpenID Connect provider on httptest for tests of single sign-on:
// discovery and JWKS from go-oidc's oidctest, and a token endpoint that checks the client
// secret and the PKCE verifier. Test code only.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// The client the fake provider accepts.
const (
	ClientID     = "trustpulse"
	ClientSecret = "s3cret"
)

// Provider is a running fake OpenID Connect provider; URL is its issuer.
type Provider struct {
	URL   string
	t     testing.TB
	srv   *httptest.Server
	n     int // codes issued, under mu
	key   *rsa.PrivateKey
	mu    sync.Mutex
	codes map[string]issuedCode
}

type issuedCode struct {
	challenge string
	claims    map[string]any
}

// NewProvider starts a provider with a fresh RSA key; it stops when t ends.
func NewProvider(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &Provider{t: t, key: key, codes: map[string]issuedCode{}}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: "RS256"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	// A stand-in for the consent page, so a real browser sent here lands on a page; tests then
	// call Authorize with the URL it was sent to.
	mux.HandleFunc("GET /auth", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><title>Fake provider</title><p>Consent</p></html>`))
	})
	mux.Handle("/", disc)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	disc.SetIssuer(f.srv.URL)
	f.URL = f.srv.URL
	return f
}

// Authorize plays the provider's consent page: it records the PKCE challenge for a new code
// whose ID token carries claims (with the request's nonce unless claims set one).
func (f *Provider) Authorize(authURL string, claims map[string]any) (state, code string) {
	f.t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		f.t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		f.t.Fatalf("no PKCE S256 challenge in %s", authURL)
	}
	if _, ok := claims["nonce"]; !ok {
		claims["nonce"] = q.Get("nonce")
	}
	f.mu.Lock()
	f.n++
	code = "code-" + strconv.Itoa(f.n)
	f.codes[code] = issuedCode{challenge: q.Get("code_challenge"), claims: claims}
	f.mu.Unlock()
	return q.Get("state"), code
}

func (f *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || secret != ClientSecret {
		http.Error(w, `{"error":"invalid_client"}`, 401)
		return
	}
	f.mu.Lock()
	ic, ok := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != ic.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	claims := map[string]any{"iss": f.srv.URL, "aud": ClientID, "sub": "user-1",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range ic.claims {
		claims[k] = v
	}
	raw, _ := json.Marshal(claims)
	idToken := oidctest.SignIDToken(f.key, "k1", "RS256", string(raw))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}
