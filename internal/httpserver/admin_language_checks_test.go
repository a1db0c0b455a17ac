package httpserver_test

import (
	"context"
	"html/template"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/surveys"
)

// plantLanguageDIF stores Rasch answers to wave w in English and Spanish, with one item of the
// trust-in-teachers measure a logit harder in Spanish, calibrates, and returns that item.
func plantLanguageDIF(t *testing.T, st *store.Store, w store.Wave, school int64) survey.Item {
	t.Helper()
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	in, _ := cat.Get(w.InstrumentID, w.InstrumentVersion)
	var planted survey.Item
	for _, it := range in.Items {
		if it.Measure == "student-teacher-trust" {
			planted = it // the measure's last item
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var rows []store.Response
	for _, g := range []struct {
		lang   string
		n      int
		impact float64
	}{{"en", 600, 0}, {"es", 300, 0.3}} {
		for range g.n {
			theta := g.impact + rng.NormFloat64()
			b := make([]byte, len(in.Items))
			for i, it := range in.Items {
				delta := float64(i%5)*0.4 - 0.8
				if g.lang == "es" && it.ID == planted.ID {
					delta += 1.0
				}
				// Rating scale model with thresholds -1.2, 0, 1.2.
				cum, w := 0.0, make([]float64, 4)
				total := 0.0
				for x := range w {
					if x > 0 {
						cum += []float64{-1.2, 0, 1.2}[x-1]
					}
					w[x] = math.Exp(float64(x)*(theta-delta) - cum)
					total += w[x]
				}
				u, x := rng.Float64()*total, 0
				for ; x < 3; x++ {
					if u -= w[x]; u < 0 {
						break
					}
				}
				b[i] = byte('0' + x)
			}
			rows = append(rows, store.Response{DistrictID: w.DistrictID, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: g.lang, Answers: string(b)})
		}
	}
	must(t, st.DB.CreateInBatches(rows, 300).Error)
	m := &measures.Service{Store: st, Surveys: cat}
	if made, err := m.Calibrate(context.Background(), w.DistrictID, w.ID, false); err != nil || !made {
		t.Fatalf("calibrate: %v %v", made, err)
	}
	return planted
}

// TestAdminLanguageChecks: the district admin sees the planted item flagged for Spanish, with the
// English and Spanish texts next to each other, and the page marks it for review.
func TestAdminLanguageChecks(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("admin")
	_, page, _ := b.do("GET", "/admin/language-checks", nil)
	if !strings.Contains(page, "Nothing to check yet") {
		t.Errorf("before calibration:\n%s", page)
	}
	planted := plantLanguageDIF(t, f.st, f.waveA, f.school)
	_, page, _ = b.do("GET", "/admin/language-checks", nil)
	for _, want := range []string{"Language checks", "Trust in teachers", "Español", "items to review: 1",
		"Review the translation: harder to agree with than in English", planted.Text["en"], planted.Text["es"],
		"Compared with English (600 answers)"} {
		if !strings.Contains(page, template.HTMLEscapeString(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The measure and the survey are named in the page's language, never by key (#16 lines 6, 7).
	if strings.Contains(page, "(student-pulse,") || !strings.Contains(page, "(Student pulse, version 1)") {
		t.Errorf("the survey is named by its key:\n%s", page)
	}
	_, es, _ := b.do("GET", "/admin/language-checks?lang=es", nil)
	if !strings.Contains(es, "Confianza en los maestros <small>(Pulso estudiantil,") {
		t.Errorf("the measure is not named in Spanish:\n%s", es)
	}
	b.do("GET", "/admin/language-checks?lang=en", nil)
	if !strings.Contains(page, `<td lang="es" dir="ltr">`) {
		t.Error("translations are not marked with their language")
	}
	if n := strings.Count(page, `class="flagged"`); n != 1 {
		t.Errorf("%d flagged rows, want 1 (the planted item)", n)
	}
	code, csvBody, h := b.do("GET", "/admin/language-checks/export?locale=es", nil)
	if code != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(csvBody, "key,english,translation,reviewed,check\n") {
		t.Fatalf("export: %d %q %.200s", code, h.Get("Content-Type"), csvBody)
	}
	if !strings.Contains(csvBody, "student-pulse/1/items/"+planted.ID+"/text,"+planted.Text["en"]+","+planted.Text["es"]+",no,Review the translation: harder to agree with than in English (+") {
		t.Errorf("export lacks the flagged row:\n%s", csvBody)
	}
	if n := strings.Count(csvBody, "Review the translation"); n != 1 {
		t.Errorf("%d flagged rows in the export, want 1", n)
	}
	for _, bad := range []string{"en", "xx", "ES", ""} {
		if code, _, _ := b.do("GET", "/admin/language-checks/export?locale="+bad, nil); code != 404 {
			t.Errorf("export of %q: %d, want 404", bad, code)
		}
	}
}
