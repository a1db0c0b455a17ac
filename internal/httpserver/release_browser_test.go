package httpserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestReleasePagesPassAxe runs axe-core on the wave page with released rates (Adams' 3 seventh
// graders combined with grade 5 among them, #16 line 2), and on the wave and settings pages
// showing a wave whose results failed to build.
func TestReleasePagesPassAxe(t *testing.T) {
	f := newAPIFixture(t)
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{})
	tab.Open(f.srv.URL + "/admin")
	tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("admin")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
	tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
	wavePath := fmt.Sprintf("%s/admin/waves/%d", f.srv.URL, f.waveAB.ID)
	if code := tab.Open(wavePath); code != 200 {
		t.Fatalf("wave page: %d", code)
	}
	if text := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main table`))); !strings.Contains(text, "Combined") || strings.Contains(text, "Grade 7") {
		t.Fatalf("no combined row in the rates table, or grade 7 listed: %s", text)
	}
	tab.AssertAxe("wave with released rates")
	must(t, f.st.DB.Create(&store.Instrument{DistrictID: f.district, InstrumentID: "student-pulse", Version: 99, Audience: "student", CreatedAt: f.st.Now()}).Error)
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.waveAB.ID).Update("instrument_version", 99).Error)
	t.Cleanup(func() { // the package's tests share a database, and every Refresh would report this wave
		f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.waveAB.ID).Update("instrument_version", 1)
	})
	must(t, store.MarkWaveStale(f.st.DB, f.district, f.waveAB.ID))
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	if _, err := rs.Refresh(context.Background()); err == nil {
		t.Fatal("the broken wave built")
	}
	if code := tab.Open(wavePath); code != 200 {
		t.Fatalf("wave page of a failing wave: %d", code)
	}
	tab.AssertAxe("wave that failed to build")
	if code := tab.Open(f.srv.URL + "/admin/results/settings"); code != 200 {
		t.Fatalf("settings: %d", code)
	}
	tab.AssertAxe("settings with a failing wave")
}
