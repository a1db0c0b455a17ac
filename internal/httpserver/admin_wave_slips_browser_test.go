package httpserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestSlipPagesPassAxe walks the slips pages as a school leader, at phone and desktop width: the
// page to choose from, the print page (cover sheet and slips, English and Arabic slips), and the
// /j page where a code is typed, in English and Arabic. Each passes axe-core's WCAG 2.1 A/AA
// rules and scrolls no wider than the screen.
func TestSlipPagesPassAxe(t *testing.T) {
	f, _ := slipFixture(t)
	// Nine more in Room 1: its slips fill one page of eight and start a second.
	var room store.Class
	must(t, f.st.DB.Where("district_id = ? AND school_id = ?", f.district, f.school).First(&room).Error)
	now := f.st.Now()
	for i := range 9 {
		pid, sid := store.NewID(), f.school
		must(t, f.st.DB.Create(&store.Person{DistrictID: f.district, ID: pid, SourcedID: fmt.Sprintf("room1-%d", i), Kind: store.KindStudent, Grade: "05",
			GivenName: fmt.Sprintf("Pupil%d", i), FamilyName: "Rivera", SchoolID: &sid, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
		must(t, f.st.DB.Create(&store.PersonSchool{DistrictID: f.district, PersonID: pid, SchoolID: sid}).Error)
		must(t, f.st.DB.Create(&store.Enrollment{DistrictID: f.district, ClassID: room.ID, PersonID: pid, Role: "student", Active: true}).Error)
	}
	_, err := f.waves.Invite(context.Background(), f.district, f.waveA.ID)
	must(t, err)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			check := func(page string, got int) {
				t.Helper()
				if got != 200 {
					t.Fatalf("%s: HTTP %d (at %s)", page, got, tab.Location())
				}
				tab.AssertAxe(page)
				tab.AssertFits(page)
			}
			tab.Open(f.srv.URL + "/admin")
			tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("leaderA")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
			tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
			check("slips", tab.Open(fmt.Sprintf("%s/admin/waves/%d/slips", f.srv.URL, f.waveA.ID)))
			check("slips printed", tab.Follow(browsertest.ClickCSS(`form input[name="all"] ~ button[value="html"]`)))
			if text := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Zamora") || !strings.Contains(text, "رمزك") {
				t.Errorf("print page text: %s", text)
			}
			if width == 1280 {
				tab.Screenshot("slips-print")
				codes := slipCodeRE.FindAllString(browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))), -1)
				if len(codes) != 11 {
					t.Fatalf("print page shows %d codes, want 11", len(codes))
				}
				// Printed on either paper: a cover sheet per group, eight slips a page, every code legible.
				for _, paper := range []struct {
					name string
					size chromedp.PaperSize
				}{{"A4", chromedp.PaperA4}, {"Letter", chromedp.PaperLetter}} {
					pdf := browsertest.Run(tab, chromedp.PrintToPDF(chromedp.PDFPaper(paper.size)))
					if dir := os.Getenv(browsertest.EnvScreenshots); dir != "" {
						must(t, os.WriteFile(filepath.Join(dir, "slips-print-"+paper.name+".pdf"), pdf, 0o644))
					}
					text := pdfText(t, pdf)
					for _, c := range codes {
						if !strings.Contains(text, c) {
							t.Errorf("%s print lacks code %s", paper.name, c)
						}
					}
					if pages := strings.Count(text, "Survey slips: Adams"); pages != 2 {
						t.Errorf("%s print has %d cover sheets, want 2", paper.name, pages)
					}
					if n := pdfPages(t, pdf); n != 5 {
						t.Errorf("%s print has %d pages, want 5 (cover, 8 slips, 2 slips; cover, 1 slip)", paper.name, n)
					}
				}
			}
			for _, lang := range []string{"en", "ar"} {
				check("enter code "+lang, tab.Open(f.srv.URL+"/j?lang="+lang))
				tab.Do(chromedp.SetValue(chromedp.CSS(`#code`), "not a code"))
				if got := tab.Follow(browsertest.ClickCSS(`form button[type="submit"]`)); got != 422 {
					t.Fatalf("bad code: HTTP %d", got)
				}
				tab.AssertAxe("enter code, refused, " + lang)
			}
		})
	}
}
