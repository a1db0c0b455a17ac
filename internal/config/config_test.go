package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDatabaseURL(t *testing.T) {
	cases := []struct {
		in, dialect, dsn, host, err string
	}{
		{"", SQLite, "trustpulse.db", "", ""},
		{"sqlite:/var/lib/tp/x.db", SQLite, "/var/lib/tp/x.db", "", ""},
		{"sqlite:rel.db", SQLite, "rel.db", "", ""},
		{"postgres://u:p@db.example:6432/tp", Postgres, "postgres://u:p@db.example:6432/tp", "db.example:6432", ""},
		{"postgresql://u@db/tp", Postgres, "postgresql://u@db/tp", "db:5432", ""},
		{"sqlite:", "", "", "", "want sqlite:PATH"},
		{"mysql://u:secret@h/x", "", "", "", "want postgres://"},
		{"postgres:///nohost", "", "", "", "missing host"},
	}
	for _, tc := range cases {
		got, err := ParseDatabaseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%q: error leaks the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil || got.Dialect != tc.dialect || got.DSN != tc.dsn || got.Host != tc.host {
			t.Errorf("%q: got %+v, %v", tc.in, got, err)
		}
	}
}

func TestFlagsOverrideEnvOverrideDefaults(t *testing.T) {
	env := map[string]string{"TRUSTPULSE_ADDR": ":9000", "TRUSTPULSE_MIN_GROUP_SIZE": "12", "TRUSTPULSE_DATABASE_URL": "sqlite:env.db"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.ServerFlags(fs)
	if err := fs.Parse([]string{"--db", "sqlite:flag.db"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.MinGroupSize != 12 || c.DatabaseURL != "sqlite:flag.db" || c.BaseURL != "http://localhost:9000" {
		t.Fatalf("precedence wrong: %+v", c)
	}
}

func TestSecretsFromFilesAndMasking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	os.WriteFile(path, []byte("tok-123\n"), 0o600)
	env := map[string]string{"TWILIO_AUTH_TOKEN_FILE": path, "TRUSTPULSE_DATABASE_URL": "postgres://u:pw@h:5432/d"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.TwilioAuthToken != "tok-123" {
		t.Fatalf("token from file = %q", c.TwilioAuthToken)
	}
	m := c.Masked()
	if strings.Contains(m.TwilioAuthToken+m.DatabaseURL, "tok-123") || strings.Contains(m.DatabaseURL, "pw") {
		t.Fatalf("Masked leaks a secret: %+v", m)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := map[string]func(*Config){
		"floor below 5":        func(c *Config) { c.MinGroupSize = 4 },
		"bad base URL":         func(c *Config) { c.BaseURL = "ftp://x" },
		"bad log level":        func(c *Config) { c.LogLevel = "loud" },
		"twilio without from":  func(c *Config) { c.TwilioAccountSID = "AC1" },
		"address without port": func(c *Config) { c.Addr = "localhost" },
	}
	for name, mutate := range cases {
		c := Default()
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
