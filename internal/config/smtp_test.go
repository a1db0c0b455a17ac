package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The SMTP URL may come from TRUSTPULSE_SMTP_URL_FILE, is checked by Validate (plain SMTP only
// to loopback), and is never shown by Masked.
func TestSMTPURLFromFileValidatedAndMasked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "smtp")
	os.WriteFile(path, []byte("smtp://mailer:hunter2@mail.example.org:587\n"), 0o600)
	c, err := FromEnv(func(k string) string {
		return map[string]string{"TRUSTPULSE_SMTP_URL_FILE": path, "TRUSTPULSE_SMTP_FROM": "surveys@example.org", "TRUSTPULSE_EMAIL_RATE": "5"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtp://mailer:hunter2@mail.example.org:587" || c.SMTPFrom != "surveys@example.org" || c.EmailRate != 5 {
		t.Fatalf("read %q %q %v", c.SMTPURL, c.SMTPFrom, c.EmailRate)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if m := c.Masked(); strings.Contains(m.SMTPURL, "hunter2") || strings.Contains(m.SMTPURL, "mailer") {
		t.Fatalf("Masked shows the SMTP URL: %q", m.SMTPURL)
	}
	c.SMTPURL = "smtp://mailer:hunter2@mail.example.org:587?starttls=off"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "loopback") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("plain SMTP across the network: %v", err)
	}
	c.SMTPURL, c.EmailRate = "", 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "TRUSTPULSE_EMAIL_RATE") {
		t.Fatalf("zero email rate: %v", err)
	}
}
