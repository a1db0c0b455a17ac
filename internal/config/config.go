// Package config reads TrustPulse's settings: typed defaults, then environment, then flags, then Validate.
// No other package reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/seal"
)

// Config is every setting the binary understands. The README's configuration table mirrors it.
type Config struct {
	DatabaseURL string // postgres://… or sqlite:PATH; empty = sqlite:trustpulse.db
	// MigrateDatabaseURL is the owner's connection for `trustpulse migrate` on PostgreSQL
	// (TRUSTPULSE_MIGRATE_DATABASE_URL, secret); empty = DatabaseURL. See AppRoleName.
	MigrateDatabaseURL string
	// AppRole is the PostgreSQL role serve connects as (TRUSTPULSE_APP_ROLE): `migrate` grants it
	// what the program needs, audit_log SELECT and INSERT only. See AppRoleName.
	AppRole        string
	Addr           string
	BaseURL        string // public URL, used for links and Twilio signature checks
	LogLevel       string
	LogFormat      string // text | json
	MinGroupSize   int    // privacy floor, never below 5
	TrustedProxies []netip.Prefix
	RequestTimeout time.Duration
	// Role is what `serve` runs: web (HTTP only), worker (background jobs and the SMS sender,
	// with /healthz and /readyz only) or all (both; the default).
	Role string

	TwilioAccountSID          string
	TwilioAuthToken           string
	TwilioMessagingServiceSID string
	TwilioFromNumber          string
	SMSRate                   float64 // messages per second across all workers
	// SMSWindowStart and SMSWindowEnd are the part of the school's local day when texts may go
	// out, as offsets from midnight (TRUSTPULSE_SMS_QUIET_START / _END, HH:MM): outside it is quiet.
	SMSWindowStart, SMSWindowEnd time.Duration
	// SealKey seals the link tokens of queued texts (internal/seal): 32 bytes, hex or base64.
	// Empty means a random key per process (queued links are then re-minted after a restart).
	SealKey string
	// SMTPURL is the mail server of email invitations (TRUSTPULSE_SMTP_URL, secret): smtp://
	// requires STARTTLS, smtps:// is implicit TLS; empty keeps mails in the local outbox.
	SMTPURL   string
	SMTPFrom  string  // From address of invitation mails (TRUSTPULSE_SMTP_FROM)
	EmailRate float64 // mails per second across all workers (TRUSTPULSE_EMAIL_RATE)

	// Staff single sign-on (OpenID Connect); off while OIDCClientID is empty.
	OIDCProvider       string // google | microsoft | generic
	OIDCIssuer         string // Microsoft: the tenant-specific issuer, never /common
	OIDCClientID       string
	OIDCClientSecret   string
	OIDCAllowedDomains []string // email domains allowed to sign in; required with SSO
	// OIDCRespondentDomains are the email domains whose students and staff may sign in to answer
	// at /me (same OIDC client); empty means respondent sign-in is off.
	OIDCRespondentDomains []string
	// DistrictHosts maps a host name staff sign in at to its district's slug
	// (TRUSTPULSE_DISTRICT_HOSTS "host=slug,…"): sign-in by email then asks that district only
	// (#19 line 3).
	DistrictHosts map[string]string

	// Class codes and stored snapshots (see internal/wave).
	CodeMargin           int     // responses a code takes beyond the people it is for
	CodeSubmitsPerMinute float64 // code submissions one address may make per code per minute
	SnapshotK            int     // every stored snapshot is shared by at least this many rostered people
	// Migrate lets a command apply pending migrations to a database that already has a schema:
	// `migrate` and `demo` always do, `serve` only with --migrate; others refuse a stale schema.
	Migrate bool
	// Prometheus metrics: on their own listen address when MetricsAddr is set, else at /metrics
	// on the main address for loopback requests without forwarding headers or with MetricsToken.
	MetricsAddr  string
	MetricsToken string
	// MassDeactivationShare is the largest share of a district's active people a roster import
	// may deactivate without an explicit confirmation (0–1].
	MassDeactivationShare float64
	// Chromium is the headless browser that prints the reports to PDF (TRUSTPULSE_CHROMIUM);
	// without it the reports still print from the viewer's browser.
	Chromium string
}

// Default returns the settings used when nothing is configured.
func Default() Config {
	return Config{
		Addr:           ":8080",
		LogLevel:       "info",
		LogFormat:      "text",
		MinGroupSize:   10,
		RequestTimeout: 30 * time.Second,
		Role:           RoleAll,
		SMSRate:        1,
		EmailRate:      2,
		SMSWindowStart: 8 * time.Hour,
		SMSWindowEnd:   20 * time.Hour,

		CodeMargin:            3,
		CodeSubmitsPerMinute:  15,
		SnapshotK:             5,
		MassDeactivationShare: 0.2,
		Chromium:              "/usr/bin/chromium",
	}
}

// envVar ties one environment variable to the field it sets.
type envVar struct {
	name  string
	apply func(c *Config, v string) error
}

func envVars() []envVar {
	str := func(f func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *f(c) = v; return nil }
	}
	return []envVar{
		{"TRUSTPULSE_DATABASE_URL", str(func(c *Config) *string { return &c.DatabaseURL })},
		{"TRUSTPULSE_MIGRATE_DATABASE_URL", str(func(c *Config) *string { return &c.MigrateDatabaseURL })},
		{"TRUSTPULSE_APP_ROLE", str(func(c *Config) *string { return &c.AppRole })},
		{"TRUSTPULSE_ADDR", str(func(c *Config) *string { return &c.Addr })},
		{"TRUSTPULSE_BASE_URL", str(func(c *Config) *string { return &c.BaseURL })},
		{"TRUSTPULSE_LOG_LEVEL", str(func(c *Config) *string { return &c.LogLevel })},
		{"TRUSTPULSE_LOG_FORMAT", str(func(c *Config) *string { return &c.LogFormat })},
		{"TRUSTPULSE_MIN_GROUP_SIZE", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			c.MinGroupSize = n
			return nil
		}},
		{"TRUSTPULSE_TRUSTED_PROXIES", func(c *Config, v string) error {
			p, err := parsePrefixes(v)
			c.TrustedProxies = p
			return err
		}},
		{"TRUSTPULSE_REQUEST_TIMEOUT", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.RequestTimeout = d
			return err
		}},
		{"TRUSTPULSE_ROLE", str(func(c *Config) *string { return &c.Role })},
		{"TRUSTPULSE_SMS_RATE", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			c.SMSRate = f
			return err
		}},
		{"TRUSTPULSE_SMS_QUIET_START", func(c *Config, v string) error {
			d, err := parseClock(v)
			c.SMSWindowStart = d
			return err
		}},
		{"TRUSTPULSE_SMS_QUIET_END", func(c *Config, v string) error {
			d, err := parseClock(v)
			c.SMSWindowEnd = d
			return err
		}},
		{"TRUSTPULSE_SEAL_KEY", str(func(c *Config) *string { return &c.SealKey })},
		{"TRUSTPULSE_SMTP_URL", str(func(c *Config) *string { return &c.SMTPURL })},
		{"TRUSTPULSE_SMTP_FROM", str(func(c *Config) *string { return &c.SMTPFrom })},
		{"TRUSTPULSE_EMAIL_RATE", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			c.EmailRate = f
			return err
		}},
		{"TRUSTPULSE_CODE_MARGIN", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			c.CodeMargin = n
			return nil
		}},
		{"TRUSTPULSE_CODE_SUBMITS_PER_MINUTE", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("not a number: %q", v)
			}
			c.CodeSubmitsPerMinute = f
			return nil
		}},
		{"TRUSTPULSE_SNAPSHOT_K", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			c.SnapshotK = n
			return nil
		}},
		{"TRUSTPULSE_MASS_DEACTIVATION_SHARE", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
			if err != nil {
				return fmt.Errorf("not a number: %q", v)
			}
			if strings.HasSuffix(v, "%") {
				f /= 100
			}
			c.MassDeactivationShare = f
			return nil
		}},
		{"TWILIO_ACCOUNT_SID", str(func(c *Config) *string { return &c.TwilioAccountSID })},
		{"TWILIO_AUTH_TOKEN", str(func(c *Config) *string { return &c.TwilioAuthToken })},
		{"TWILIO_MESSAGING_SERVICE_SID", str(func(c *Config) *string { return &c.TwilioMessagingServiceSID })},
		{"TWILIO_FROM_NUMBER", str(func(c *Config) *string { return &c.TwilioFromNumber })},
		{"TRUSTPULSE_OIDC_PROVIDER", str(func(c *Config) *string { return &c.OIDCProvider })},
		{"TRUSTPULSE_OIDC_ISSUER", str(func(c *Config) *string { return &c.OIDCIssuer })},
		{"TRUSTPULSE_OIDC_CLIENT_ID", str(func(c *Config) *string { return &c.OIDCClientID })},
		{"TRUSTPULSE_OIDC_CLIENT_SECRET", str(func(c *Config) *string { return &c.OIDCClientSecret })},
		{"TRUSTPULSE_METRICS_ADDR", str(func(c *Config) *string { return &c.MetricsAddr })},
		{"TRUSTPULSE_CHROMIUM", str(func(c *Config) *string { return &c.Chromium })},
		{"TRUSTPULSE_METRICS_TOKEN", str(func(c *Config) *string { return &c.MetricsToken })},
		{"TRUSTPULSE_OIDC_ALLOWED_DOMAINS", func(c *Config, v string) error {
			c.OIDCAllowedDomains = nil
			for _, d := range strings.Split(v, ",") {
				if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
					c.OIDCAllowedDomains = append(c.OIDCAllowedDomains, d)
				}
			}
			return nil
		}},
		{"TRUSTPULSE_DISTRICT_HOSTS", func(c *Config, v string) error {
			c.DistrictHosts = nil
			for _, pair := range strings.Split(v, ",") {
				if pair = strings.TrimSpace(pair); pair == "" {
					continue
				}
				host, slug, ok := strings.Cut(pair, "=")
				host, slug = strings.ToLower(strings.TrimSpace(host)), strings.TrimSpace(slug)
				if !ok || host == "" || slug == "" || strings.ContainsAny(host, ":/ ") {
					return fmt.Errorf("want host=slug pairs separated by commas, got %q", pair)
				}
				if c.DistrictHosts == nil {
					c.DistrictHosts = map[string]string{}
				}
				c.DistrictHosts[host] = slug
			}
			return nil
		}},
		{"TRUSTPULSE_OIDC_RESPONDENT_DOMAINS", func(c *Config, v string) error {
			c.OIDCRespondentDomains = nil
			for _, d := range strings.Split(v, ",") {
				if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
					c.OIDCRespondentDomains = append(c.OIDCRespondentDomains, d)
				}
			}
			return nil
		}},
	}
}

// secretFileVars may instead be given as NAME_FILE, the path of a file holding the value,
// so secrets can come from a mounted secret rather than the process environment.
var secretNames = map[string]bool{"TWILIO_AUTH_TOKEN": true, "TRUSTPULSE_DATABASE_URL": true, "TRUSTPULSE_MIGRATE_DATABASE_URL": true,
	"TRUSTPULSE_OIDC_CLIENT_SECRET": true, "TRUSTPULSE_SEAL_KEY": true, "TRUSTPULSE_METRICS_TOKEN": true,
	"TRUSTPULSE_SMTP_URL": true}

// EnvNames lists every environment variable read, for the README and for tests.
func EnvNames() []string {
	var names []string
	for _, e := range envVars() {
		names = append(names, e.name)
	}
	return names
}

// FromEnv applies environment variables over the defaults.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	for _, e := range envVars() {
		v := getenv(e.name)
		if v == "" && secretNames[e.name] {
			if path := getenv(e.name + "_FILE"); path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					return c, fmt.Errorf("%s_FILE: %w", e.name, err)
				}
				v = strings.TrimSpace(string(b))
			}
		}
		if v == "" {
			continue
		}
		if err := e.apply(&c, v); err != nil {
			return c, fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return c, nil
}

// DatabaseFlag registers --db, which overrides TRUSTPULSE_DATABASE_URL.
func (c *Config) DatabaseFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "db", c.DatabaseURL, "database URL: postgres://… or sqlite:PATH (default sqlite:trustpulse.db)")
}

// ServerFlags registers the flags of commands that serve HTTP.
func (c *Config) ServerFlags(fs *flag.FlagSet) {
	c.DatabaseFlag(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public base URL for links (default http://localhost:PORT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	fs.IntVar(&c.MinGroupSize, "min-group-size", c.MinGroupSize, "privacy floor: smallest group shown in any result (at least 5)")
}

// Roles of a serve process; see Config.Role.
const (
	RoleWeb    = "web"
	RoleWorker = "worker"
	RoleAll    = "all"
)

// RoleFlag registers --role, which overrides TRUSTPULSE_ROLE (serve only: demo is always "all").
func (c *Config) RoleFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.Role, "role", c.Role, "what this process runs: web (HTTP only), worker (background jobs and SMS sending) or all")
}

// ServesWeb reports whether the process serves the web app.
func (c *Config) ServesWeb() bool { return c.Role != RoleWorker }

// RunsWorkers reports whether the process runs background jobs and the SMS sender.
func (c *Config) RunsWorkers() bool { return c.Role != RoleWeb }

// Validate checks the settings a command is about to use and fills derived defaults.
func (c *Config) Validate() error {
	db, err := ParseDatabaseURL(c.DatabaseURL)
	if err != nil {
		return err
	}
	if c.MigrateDatabaseURL != "" {
		m, err := ParseDatabaseURL(c.MigrateDatabaseURL)
		if err != nil {
			return fmt.Errorf("TRUSTPULSE_MIGRATE_DATABASE_URL: %w", err)
		}
		if m.Dialect != Postgres || db.Dialect != Postgres {
			return errors.New("TRUSTPULSE_MIGRATE_DATABASE_URL is for PostgreSQL: set it and TRUSTPULSE_DATABASE_URL to postgres:// URLs of the same database")
		}
	}
	if c.AppRole != "" {
		if !roleName.MatchString(c.AppRole) {
			return fmt.Errorf("TRUSTPULSE_APP_ROLE %q: want a PostgreSQL role name (letters, digits, _; at most 63)", c.AppRole)
		}
		if db.Dialect != Postgres {
			return errors.New("TRUSTPULSE_APP_ROLE is for PostgreSQL (SQLite has no roles and keeps its audit trigger)")
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT or :PORT", c.Addr)
	}
	if c.BaseURL == "" {
		_, port, _ := net.SplitHostPort(c.Addr)
		c.BaseURL = "http://localhost:" + port
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base URL %q: want http(s)://HOST[:PORT]", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if c.MinGroupSize < 5 {
		return fmt.Errorf("minimum group size %d: must be at least 5", c.MinGroupSize)
	}
	if !(c.MassDeactivationShare > 0 && c.MassDeactivationShare <= 1) {
		return fmt.Errorf("mass deactivation share %v: must be more than 0 and at most 1 (e.g. 0.2 or 20%%)", c.MassDeactivationShare)
	}
	if c.RequestTimeout <= 0 {
		return errors.New("request timeout must be positive")
	}
	switch c.Role {
	case RoleWeb, RoleWorker, RoleAll:
	default:
		return fmt.Errorf("role %q: want web, worker or all", c.Role)
	}
	if c.SMTPURL != "" {
		if _, err := ParseSMTPURL(c.SMTPURL); err != nil {
			return err
		}
	}
	if c.EmailRate <= 0 {
		return errors.New("TRUSTPULSE_EMAIL_RATE must be positive")
	}
	if c.SMSRate <= 0 {
		return errors.New("SMS rate must be positive")
	}
	if c.SMSWindowStart < 0 || c.SMSWindowEnd > 24*time.Hour || c.SMSWindowStart >= c.SMSWindowEnd {
		return fmt.Errorf("SMS sending window %s–%s: TRUSTPULSE_SMS_QUIET_START must be before TRUSTPULSE_SMS_QUIET_END on the same day",
			formatClock(c.SMSWindowStart), formatClock(c.SMSWindowEnd))
	}
	if c.CodeMargin < 0 || c.CodeMargin > 50 {
		return fmt.Errorf("TRUSTPULSE_CODE_MARGIN %d: want 0 to 50 extra responses per class code", c.CodeMargin)
	}
	if c.CodeSubmitsPerMinute <= 0 {
		return errors.New("TRUSTPULSE_CODE_SUBMITS_PER_MINUTE must be positive")
	}
	if c.SnapshotK < 3 {
		return fmt.Errorf("TRUSTPULSE_SNAPSHOT_K %d: must be at least 3", c.SnapshotK)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("metrics listen address %q: want HOST:PORT or :PORT", c.MetricsAddr)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		return errors.New("TRUSTPULSE_METRICS_TOKEN: use at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if c.TwilioAccountSID != "" && c.TwilioMessagingServiceSID == "" && c.TwilioFromNumber == "" {
		return errors.New("TWILIO_ACCOUNT_SID is set: also set TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER")
	}
	if c.SealKey != "" {
		if _, err := seal.ParseKey(c.SealKey); err != nil {
			return fmt.Errorf("TRUSTPULSE_SEAL_KEY: %w", err)
		}
	}
	return c.validateOIDC()
}

// parseClock reads a school-local time of day, HH:MM (24-hour; 24:00 is the end of the day).
func parseClock(v string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(v), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q: want a time of day as HH:MM, e.g. 08:00", v)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// formatClock writes an offset from midnight as HH:MM.
func formatClock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// validateOIDC checks single sign-on settings; the traps are the ones that let strangers in.
func (c *Config) validateOIDC() error {
	if c.OIDCClientID == "" {
		if len(c.OIDCRespondentDomains) > 0 {
			return errors.New("TRUSTPULSE_OIDC_RESPONDENT_DOMAINS is set: sign in to answer uses the single sign-on client, so also set TRUSTPULSE_OIDC_PROVIDER, TRUSTPULSE_OIDC_CLIENT_ID and TRUSTPULSE_OIDC_CLIENT_SECRET")
		}
		return nil
	}
	for _, d := range c.OIDCRespondentDomains {
		// A domain, not an address or a pattern: "*" or "gmail.com"-style mistakes let strangers in.
		if strings.ContainsAny(d, "@*/ ") || !strings.Contains(d, ".") {
			return fmt.Errorf("TRUSTPULSE_OIDC_RESPONDENT_DOMAINS: %q is not an email domain (want e.g. students.district.org)", d)
		}
	}
	switch c.OIDCProvider {
	case "google":
		if c.OIDCIssuer == "" {
			c.OIDCIssuer = "https://accounts.google.com"
		}
	case "microsoft":
		// /common, /organizations and /consumers accept any tenant's accounts.
		for _, multi := range []string{"/common", "/organizations", "/consumers"} {
			if c.OIDCIssuer == "" || strings.Contains(c.OIDCIssuer, multi) {
				return errors.New("TRUSTPULSE_OIDC_ISSUER: Microsoft needs the tenant-specific issuer https://login.microsoftonline.com/TENANT_ID/v2.0")
			}
		}
	case "generic":
		if c.OIDCIssuer == "" {
			return errors.New("TRUSTPULSE_OIDC_ISSUER is required for a generic OpenID Connect provider")
		}
	default:
		return fmt.Errorf("TRUSTPULSE_OIDC_PROVIDER %q: want google, microsoft or generic", c.OIDCProvider)
	}
	if c.OIDCClientSecret == "" {
		return errors.New("TRUSTPULSE_OIDC_CLIENT_ID is set: also set TRUSTPULSE_OIDC_CLIENT_SECRET")
	}
	if len(c.OIDCAllowedDomains) == 0 {
		return errors.New("TRUSTPULSE_OIDC_ALLOWED_DOMAINS is required with single sign-on: the email domains that may sign in")
	}
	return nil
}

// TwilioEnabled reports whether real SMS sending is configured; otherwise messages go to the local outbox.
func (c *Config) TwilioEnabled() bool {
	return c.TwilioAccountSID != "" && c.TwilioAuthToken != ""
}

// Masked returns a copy safe to log: secrets replaced, the database password removed.
// roleName is the role names TRUSTPULSE_APP_ROLE accepts: plain identifiers, quoted when used.
var roleName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// AppRoleName is the role `trustpulse migrate` grants the application's privileges to: AppRole,
// or, when only MigrateDatabaseURL is set, the user of DatabaseURL if it differs from the
// migrating user. Empty means no split of roles (the application connects as the owner).
func (c Config) AppRoleName() string {
	if c.AppRole != "" || c.MigrateDatabaseURL == "" {
		return c.AppRole
	}
	user := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			return ""
		}
		return u.User.Username()
	}
	if app := user(c.DatabaseURL); app != "" && app != user(c.MigrateDatabaseURL) {
		return app
	}
	return ""
}

func (c Config) Masked() Config {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "********"
	}
	c.TwilioAuthToken = mask(c.TwilioAuthToken)
	c.OIDCClientSecret = mask(c.OIDCClientSecret)
	c.SealKey = mask(c.SealKey)
	c.SMTPURL = mask(c.SMTPURL) // its user and password are secrets
	c.MetricsToken = mask(c.MetricsToken)
	if db, err := ParseDatabaseURL(c.DatabaseURL); err == nil {
		c.DatabaseURL = db.Redacted()
	} else {
		c.DatabaseURL = mask(c.DatabaseURL)
	}
	if db, err := ParseDatabaseURL(c.MigrateDatabaseURL); err == nil && c.MigrateDatabaseURL != "" {
		c.MigrateDatabaseURL = db.Redacted()
	} else {
		c.MigrateDatabaseURL = mask(c.MigrateDatabaseURL)
	}
	return c
}

func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		out = append(out, p)
	}
	return out, nil
}
