package email

import (
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/config"
)

func TestParseSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		url, mode, addr, err string
	}{
		{url: "smtp://user:pass@mail.example.org", mode: TLSStartTLS, addr: "mail.example.org:587"},
		{url: "smtp://user:pass@mail.example.org:2525", mode: TLSStartTLS, addr: "mail.example.org:2525"},
		{url: "smtps://user:pass@mail.example.org", mode: TLSImplicit, addr: "mail.example.org:465"},
		{url: "smtp://127.0.0.1:2525?starttls=off", mode: TLSOff, addr: "127.0.0.1:2525"},
		{url: "smtp://mail.example.org?starttls=off", err: "loopback"},
		{url: "smtps://127.0.0.1?starttls=off", err: "loopback"},
		{url: "smtp://mail.example.org?starttls=maybe", err: "starttls"},
		{url: "http://mail.example.org", err: "scheme"},
		{url: "smtp://", err: "no host"},
	} {
		c, err := config.ParseSMTPURL(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "pass") {
				t.Errorf("%s: err %v, want one about %q (and no password)", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil || c.TLSMode != tc.mode || c.Addr != tc.addr {
			t.Errorf("%s: %+v, %v; want %s at %s", tc.url, c, err, tc.mode, tc.addr)
		}
	}
}

func TestValidAddress(t *testing.T) {
	for a, want := range map[string]bool{
		"pat@school.example.org": true, "": false, "Pat <pat@x.org>": false, "pat@x.org\r\nBcc: e@x.org": false,
		"a@b.org, c@d.org": false, "not an address": false,
	} {
		if ValidAddress(a) != want {
			t.Errorf("ValidAddress(%q) = %v", a, !want)
		}
	}
}

// Every shipped locale has every mail text (a person gets their language, not an English
// fallback), and the texts render with the district name and no placeholder left.
func TestEveryLocaleHasTheMailTexts(t *testing.T) {
	cat := loadCatalog(t)
	for _, tag := range cat.Tags() {
		for _, id := range MessageIDs() {
			if _, ok := cat.Message(tag, id); !ok {
				t.Errorf("%s: no %s", tag, id)
			}
		}
		for _, kind := range []string{KindInvite, KindReminder} {
			subj, body := newTexts(cat, kind, "Lincoln Unified", testBase).of(tag, "Ana")
			if !strings.Contains(subj, "Lincoln Unified") || !strings.Contains(body, "Ana") || !strings.Contains(body, testBase+"/s/"+tokenSlot) ||
				strings.Contains(subj+body, "{{") || strings.Contains(subj+body, personSlot) {
				t.Errorf("%s %s: %q / %q", tag, kind, subj, body)
			}
		}
	}
}
