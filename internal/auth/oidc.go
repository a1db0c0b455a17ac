package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// OIDC providers with their own rules.
const (
	ProviderGoogle    = "google"
	ProviderMicrosoft = "microsoft"
	ProviderGeneric   = "generic"
)

// OIDCConfig configures staff single sign-on (validated by config.Config.Validate).
type OIDCConfig struct {
	Provider       string
	Issuer         string
	ClientID       string
	ClientSecret   string
	RedirectURL    string   // BASE_URL/login/oidc/callback
	AllowedDomains []string // lower-case email domains
	// RespondentDomains are the email domains whose students and staff may sign in to answer
	// (RespondentRedirectURL, BASE_URL/me/callback); empty means respondent sign-in is off.
	RespondentDomains     []string
	RespondentRedirectURL string
}

// ErrOIDCRejected is a sign-in the identity provider vouched for but we refuse (domain not
// allowed, email unverified, no matching staff member). The wrapped text says why, for the log.
var ErrOIDCRejected = errors.New("single sign-on refused")

// OIDC signs staff in with an OpenID Connect provider: authorization code flow with PKCE, state
// and nonce. Discovery happens at first use, so a provider that is briefly down does not stop
// the server from starting; a failed discovery is retried on the next sign-in.
type OIDC struct {
	svc *Service
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC returns single sign-on for svc with cfg.
func NewOIDC(svc *Service, cfg OIDCConfig) *OIDC {
	for i, d := range cfg.AllowedDomains {
		cfg.AllowedDomains[i] = strings.ToLower(strings.TrimSpace(d))
	}
	for i, d := range cfg.RespondentDomains {
		cfg.RespondentDomains[i] = strings.ToLower(strings.TrimSpace(d))
	}
	return &OIDC{svc: svc, cfg: cfg}
}

// Provider names the configured provider (for the sign-in button).
func (o *OIDC) Provider() string { return o.cfg.Provider }

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, oauth2.Config, error) {
	return o.discoverFor(ctx, o.cfg.RedirectURL)
}

// discoverFor is discover with the redirect URL of one flow: staff and respondent sign-ins come
// back to different callbacks, so a code issued for one cannot be redeemed at the other.
func (o *OIDC) discoverFor(ctx context.Context, redirectURL string) (*oidc.Provider, oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
		if err != nil {
			return nil, oauth2.Config{}, fmt.Errorf("oidc discovery at %s: %w", o.cfg.Issuer, err)
		}
		o.provider = p
	}
	oc := oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: redirectURL,
		Endpoint: o.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	return o.provider, oc, nil
}

// Flow is the per-attempt secret state kept in the browser (a short-lived HttpOnly cookie)
// between the redirect to the provider and the callback.
type Flow struct {
	State, Nonce, Verifier string
}

// Encode packs a flow into one cookie value.
func (f Flow) Encode() string { return f.State + "." + f.Nonce + "." + f.Verifier }

// DecodeFlow unpacks a cookie value made by Encode.
func DecodeFlow(v string) (Flow, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Flow{}, false
	}
	return Flow{State: parts[0], Nonce: parts[1], Verifier: parts[2]}, true
}

// Start returns the provider URL to send the browser to and the flow to keep for the callback.
func (o *OIDC) Start(ctx context.Context) (string, Flow, error) {
	return o.start(ctx, o.cfg.RedirectURL, o.cfg.AllowedDomains)
}

func (o *OIDC) start(ctx context.Context, redirectURL string, domains []string) (string, Flow, error) {
	_, oc, err := o.discoverFor(ctx, redirectURL)
	if err != nil {
		return "", Flow{}, err
	}
	f := Flow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier()}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)}
	if o.cfg.Provider == ProviderGoogle && len(domains) == 1 {
		// Only a hint for Google's account chooser; the hd claim is checked after verification.
		opts = append(opts, oauth2.SetAuthURLParam("hd", domains[0]))
	}
	return oc.AuthCodeURL(f.State, opts...), f, nil
}

// claims are the ID token claims we use.
type claims struct {
	Email             string `json:"email"`
	EmailVerified     *bool  `json:"email_verified"`
	HostedDomain      string `json:"hd"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
}

// Finish completes the callback: checks state, exchanges the code with the PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry, nonce), applies the provider's
// rules and the domain allow-list, and signs in the matching account, creating a staff account
// for a rostered staff member on first sign-in. It returns a session token like SignIn.
// host is the host name the callback came to: it names the district to look in (signInDistrict).
func (o *OIDC) Finish(ctx context.Context, f Flow, state, code, ip, host string) (string, *Principal, error) {
	c, err := o.verify(ctx, f, state, code, o.cfg.RedirectURL)
	if err != nil {
		return "", nil, err
	}
	email, err := o.checkClaims(c, o.cfg.AllowedDomains)
	if err != nil {
		return "", nil, err
	}
	return o.signIn(ctx, email, c.Name, ip, host)
}

// verify checks state, exchanges the code with the PKCE verifier at redirectURL's flow and
// verifies the ID token (signature, issuer, audience, expiry, nonce), returning its claims.
func (o *OIDC) verify(ctx context.Context, f Flow, state, code, redirectURL string) (claims, error) {
	if subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return claims{}, fmt.Errorf("%w: state does not match", ErrOIDCRejected)
	}
	p, oc, err := o.discoverFor(ctx, redirectURL)
	if err != nil {
		return claims{}, err
	}
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return claims{}, fmt.Errorf("%w: code exchange: %v", ErrOIDCRejected, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return claims{}, fmt.Errorf("%w: no id_token in the token response", ErrOIDCRejected)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return claims{}, fmt.Errorf("%w: id token: %v", ErrOIDCRejected, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return claims{}, fmt.Errorf("%w: nonce does not match", ErrOIDCRejected)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return claims{}, fmt.Errorf("%w: claims: %v", ErrOIDCRejected, err)
	}
	return c, nil
}

// checkClaims applies the provider rules and the domain list and returns the email to match.
func (o *OIDC) checkClaims(c claims, domains []string) (string, error) {
	email := normalizeEmail(c.Email)
	switch o.cfg.Provider {
	case ProviderGoogle:
		// A Google account can carry any email; only a verified one in an allowed Workspace
		// (hd, present only for Workspace accounts) proves it belongs to the district.
		if c.EmailVerified == nil || !*c.EmailVerified {
			return "", fmt.Errorf("%w: email not verified", ErrOIDCRejected)
		}
		if !slices.Contains(domains, strings.ToLower(c.HostedDomain)) {
			return "", fmt.Errorf("%w: Google Workspace domain %q not allowed", ErrOIDCRejected, c.HostedDomain)
		}
	case ProviderMicrosoft:
		// The tenant-specific issuer (checked by the verifier) ties the account to the tenant;
		// Entra often sends the sign-in name rather than an email claim.
		if email == "" {
			email = normalizeEmail(c.PreferredUsername)
		}
		if c.EmailVerified != nil && !*c.EmailVerified {
			return "", fmt.Errorf("%w: email not verified", ErrOIDCRejected)
		}
	default:
		if c.EmailVerified == nil || !*c.EmailVerified {
			return "", fmt.Errorf("%w: email not verified", ErrOIDCRejected)
		}
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "", fmt.Errorf("%w: no email in the token", ErrOIDCRejected)
	}
	if !slices.Contains(domains, email[at+1:]) {
		// The domain only: the reason is logged, and an address (a child's, at /me) must not be.
		return "", fmt.Errorf("%w: email domain %q not allowed", ErrOIDCRejected, email[at+1:])
	}
	return email, nil
}

// signIn finds the account for email, or makes one for a rostered staff member (role staff,
// their rostered schools), and starts a session. It looks in the district of host
// (signInDistrict), so that on Citus the lookup goes to one shard; with several districts and no
// host mapped, in every district, the first by district id winning as before.
func (o *OIDC) signIn(ctx context.Context, email, name, ip, host string) (string, *Principal, error) {
	s := o.svc
	in, err := s.signInScope(ctx, host)
	if err != nil {
		return "", nil, fmt.Errorf("oidc sign in: %w", err)
	}
	var u store.User
	err = in().Where("email = ? AND active = ?", email, true).Order("district_id").First(&u).Error
	if err == nil {
		return s.startSession(ctx, u, ip, "oidc")
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil, fmt.Errorf("oidc sign in: %w", err)
	}
	var person store.Person
	err = in().Where("LOWER(email) = ? AND kind = ? AND active = ?", email, store.KindStaff, true).Order("district_id").First(&person).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil, fmt.Errorf("%w: no account or rostered staff member with email %s", ErrOIDCRejected, email)
	}
	if err != nil {
		return "", nil, fmt.Errorf("oidc sign in: %w", err)
	}
	var schools []int64
	if err := s.store.DB.WithContext(ctx).Model(&store.PersonSchool{}).Where("district_id = ? AND person_id = ?", person.DistrictID, person.ID).Order("school_id").Pluck("school_id", &schools).Error; err != nil {
		return "", nil, fmt.Errorf("oidc sign in: %w", err)
	}
	if len(schools) == 0 && person.SchoolID != nil {
		schools = []int64{*person.SchoolID}
	}
	if len(schools) == 0 {
		return "", nil, fmt.Errorf("%w: staff member %s has no school in the roster", ErrOIDCRejected, email)
	}
	if name == "" {
		name = strings.TrimSpace(person.GivenName + " " + person.FamilyName)
	}
	u, err = s.CreateUser(ctx, nil, NewUser{DistrictID: person.DistrictID, Email: email, Name: name, Role: Staff, Schools: schools})
	if err != nil {
		return "", nil, fmt.Errorf("oidc sign in: %w", err)
	}
	if err := s.store.DB.WithContext(ctx).Model(&store.User{}).Where("district_id = ? AND id = ?", u.DistrictID, u.ID).Update("person_id", person.ID).Error; err != nil {
		return "", nil, fmt.Errorf("oidc sign in: link person: %w", err)
	}
	return s.startSession(ctx, u, ip, "oidc")
}

func randomString() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
