package httpserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestAdminWaveCloseConfirm: "Close wave" on the wave page leads to a page that says what closing
// does; only that page's form (confirm=yes) closes the wave, with no JavaScript involved. A post
// without the confirmation is sent to the page and leaves the wave open.
func TestAdminWaveCloseConfirm(t *testing.T) {
	f := newAdminFixture(t)
	// A draft's button says "Cancel wave…", and its page what cancelling does.
	b := f.signIn("leaderA")
	loc := "/admin/waves/" + itoa64(f.waveA.ID)
	if _, page, _ := b.do("GET", loc+"/close", nil); !strings.Contains(page, "Cancel Adams fall?") || !strings.Contains(page, "Yes, cancel the wave") {
		t.Errorf("cancelling a draft:\n%s", page)
	}
	if _, _, err := f.waves.Apply(context.Background(), f.district, f.waveA.ID, wave.Change{Action: wave.ActOpen}, wave.System); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		var w store.Wave
		must(t, f.st.DB.Where("district_id = ? AND id = ?", f.district, f.waveA.ID).First(&w).Error)
		return w.Status
	}
	_, page, _ := b.do("GET", loc, nil)
	if !strings.Contains(page, `href="`+loc+`/close"`) || strings.Contains(page, `action="`+loc+`/close"`) {
		t.Fatalf("wave page should link to the confirmation, not close at once:\n%s", page)
	}
	code, confirm, _ := b.do("GET", loc+"/close", nil)
	if code != http.StatusOK {
		t.Fatalf("confirmation page: %d %s", code, confirm)
	}
	for _, want := range []string{"Close Adams fall?", "personal links and class codes stop working at once", "Yes, close the wave",
		`name="confirm" value="yes"`, `href="` + loc + `">No, keep it open`} {
		if !strings.Contains(confirm, want) {
			t.Errorf("confirmation page lacks %q:\n%s", want, confirm)
		}
	}
	// A plain post (an old form, a replayed request) only leads to the question.
	code, _, h := b.do("POST", loc+"/close", url.Values{"_csrf": {csrfOf(t, confirm)}})
	if code != http.StatusSeeOther || h.Get("Location") != loc+"/close" || status() != store.StatusOpen {
		t.Fatalf("post without confirmation: %d to %q, status %s", code, h.Get("Location"), status())
	}
	code, _, h = b.do("POST", loc+"/close", url.Values{"_csrf": {csrfOf(t, confirm)}, "confirm": {"yes"}})
	if code != http.StatusSeeOther || h.Get("Location") != loc+"?notice=closed" || status() != store.StatusClosed {
		t.Fatalf("confirmed close: %d to %q, status %s", code, h.Get("Location"), status())
	}
	// A closed wave is not offered for closing again, and the page says why.
	if code, body, _ := b.do("GET", loc+"/close", nil); code != http.StatusUnprocessableEntity || !strings.Contains(body, "already closed") {
		t.Errorf("confirmation of a closed wave: %d %s", code, body)
	}
}
