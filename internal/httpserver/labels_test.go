package httpserver_test

import (
	"context"
	"fmt"
	"html"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

var (
	tagRE       = regexp.MustCompile(`(?s)<(script|style|title)[^>]*>.*?</(script|style|title)>|<[^>]*>`)
	snakeCaseRE = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`)
)

// visibleTexts are the text nodes of a page as a reader sees them (not attributes, not markup).
func visibleTexts(page string) []string {
	var out []string
	for _, s := range strings.Split(tagRE.ReplaceAllString(page, "\n"), "\n") {
		if s = strings.TrimSpace(html.UnescapeString(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// TestPagesShowLabelsNotKeys: every results page (overview, school page under every breakdown,
// measure page) and the wave pages name attributes, values and surveys in words. No text a reader
// sees is a stored key (race_ethnicity, female, not_recorded, student-pulse), nor "version 1".
// Exports keep the keys in their key columns.
func TestPagesShowLabelsNotKeys(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	now := f.st.Now()
	// Two-way breakdowns too: their groups join two labels.
	must(t, f.st.DB.Model(&store.District{}).Where("district_id = ?", f.district).
		Update("settings", store.Attrs{report.SettingPairs: report.Pair("grade", "low_income")}).Error)
	in, _ := f.waves.Surveys.Get("student-pulse", 1)
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "Labels", InstrumentID: in.ID, InstrumentVersion: in.Version,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link", "sms"}})
	must(t, err)
	must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	rng := rand.New(rand.NewPCG(3, 4))
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	genders := []string{"female", "male", "nonbinary"}
	races := []string{"hispanic", "white", "black", "asian", "two_or_more"}
	yn := []string{"yes", "no"}
	langs := []string{"en", "es", "ru"} // ru: a home language no survey is offered in
	for i := range 80 {
		ans := make([]byte, len(in.Items))
		for j := range ans {
			ans[j] = byte('0' + rng.IntN(in.Scale.Points))
		}
		sub := store.Attrs{"grade": []string{"05", "KG"}[i%2], "gender": genders[i%3], "race_ethnicity": races[i%5], "english_learner": yn[i%2],
			"disability": yn[(i/2)%2], "low_income": yn[(i/3)%2], "home_language": langs[i%3], "response_language": "en"}
		if i%7 == 0 {
			delete(sub, "gender") // not recorded
		}
		at := now
		r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: f.school, Language: "en", Answers: string(ans), Subgroups: sub, SubmittedAt: &at}
		must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			return sc.ScoreResponse(ctx, tx, in, &r)
		}))
	}
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err = rs.Refresh(ctx)
	must(t, err)

	raw := map[string]bool{"not_recorded": true, "student-pulse": true, "staff-pulse": true, "family-pulse": true, "anonymous": true, "link": true,
		"sms": true, "open": true, "student": true, "05": true, "KG": true, "ru": true, "es": true}
	for _, a := range report.Attributes("student", store.Attrs{report.SettingPairs: report.Pair("grade", "low_income")}) {
		raw[a] = true
	}
	for _, v := range append(append(append(genders, races...), yn...), "teacher", "yes", "no") {
		raw[v] = true
	}
	b := f.signIn("admin")
	check := func(path string, want ...string) {
		t.Helper()
		code, page, _ := b.do("GET", path, nil)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		texts := visibleTexts(page)
		for _, s := range texts {
			for _, part := range strings.Split(s, " × ") {
				if raw[part] {
					t.Errorf("%s shows the key %q (in %q)", path, part, s)
				}
			}
			if m := snakeCaseRE.FindString(s); m != "" {
				t.Errorf("%s shows %q (in %q)", path, m, s)
			}
			if strings.Contains(s, "version 1") {
				t.Errorf("%s shows %q", path, s)
			}
		}
		joined := strings.Join(texts, "\n")
		for _, w := range want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
	}
	school := fmt.Sprintf("/admin/results/schools/%d?wave=%d", f.school, w.ID)
	check(fmt.Sprintf("/admin/results?wave=%d", w.ID))
	wants := map[string][]string{
		"grade":            {"Grade 5", "Kindergarten"},
		"gender":           {"Female", "Male", "Not recorded"},
		"race_ethnicity":   {"Race and ethnicity", "Hispanic or Latino", "Two or more races"},
		"english_learner":  {"English learner", "Yes", "No"},
		"home_language":    {"Español", "Русский"},
		"grade,low_income": {"Grade × Low income", "Grade 5 × Yes"},
	}
	for _, a := range report.Attributes("student", store.Attrs{report.SettingPairs: report.Pair("grade", "low_income")}) {
		check(school+"&by="+a, wants[a]...)
	}
	for _, m := range in.Measures {
		check(fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.school, m.ID, w.ID), "Gender", "Female")
	}
	// The staff pages about waves name the survey, its mode, status and channels.
	check("/admin/waves", "Student pulse", "Anonymous", "Open")
	check(fmt.Sprintf("/admin/waves/%d", w.ID), "Student pulse (Students)", "Personal links, Text messages", "Grade 5")
	check("/admin/waves/new", "Student pulse (Students)", "Family pulse (Families)")
	// Exports keep the machine keys in their key columns, and the words next to them.
	_, csv, _ := b.do("GET", school+"&by=gender&format=csv&table=subgroups", nil)
	if !strings.Contains(csv, ",gender,female,Female,") {
		t.Errorf("export lost its keys or names:\n%s", csv)
	}
}
