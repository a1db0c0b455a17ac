package survey

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/trustpulse/trustpulse/surveys"
)

var shippedLocales = []string{"en", "es", "zh-Hans", "vi", "ar", "ht", "pt", "so"}

func loadShipped(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load(surveys.FS)
	if err != nil {
		t.Fatalf("Load(surveys.FS): %v", err)
	}
	return c
}

func TestLoadShippedInstruments(t *testing.T) {
	c := loadShipped(t)
	var ids []string
	for _, in := range c.Instruments() {
		ids = append(ids, in.ID)
	}
	if want := []string{"family-pulse", "staff-pulse", "student-pulse"}; !slices.Equal(ids, want) {
		t.Fatalf("instruments = %v, want %v", ids, want)
	}
	tests := []struct {
		id       string
		audience Audience
		measures []string
		comment  bool
	}{
		{"student-pulse", Student, []string{"student-teacher-trust", "peer-belonging", "school-belonging", "adult-connection"}, false},
		{"staff-pulse", Staff, []string{"teacher-teacher-trust", "staff-leader-trust", "staff-family-trust"}, true},
		{"family-pulse", Family, []string{"family-school-trust", "family-welcome-voice"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			in, ok := c.Latest(tt.id)
			if !ok {
				t.Fatalf("Latest(%q) not found", tt.id)
			}
			if in.Audience != tt.audience || in.Comment.Enabled != tt.comment {
				t.Errorf("audience %s comment %v, want %s %v", in.Audience, in.Comment.Enabled, tt.audience, tt.comment)
			}
			if !slices.Equal(in.Locales, shippedLocales) {
				t.Errorf("locales = %v, want %v", in.Locales, shippedLocales)
			}
			if in.Scale.Points != 4 {
				t.Errorf("scale has %d points, want 4", in.Scale.Points)
			}
			var got []string
			for _, m := range in.Measures {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tt.measures) {
				t.Errorf("measures = %v, want %v", got, tt.measures)
			}
			reversed := 0
			for _, m := range in.Measures {
				items := in.ItemsOf(m.ID)
				switch {
				case m.SingleItem && len(items) != 1:
					t.Errorf("%s: single item measure has %d items", m.ID, len(items))
				case !m.SingleItem && (len(items) < 3 || len(items) > 5):
					t.Errorf("%s: %d items, want 3–5", m.ID, len(items))
				}
				facets := map[string]bool{}
				for _, it := range items {
					facets[it.Facet] = true
					if it.Reverse {
						reversed++
					}
				}
				// Trust measures cover all four facets of relational trust; the others are belonging.
				if strings.HasSuffix(m.ID, "-trust") {
					for _, f := range []string{FacetRespect, FacetCompetence, FacetPersonalRegard, FacetIntegrity} {
						if !facets[f] {
							t.Errorf("%s: no %s item", m.ID, f)
						}
					}
				} else if len(facets) != 1 || !facets[FacetBelonging] {
					t.Errorf("%s: facets %v, want only belonging", m.ID, facets)
				}
			}
			if max := map[Audience]int{Student: 0, Staff: 1, Family: 1}[in.Audience]; reversed > max {
				t.Errorf("%d reverse-coded items, at most %d", reversed, max)
			}
		})
	}
}

// The student pulse must be readable by a 3rd-grader in under 3 minutes: short first-person
// sentences, one idea each, short words.
func TestStudentPulseReadability(t *testing.T) {
	in, _ := loadShipped(t).Latest("student-pulse")
	if n := len(in.Items); n > MaxStudentItems {
		t.Errorf("%d items, at most %d", n, MaxStudentItems)
	}
	for _, it := range in.Items {
		en := it.Text["en"]
		words := strings.FieldsFunc(en, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
		if len(words) > 12 {
			t.Errorf("%s: %d words, want at most 12: %q", it.ID, len(words), en)
		}
		if !slices.ContainsFunc(words, func(w string) bool { return w == "I" || w == "me" || w == "my" || w == "My" }) {
			t.Errorf("%s: not first person: %q", it.ID, en)
		}
		for _, w := range words {
			if len([]rune(w)) > 10 { // "understand", "classmates" are fine; "relationship" is not
				t.Errorf("%s: long word %q", it.ID, w)
			}
		}
		if strings.Count(en, ".") != 1 || strings.Contains(en, " and ") || strings.Contains(en, ",") {
			t.Errorf("%s: want one idea per sentence: %q", it.ID, en)
		}
	}
}

func TestCatalogLookups(t *testing.T) {
	c := loadShipped(t)
	in, ok := c.Get("student-pulse", 1)
	if !ok || in.File != "student-pulse.yaml" {
		t.Fatalf("Get(student-pulse, 1) = %v, %v", in, ok)
	}
	if _, ok := c.Get("student-pulse", 2); ok {
		t.Error("Get(student-pulse, 2) found a version that does not exist")
	}
	if _, ok := c.Latest("nope"); ok {
		t.Error("Latest(nope) found something")
	}
	m, ok := in.MeasureOf("ac-adult")
	if !ok || m.ID != "adult-connection" || !m.SingleItem {
		t.Errorf("MeasureOf(ac-adult) = %+v, %v", m, ok)
	}
	if _, ok := in.MeasureOf("nope"); ok {
		t.Error("MeasureOf(nope) found a measure")
	}
	if got := in.ItemsOf("student-teacher-trust"); len(got) != 4 || got[0].ID != "st-listen" {
		t.Errorf("ItemsOf(student-teacher-trust) = %v", got)
	}
	if r := m.Reporting; r.Center != 50 || r.PerLogit != 10 || !slices.Equal(r.Cuts, []float64{35, 45, 55, 65}) {
		t.Errorf("reporting = %+v", r)
	}
}

func TestLoadVersionsAndErrors(t *testing.T) {
	v1, _ := surveys.FS.ReadFile("staff-pulse.yaml")
	v2 := strings.Replace(string(v1), "version: 1", "version: 2", 1)
	c, err := Load(fstest.MapFS{"a.yaml": {Data: []byte(v2)}, "b.yaml": {Data: v1}})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := c.Latest("staff-pulse"); in.Version != 2 || in.File != "a.yaml" {
		t.Errorf("Latest = version %d from %s, want 2 from a.yaml", in.Version, in.File)
	}
	if got := c.Instruments(); len(got) != 2 || got[0].Version != 1 {
		t.Errorf("Instruments not sorted by version: %v", got)
	}

	broken := strings.Replace(string(v1), "facet: respect", "facet: respekt", 1)
	broken = strings.Replace(broken, "audience: staff", "audience: staf", 1)
	_, err = Load(fstest.MapFS{"x.yaml": {Data: []byte(broken)}})
	var le *LoadError
	if !errors.As(err, &le) || len(le.Problems) != 2 {
		t.Fatalf("Load(broken) = %v, want a LoadError with 2 problems", err)
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != 2 || !strings.HasPrefix(got[0], "x.yaml:11: unknown audience") || !strings.Contains(got[1], `unknown facet "respekt"`) {
		t.Errorf("error lines = %q", got)
	}
}
