package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Dialects TrustPulse can store data in.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// DefaultSQLitePath is the embedded database used when no database URL is configured.
const DefaultSQLitePath = "trustpulse.db"

// Database is a parsed database URL.
type Database struct {
	Dialect string
	DSN     string // driver connection string: the URL for PostgreSQL, the file path for SQLite
	Host    string // host:port for PostgreSQL, for error messages without the password
}

// ParseDatabaseURL accepts postgres://…, postgresql://…, sqlite:PATH or nothing (the embedded default).
func ParseDatabaseURL(s string) (Database, error) {
	switch {
	case s == "":
		return Database{Dialect: SQLite, DSN: DefaultSQLitePath}, nil
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" {
			return Database{}, fmt.Errorf("database URL %q: want sqlite:PATH", s)
		}
		return Database{Dialect: SQLite, DSN: path}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return Database{}, fmt.Errorf("database URL is malformed: %v", redactErr(err, s))
		}
		if u.Host == "" {
			return Database{}, fmt.Errorf("database URL %s: missing host", u.Redacted())
		}
		host := u.Host
		if u.Port() == "" {
			host += ":5432"
		}
		return Database{Dialect: Postgres, DSN: s, Host: host}, nil
	default:
		return Database{}, fmt.Errorf("database URL %q: want postgres://USER@HOST:PORT/DB or sqlite:PATH", redact(s))
	}
}

// Redacted is the URL with any password replaced, safe for logs.
func (d Database) Redacted() string {
	if d.Dialect == SQLite {
		return "sqlite:" + d.DSN
	}
	u, err := url.Parse(d.DSN)
	if err != nil {
		return "postgres://" + d.Host
	}
	return u.Redacted()
}

// redact hides what looks like a password in a string we could not parse as a URL.
func redact(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if colon := strings.Index(s, "://"); colon >= 0 && colon < at {
			return s[:colon+3] + "…@" + s[at+1:]
		}
		return "…@" + s[at+1:]
	}
	return s
}

func redactErr(err error, raw string) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	// url.Parse quotes the whole input in its error; never echo a password it may contain.
	return strings.ReplaceAll(msg, raw, redact(raw))
}
