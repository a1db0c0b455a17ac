package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
)

// TLS modes of an SMTP URL.
const (
	SMTPStartTLS = "starttls" // smtp://: STARTTLS is required (a mail is never sent in clear)
	SMTPImplicit = "implicit" // smtps://: TLS from the first byte
	SMTPPlain    = "off"      // smtp://…?starttls=off: loopback test servers only
)

// SMTP is TRUSTPULSE_SMTP_URL, read.
type SMTP struct {
	Addr     string // host:port
	Host     string
	TLSMode  string
	Username string
	Password string
}

// ParseSMTPURL reads TRUSTPULSE_SMTP_URL: smtp://user:pass@host:587 (STARTTLS required),
// smtps://user:pass@host:465 (implicit TLS), or smtp://127.0.0.1:2525?starttls=off for a
// loopback test server only. Errors say what is wrong, never the password.
func ParseSMTPURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTP{}, errors.New("TRUSTPULSE_SMTP_URL is not a URL (want smtp://user:pass@host:587 or smtps://user:pass@host:465)")
	}
	s := SMTP{Host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		s.TLSMode = SMTPStartTLS
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.TLSMode = SMTPImplicit
		if port == "" {
			port = "465"
		}
	default:
		return SMTP{}, fmt.Errorf("TRUSTPULSE_SMTP_URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	if s.Host == "" {
		return SMTP{}, errors.New("TRUSTPULSE_SMTP_URL: no host")
	}
	switch v := u.Query().Get("starttls"); v {
	case "", "required":
	case "off":
		if u.Scheme != "smtp" || !isLoopback(s.Host) {
			return SMTP{}, errors.New("TRUSTPULSE_SMTP_URL: starttls=off is only allowed for a loopback server (mail would cross the network in clear)")
		}
		s.TLSMode = SMTPPlain
	default:
		return SMTP{}, fmt.Errorf("TRUSTPULSE_SMTP_URL: starttls=%q: want off (loopback only) or leave it out", v)
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	s.Addr = net.JoinHostPort(s.Host, port)
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
