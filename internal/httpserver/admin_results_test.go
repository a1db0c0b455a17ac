package httpserver_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/web"
)

// resultsFixture adds to the admin fixture two open waves over both schools with scored
// responses. In the later wave ("Fall results") Adams has 30 female, 28 male and 3 nonbinary
// students (too few to show: pooled with the boys into one combined group, #16 line 2), 4 of them
// English learners (too few, and no pool can be made of two groups: the other 57 are hidden to
// protect them); Baker has 25 female. The earlier wave ("Spring results") gives the
// trend a second point and change something to compare.
type resultsFixture struct {
	*adminFixture
	spring, fall store.Wave
	in           *survey.Instrument
}

func newResultsFixture(t *testing.T) *resultsFixture {
	t.Helper()
	ctx := context.Background()
	f := &resultsFixture{adminFixture: newAdminFixture(t)}
	now := f.st.Now()
	in, ok := f.waves.Surveys.Get("student-pulse", 1)
	if !ok {
		t.Fatal("no student-pulse v1")
	}
	f.in = in
	open := func(name string, opens time.Time) store.Wave {
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: in.ID, InstrumentVersion: in.Version,
			Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school, f.schoolB}, OpensAt: opens, ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link"}})
		must(t, err)
		must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
		return w
	}
	f.spring = open("Spring results", now.Add(-90*24*time.Hour))
	f.fall = open("Fall results", now.Add(-time.Hour))
	rng := rand.New(rand.NewPCG(11, 12))
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	learners := 4
	add := func(w store.Wave, school int64, gender string, n, level int) {
		for range n {
			el := "no"
			if w.ID == f.fall.ID && school == f.school && learners > 0 {
				el, learners = "yes", learners-1
			}
			ans := make([]byte, len(in.Items))
			for i := range ans {
				ans[i] = byte('0' + max(0, min(in.Scale.Points-1, level+rng.IntN(2))))
			}
			at := now
			r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: string(ans),
				Subgroups: store.Attrs{"grade": "05", "gender": gender, "english_learner": el, "response_language": "en"}, SubmittedAt: &at}
			must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&r).Error; err != nil {
					return err
				}
				return sc.ScoreResponse(ctx, tx, in, &r)
			}))
		}
	}
	add(f.spring, f.school, "female", 20, 1)
	add(f.spring, f.school, "male", 20, 1)
	add(f.spring, f.schoolB, "female", 20, 1)
	add(f.fall, f.school, "female", 30, 2)
	add(f.fall, f.school, "male", 28, 0)
	add(f.fall, f.school, "nonbinary", 3, 1)
	add(f.fall, f.schoolB, "female", 25, 1)
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err := rs.Refresh(ctx)
	must(t, err)
	return f
}

func (f *resultsFixture) schoolPage(school int64) string {
	return fmt.Sprintf("/admin/results/schools/%d?wave=%d", school, f.fall.ID)
}

func TestResultsAccessAndScope(t *testing.T) {
	f := newResultsFixture(t)
	m := f.in.Measures[0].ID
	a, b := f.schoolPage(f.school), f.schoolPage(f.schoolB)
	aMeasure := fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.school, m, f.fall.ID)
	bMeasure := fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.schoolB, m, f.fall.ID)
	type want map[string]int
	reader := func(own, other int) want {
		return want{"admin": 200, "leaderA": own, "counselorA": own, "analystA": own, "staffA": 403, "leaderB": other}
	}
	none := want{"admin": 404, "leaderA": 404, "counselorA": 404, "analystA": 404, "staffA": 403, "leaderB": 404}
	tests := []struct {
		path string
		want want
	}{
		{"/admin/results", reader(200, 200)},
		{"/admin/results?format=csv", reader(200, 200)},
		{a, reader(200, 404)},
		{b, reader(404, 200)},
		{a + "&format=xlsx", reader(200, 404)},
		{b + "&format=csv&table=subgroups", reader(404, 200)},
		{aMeasure, reader(200, 404)},
		{bMeasure, reader(404, 200)},
		{bMeasure + "&format=csv", reader(404, 200)},
		// Both waves span Adams and Baker: the district row is Adams + Baker, so only someone who
		// may see both (the admin) sees it.
		{"/admin/results/schools/0", reader(404, 404)},
		{fmt.Sprintf("/admin/results/schools/0?wave=%d", f.fall.ID), reader(404, 404)},
		{fmt.Sprintf("/admin/results/schools/0/measures/%s?wave=%d&format=csv", m, f.fall.ID), reader(404, 404)},
		{"/admin/results/schools/999", none},
		{"/admin/results/schools/x", none},
		{fmt.Sprintf("/admin/results/schools/%d/measures/nope?wave=%d", f.school, f.fall.ID), none},
		{fmt.Sprintf("/admin/results?wave=%d", f.waveB.ID), none}, // a draft: no results
		{"/admin/results?wave=12345", none},
	}
	browsers := map[string]*browser{}
	for role := range tests[0].want {
		browsers[role] = f.signIn(role)
	}
	for _, tc := range tests {
		for role, code := range tc.want {
			t.Run(tc.path+" as "+role, func(t *testing.T) {
				got, body, _ := browsers[role].do("GET", tc.path, nil)
				if got != code {
					t.Fatalf("status %d, want %d\n%.300s", got, code, body)
				}
				if got != 200 && (strings.Contains(body, "Baker") || strings.Contains(body, "Adams")) {
					t.Errorf("refusal names a school: %s", body)
				}
			})
		}
	}
	// The overview lists only the schools in scope, and the district row only to whoever may see
	// every school of the wave: for leader A it would be Baker's result plus Adams'.
	_, page, _ := browsers["leaderA"].do("GET", "/admin/results", nil)
	if !strings.Contains(page, "Adams") || strings.Contains(page, "Baker") || strings.Contains(page, "District (all schools)") ||
		strings.Contains(page, "/admin/results/schools/0") {
		t.Errorf("leader A's overview:\n%s", page)
	}
	_, page, _ = browsers["admin"].do("GET", "/admin/results", nil)
	if !strings.Contains(page, "Adams") || !strings.Contains(page, "Baker") || !strings.Contains(page, "District (all schools)") {
		t.Errorf("admin's overview lacks a school or the district:\n%s", page)
	}
	if !strings.Contains(page, "Fall results") {
		t.Errorf("the overview does not default to the newest wave with results")
	}
	_, csvOut, _ := browsers["leaderA"].do("GET", "/admin/results?format=csv", nil)
	if strings.Contains(csvOut, "Baker") || !strings.Contains(csvOut, "Adams") || strings.Contains(csvOut, "District") {
		t.Errorf("leader A's overview export:\n%s", csvOut)
	}
	// The trend's axis names waves by month: their names share a prefix and cut short read alike.
	_, page, _ = browsers["admin"].do("GET", a, nil)
	for _, w := range []store.Wave{f.spring, f.fall} {
		if label := w.OpensAt.Format("Jan 2006"); !strings.Contains(page, ">"+label+"</text>") {
			t.Errorf("trend chart lacks the axis label %q", label)
		}
	}
	// An unknown breakdown is a clear 400, not a 500.
	if code, body, _ := browsers["admin"].do("GET", a+"&by=shoe_size", nil); code != 400 || !strings.Contains(body, "shoe_size") {
		t.Errorf("unknown breakdown: %d %s", code, body)
	}
}

var trRE = regexp.MustCompile(`(?s)<tr[ >].*?</tr>`)

// rowsWith returns the table rows of page that mention text.
func rowsWith(page, text string) []string {
	var out []string
	for _, r := range trRE.FindAllString(page, -1) {
		if strings.Contains(r, text) {
			out = append(out, r)
		}
	}
	return out
}

var digitRE = regexp.MustCompile(`[0-9]`)

// assertNoNumber fails if row holds any digit besides those of "fewer than 10 responses".
func assertNoNumber(t *testing.T, where, row string) {
	t.Helper()
	if !strings.Contains(row, "fewer than 10 responses") {
		t.Errorf("%s: hidden row does not say \"fewer than 10 responses\": %s", where, row)
	}
	rest := strings.ReplaceAll(row, "fewer than 10 responses", "")
	rest = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(rest, "") // markup: class names such as band0
	if digitRE.MatchString(rest) {
		t.Errorf("%s: hidden row shows a number: %s", where, row)
	}
}

func TestResultsHiddenGroupShowsNoNumber(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("admin")
	m := f.in.Measures[0].ID
	_, page, _ := br.do("GET", f.schoolPage(f.school)+"&by=english_learner", nil)
	rows := rowsWith(page, ">Yes<")
	if len(rows) != 2 { // the score table and the response-rate table
		t.Fatalf("%d rows for the English learners, want 2:\n%s", len(rows), page)
	}
	for _, r := range rows {
		assertNoNumber(t, "school page", r)
	}
	if !strings.Contains(page, "<svg") || !strings.Contains(page, "Spring results") {
		t.Errorf("no trend chart over both waves")
	}
	_, page, _ = br.do("GET", fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.school, m, f.fall.ID), nil)
	rows = rowsWith(page, ">Yes<")
	if len(rows) != 1 {
		t.Fatalf("%d rows for the English learners on the measure page, want 1:\n%s", len(rows), page)
	}
	assertNoNumber(t, "measure page", rows[0])
	for _, want := range []string{"% favorable", "Distribution over the five bands", "<svg class=\"bar\"", "very strong"} {
		if !strings.Contains(page, want) {
			t.Errorf("measure page lacks %q", want)
		}
	}

	// CSV: the hidden group's row has its name and the floor, and no number in any column.
	code, out, h := br.do("GET", f.schoolPage(f.school)+"&by=english_learner&format=csv&table=subgroups", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), `attachment; filename=`) {
		t.Fatalf("CSV: %d %q %q", code, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	must(t, err)
	hidden := 0
	for _, rec := range recs[1:] {
		if rec[4] != "yes" {
			continue
		}
		hidden++
		if rec[len(rec)-1] != "fewer than 10 responses" {
			t.Errorf("hidden CSV row's note: %q", rec)
		}
		for i, v := range rec[6 : len(rec)-1] {
			if v != "" {
				t.Errorf("hidden CSV row has %s = %q: %q", recs[0][6+i], v, rec)
			}
		}
	}
	if hidden != len(f.in.Measures) {
		t.Errorf("%d hidden rows in the CSV, want one per measure (%d)", hidden, len(f.in.Measures))
	}

	// XLSX: the same, and the shown rows carry numbers as numbers.
	hidden, numbers := 0, 0
	for _, by := range []string{"english_learner", "gender"} {
		hidden, numbers = xlsxCheck(t, br, f.schoolPage(f.school)+"&by="+by+"&format=xlsx", hidden, numbers)
	}
	if hidden != len(f.in.Measures) || numbers != len(f.in.Measures) {
		t.Errorf("XLSX: %d hidden rows and %d female means, want %d each", hidden, numbers, len(f.in.Measures))
	}
}

// xlsxCheck reads the "By group" sheet of a download: hidden English learners' rows carry no
// number, female means are numbers; it adds up both.
func xlsxCheck(t *testing.T, br *browser, path string, hidden, numbers int) (int, int) {
	t.Helper()
	code, out, h := br.do("GET", path, nil)
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") || !strings.Contains(h.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("XLSX: %d %q %q", code, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(out)))
	must(t, err)
	defer x.Close()
	sheets := x.GetSheetList()
	if !slices.Contains(sheets, "By group") || !slices.Contains(sheets, "Questions") {
		t.Fatalf("sheets %q", sheets)
	}
	rowsX, err := x.GetRows("By group")
	must(t, err)
	for r, rec := range rowsX[1:] {
		for c := 6; c < len(resultColumnsForTest); c++ {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			typ, _ := x.GetCellType("By group", cell)
			v, _ := x.GetCellValue("By group", cell)
			if rec[4] == "yes" && c < len(resultColumnsForTest)-1 && v != "" {
				t.Errorf("hidden XLSX row has %s = %q", cell, v)
			}
			if rec[4] == "female" && c == 7 && typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("mean %s = %q is stored as %v, not a number", cell, v, typ)
			}
			if rec[4] == "female" && c == 7 && v != "" {
				numbers++
			}
		}
		if rec[4] == "yes" {
			hidden++
			if rec[len(rec)-1] != "fewer than 10 responses" {
				t.Errorf("hidden XLSX row's note: %q", rec)
			}
		}
	}
	return hidden, numbers
}

// resultColumnsForTest mirrors the export's column count (group is column 4, numbers from 6).
var resultColumnsForTest = strings.Split("school,measure,measure_name,attribute,group,group_name,n,mean,se,ci_low,ci_high,favorable,favorable_low,favorable_high,gap,gap_low,gap_high,gap_flagged,change,change_low,change_high,change_flagged,note", ",")

func TestResultsExportDefusesFormulas(t *testing.T) {
	f := newResultsFixture(t)
	must(t, f.st.DB.Model(&store.School{}).Where("district_id = ? AND id = ?", f.district, f.school).
		Update("name", `=HYPERLINK("http://evil.test","x")`).Error)
	br := f.signIn("admin")
	_, out, _ := br.do("GET", fmt.Sprintf("/admin/results?wave=%d&format=csv", f.fall.ID), nil)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	must(t, err)
	found := false
	for _, rec := range recs[1:] {
		if strings.Contains(rec[0], "HYPERLINK") {
			found = true
			if !strings.HasPrefix(rec[0], `'=`) {
				t.Errorf("CSV school cell not defused: %q", rec[0])
			}
		}
	}
	_, out, _ = br.do("GET", fmt.Sprintf("/admin/results?wave=%d&format=xlsx", f.fall.ID), nil)
	x, err := excelize.OpenReader(strings.NewReader(out))
	must(t, err)
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	must(t, err)
	for i, rec := range rows {
		if strings.Contains(rec[0], "HYPERLINK") {
			found = true
			cell := fmt.Sprintf("A%d", i+1)
			if f, _ := x.GetCellFormula(x.GetSheetList()[0], cell); f != "" || !strings.HasPrefix(rec[0], `'=`) {
				t.Errorf("XLSX school cell not defused: %q (formula %q)", rec[0], f)
			}
		}
	}
	if !found {
		t.Fatal("the school's name is in neither export")
	}
}

func TestResultsInSpanish(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("leaderA")
	for _, tc := range []struct {
		path   string
		header []string
	}{
		{f.schoolPage(f.school) + "&by=gender&lang=es", nil},
		{f.schoolPage(f.school) + "&by=gender", []string{"Accept-Language", "es-MX,es;q=0.9,en;q=0.5"}},
	} {
		code, page, h := br.do("GET", tc.path, nil, tc.header...)
		if code != 200 {
			t.Fatalf("%s: %d", tc.path, code)
		}
		for _, want := range []string{`<html lang="es"`, "Resultados", "Confianza en los maestros", "menos de 10 respuestas", "Por grupo", "Género",
			"Femenino", "Descargar", `lang="en"`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %q", tc.path, want)
			}
		}
		for _, english := range []string{"fewer than", "Trust in teachers", "Breakdown"} {
			if strings.Contains(page, english) {
				t.Errorf("%s: English %q on the Spanish page", tc.path, english)
			}
		}
		if h.Get("Content-Language") != "es" {
			t.Errorf("Content-Language %q", h.Get("Content-Language"))
		}
	}
	// The explicit choice sticks in the page's links; English is one click away.
	_, page, _ := br.do("GET", f.schoolPage(f.school)+"&lang=es", nil)
	if !strings.Contains(page, "lang=es") || !strings.Contains(page, `hreflang="en"`) {
		t.Errorf("links do not keep the language or offer English")
	}
	// The choice is remembered from page to page (a cookie); an unsupported one changes nothing,
	// and without any choice an unsupported language falls back to English.
	if code, page, _ := br.do("GET", f.schoolPage(f.school), nil); code != 200 || !strings.Contains(page, `<html lang="es"`) {
		t.Errorf("the chosen language is not remembered on the next page")
	}
	if code, page, _ := br.do("GET", f.schoolPage(f.school)+"&lang=fr", nil); code != 200 || !strings.Contains(page, `<html lang="es"`) {
		t.Errorf("an unsupported language replaced the remembered one")
	}
	if code, page, _ := f.signIn("leaderA").do("GET", f.schoolPage(f.school)+"&lang=fr", nil); code != 200 || !strings.Contains(page, `<html lang="en"`) {
		t.Errorf("an unsupported language does not fall back to English")
	}
}

func TestResultsExportIsAudited(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("leaderA")
	_, page, _ := br.do("GET", f.schoolPage(f.school), nil)
	if strings.Count(page, "format=csv") < 3 || strings.Count(page, "format=xlsx") < 3 {
		t.Errorf("the school page does not offer its tables for download")
	}
	code, _, h := br.do("GET", f.schoolPage(f.school)+"&format=csv&table=items", nil)
	if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "items.csv") {
		t.Fatalf("items CSV: %d %q", code, h.Get("Content-Disposition"))
	}
	entries, err := f.auth.AuditLog(context.Background(), f.district, 50)
	must(t, err)
	var got []store.AuditEntry
	for _, e := range entries {
		if e.Action == auth.ActionExport {
			got = append(got, e)
		}
	}
	if len(got) != 1 || !strings.EqualFold(got[0].Actor, f.email("leaderA")) || !strings.Contains(got[0].Target, fmt.Sprint(f.school)) ||
		!strings.Contains(got[0].Detail, "table=items") {
		t.Fatalf("export audit entries: %+v", got)
	}
	// A refused export leaves no record.
	br.do("GET", f.schoolPage(f.schoolB)+"&format=csv", nil)
	entries, err = f.auth.AuditLog(context.Background(), f.district, 50)
	must(t, err)
	n := 0
	for _, e := range entries {
		if e.Action == auth.ActionExport {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d export records after a refused export, want 1", n)
	}
}

// TestDashboardCatalogs checks the dashboard message files: every English message exists in
// Spanish (and nothing extra), and every {{msg "id"}} in the results templates exists in English.
func TestDashboardCatalogs(t *testing.T) {
	cat, err := httpserver.LoadDashboardLocales(locales.FS)
	must(t, err)
	if tags := cat.Tags(); !slices.Contains(tags, "en") || !slices.Contains(tags, "es") {
		t.Fatalf("dashboard locales %v, want en and es", tags)
	}
	for _, tag := range cat.Tags() {
		en, other := cat.MessageIDs("en"), cat.MessageIDs(tag)
		for _, id := range en {
			if !slices.Contains(other, id) {
				t.Errorf("%s: missing %s", httpserver.DashboardFile(tag), id)
			}
		}
		for _, id := range other {
			if !slices.Contains(en, id) {
				t.Errorf("%s: %s is not in %s", httpserver.DashboardFile(tag), id, httpserver.DashboardFile("en"))
			}
		}
	}
	// The respondent catalog and its lint ignore the dashboard files.
	if _, err := locale.Load(locales.FS); err != nil {
		t.Fatal(err)
	}
	msgRE := regexp.MustCompile(`\{\{[^}]*\bmsg\s+"([^"]+)"`)
	names, err := fs.Glob(web.FS, "templates/admin/*.html")
	must(t, err)
	if len(names) < 4 {
		t.Fatalf("results templates: %v", names)
	}
	for _, name := range names {
		data, err := web.FS.ReadFile(name)
		must(t, err)
		for _, m := range msgRE.FindAllStringSubmatch(string(data), -1) {
			if _, ok := cat.Message("en", m[1]); !ok {
				t.Errorf("%s uses %s, which %s lacks", name, m[1], httpserver.DashboardFile("en"))
			}
		}
	}
	// Both files are plain TOML.
	for _, tag := range cat.Tags() {
		data, err := locales.FS.ReadFile(httpserver.DashboardFile(tag)) // the feature files are checked by Load
		must(t, err)
		var v map[string]any
		if _, err := toml.Decode(string(data), &v); err != nil {
			t.Errorf("%s: %v", httpserver.DashboardFile(tag), err)
		}
	}
}
