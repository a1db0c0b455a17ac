package httpserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
)

// The new-wave form offers answering by text; it is stored on the wave, and refused without the
// text messages channel.
func TestAdminWaveNewSMSAnswering(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("leaderA")
	_, page, _ := b.do("GET", "/admin/waves/new", nil)
	if !strings.Contains(page, `name="sms_answering"`) {
		t.Fatal("the form has no answering-by-text checkbox")
	}
	form := func(name string, channels ...string) url.Values {
		_, page, _ := b.do("GET", "/admin/waves/new", nil)
		return url.Values{"_csrf": {csrfOf(t, page)}, "name": {name}, "instrument": {"family-pulse@1"}, "mode": {"anonymous"},
			"school": {fmt.Sprint(f.school)}, "channel": channels, "sms_answering": {"1"}, "opens": {"2026-03-02T08:00"}, "closes": {"2026-03-13T16:00"}}
	}
	code, body, _ := b.do("POST", "/admin/waves", form("No texts", "link"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "needs the text messages channel") || !strings.Contains(body, `id="sms-answering" name="sms_answering" value="1" checked`) {
		t.Fatalf("answering without SMS: %d", code)
	}
	if code, body, _ := b.do("POST", "/admin/waves", form("Family texts", "link", "sms")); code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", code, body)
	}
	var w store.Wave
	must(t, f.st.DB.Where("district_id = ? AND name = ?", f.district, "Family texts").First(&w).Error)
	if !w.SMSAnswering || w.Channels != "link,sms" {
		t.Fatalf("wave %+v: want answering by text with the sms channel", w)
	}
}
