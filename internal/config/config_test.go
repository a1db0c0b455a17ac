package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		"sms window backwards": func(c *Config) { c.SMSWindowStart, c.SMSWindowEnd = 20*time.Hour, 8*time.Hour },
		"sms window empty":     func(c *Config) { c.SMSWindowEnd = c.SMSWindowStart },
	}
	for name, mutate := range cases {
		c := Default()
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSMSQuietHours(t *testing.T) {
	cases := []struct {
		start, end string
		wantStart  time.Duration
		wantEnd    time.Duration
		err        string
	}{
		{"", "", 8 * time.Hour, 20 * time.Hour, ""},
		{"07:30", "21:00", 7*time.Hour + 30*time.Minute, 21 * time.Hour, ""},
		{"00:00", "24:00", 0, 24 * time.Hour, ""},
		{"8:00", "", 0, 0, `TRUSTPULSE_SMS_QUIET_START: "8:00": want a time of day as HH:MM`},
		{"", "20h", 0, 0, `TRUSTPULSE_SMS_QUIET_END: "20h": want a time of day as HH:MM`},
		{"", "24:30", 0, 0, "TRUSTPULSE_SMS_QUIET_END"},
		{"08:60", "", 0, 0, "TRUSTPULSE_SMS_QUIET_START"},
		{"21:00", "", 0, 0, "SMS sending window 21:00–20:00: TRUSTPULSE_SMS_QUIET_START must be before TRUSTPULSE_SMS_QUIET_END"},
	}
	for _, tc := range cases {
		env := map[string]string{"TRUSTPULSE_SMS_QUIET_START": tc.start, "TRUSTPULSE_SMS_QUIET_END": tc.end}
		c, err := FromEnv(func(k string) string { return env[k] })
		if err == nil {
			err = c.Validate()
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q–%q: err %v, want one line with %q", tc.start, tc.end, err, tc.err)
			}
			continue
		}
		if err != nil || c.SMSWindowStart != tc.wantStart || c.SMSWindowEnd != tc.wantEnd {
			t.Errorf("%q–%q: %v–%v, %v", tc.start, tc.end, c.SMSWindowStart, c.SMSWindowEnd, err)
		}
	}
}

func TestRoleFromEnvFlagAndValidation(t *testing.T) {
	cases := []struct {
		env, flag, want, err string
	}{
		{"", "", RoleAll, ""},
		{"worker", "", RoleWorker, ""},
		{"worker", "web", RoleWeb, ""},
		{"", "cron", "", `role "cron": want web, worker or all`},
	}
	for _, tc := range cases {
		c, err := FromEnv(func(k string) string {
			if k == "TRUSTPULSE_ROLE" {
				return tc.env
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		c.RoleFlag(fs)
		var args []string
		if tc.flag != "" {
			args = []string{"--role", tc.flag}
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("env %q flag %q: err %v, want %q", tc.env, tc.flag, err, tc.err)
			}
			continue
		}
		if err != nil || c.Role != tc.want {
			t.Errorf("env %q flag %q: role %q, %v; want %q", tc.env, tc.flag, c.Role, err, tc.want)
		}
		if c.ServesWeb() != (tc.want != RoleWorker) || c.RunsWorkers() != (tc.want != RoleWeb) {
			t.Errorf("role %q: ServesWeb %v RunsWorkers %v", c.Role, c.ServesWeb(), c.RunsWorkers())
		}
	}
}

// The seal key may come from TRUSTPULSE_SEAL_KEY_FILE, is checked by Validate, and never logged.
func TestSealKey(t *testing.T) {
	key := strings.Repeat("ab", 32)
	path := filepath.Join(t.TempDir(), "seal.key")
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRUSTPULSE_SEAL_KEY_FILE": path}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || c.SealKey != key {
		t.Fatalf("from file: %q, %v", c.SealKey, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if m := c.Masked(); m.SealKey == key {
		t.Fatal("Masked shows the seal key")
	}
	c.SealKey = "too-short"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "TRUSTPULSE_SEAL_KEY") {
		t.Fatalf("a bad key: %v", err)
	}
}

func TestClassCodeAndSnapshotSettings(t *testing.T) {
	c, err := FromEnv(func(string) string { return "" })
	if err != nil || c.Validate() != nil || c.CodeMargin != 3 || c.CodeSubmitsPerMinute != 15 || c.SnapshotK != 5 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	env := map[string]string{"TRUSTPULSE_CODE_MARGIN": "0", "TRUSTPULSE_CODE_SUBMITS_PER_MINUTE": "4.5", "TRUSTPULSE_SNAPSHOT_K": "11"}
	c, err = FromEnv(func(k string) string { return env[k] })
	if err != nil || c.Validate() != nil || c.CodeMargin != 0 || c.CodeSubmitsPerMinute != 4.5 || c.SnapshotK != 11 {
		t.Fatalf("from env: %+v, %v", c, err)
	}
	for name, v := range map[string]string{"TRUSTPULSE_CODE_MARGIN": "-1", "TRUSTPULSE_CODE_SUBMITS_PER_MINUTE": "0", "TRUSTPULSE_SNAPSHOT_K": "2"} {
		c, err := FromEnv(func(k string) string {
			if k == name {
				return v
			}
			return ""
		})
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: err %v, want one naming the variable", name, v, err)
		}
	}
	if _, err := FromEnv(func(k string) string { return map[string]string{"TRUSTPULSE_SNAPSHOT_K": "five"}[k] }); err == nil {
		t.Error("TRUSTPULSE_SNAPSHOT_K=five accepted")
	}
}

// TestAppRoleName checks which role `migrate` grants the application's privileges to (#19 line 2).
func TestAppRoleName(t *testing.T) {
	cases := []struct {
		name                 string
		db, migrate, appRole string
		want                 string
		wantErr              string
	}{
		{"one role", "postgres://owner@h/db", "", "", "", ""},
		{"explicit", "postgres://owner@h/db", "", "tp_app", "tp_app", ""},
		{"from the two URLs", "postgres://tp_app:pw@h/db", "postgres://owner:pw@h/db", "", "tp_app", ""},
		{"same user twice", "postgres://owner@h/db", "postgres://owner@h/db", "", "", ""},
		{"explicit wins", "postgres://a@h/db", "postgres://owner@h/db", "b", "b", ""},
		{"sqlite app role", "sqlite:x.db", "", "tp_app", "", "TRUSTPULSE_APP_ROLE is for PostgreSQL"},
		{"sqlite migrate URL", "sqlite:x.db", "postgres://owner@h/db", "", "", "TRUSTPULSE_MIGRATE_DATABASE_URL is for PostgreSQL"},
		{"bad role name", "postgres://owner@h/db", "", "app; drop table x", "", "want a PostgreSQL role name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.DatabaseURL, c.MigrateDatabaseURL, c.AppRole = tc.db, tc.migrate, tc.appRole
			err := c.Validate()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Validate: %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.AppRoleName(); got != tc.want {
				t.Errorf("AppRoleName = %q, want %q", got, tc.want)
			}
			if m := c.Masked(); strings.Contains(m.MigrateDatabaseURL, "pw") {
				t.Errorf("Masked keeps the password: %s", m.MigrateDatabaseURL)
			}
		})
	}
}

func TestDistrictHosts(t *testing.T) {
	c, err := FromEnv(func(k string) string {
		return map[string]string{"TRUSTPULSE_DISTRICT_HOSTS": " Lincoln.Example.org = lincoln , , springfield.example.org=springfield"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.DistrictHosts) != 2 || c.DistrictHosts["lincoln.example.org"] != "lincoln" || c.DistrictHosts["springfield.example.org"] != "springfield" {
		t.Fatalf("hosts %v", c.DistrictHosts)
	}
	for _, bad := range []string{"lincoln.example.org", "=lincoln", "lincoln.example.org=", "lincoln.example.org:8080=lincoln"} {
		if _, err := FromEnv(func(k string) string { return map[string]string{"TRUSTPULSE_DISTRICT_HOSTS": bad}[k] }); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
