package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/pdf/pdftest"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/report/reportgen"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// chromium is the browser tests' Chromium, which the PDF tests print with.
func chromium(tb testing.TB) string {
	tb.Helper()
	path, err := browsertest.ExecPath()
	if err != nil {
		tb.Fatalf("%v\n%s", err, browsertest.InstallHint)
	}
	return path
}

// withChromium restarts the fixture's server printing PDFs with the browser at path; its
// browser stops when the test ends.
func (f *resultsFixture) withChromium(t *testing.T, path string) {
	t.Helper()
	cfg := f.cfg()
	cfg.Chromium = path
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: f.st, Log: quietLog(), Surveys: f.waves.Surveys, Locales: f.locales,
		Waves: f.waves, Auth: f.auth})
	must(t, err)
	t.Cleanup(func() { srv.Close() })
	f.serve(srv)
}

// getPDF fetches a PDF as the browser br and checks it is one.
func getPDF(t *testing.T, br *browser, path string) []byte {
	t.Helper()
	code, body, h := br.do("GET", path, nil)
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("%s: %d %q %.300s", path, code, h.Get("Content-Type"), body)
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline; filename=") || !strings.HasSuffix(cd, ".pdf") {
		t.Errorf("%s: Content-Disposition %q", path, cd)
	}
	return []byte(body)
}

// TestSchoolReportPDF prints the school report on A4 and Letter in Chromium and reads it back
// as a person would: pdftotext finds the school, the wave and every measure and no hidden
// group; the first page rendered to PNG is not blank. The download is in the audit log.
func TestSchoolReportPDF(t *testing.T) {
	f := newResultsFixture(t)
	f.withChromium(t, chromium(t))
	br := f.signIn("leaderA")
	for _, tc := range []struct{ paper, size string }{{"a4", "595.92 x 841.92 pts (A4)"}, {"letter", "612 x 792 pts (letter)"}} {
		out := getPDF(t, br, f.reportPage(f.school, f.fall)+"&format=pdf&paper="+tc.paper)
		info := pdftest.Info(t, out)
		if info["Page size"] != tc.size {
			t.Errorf("%s: page size %q, want %q", tc.paper, info["Page size"], tc.size)
		}
		if info["Tagged"] != "yes" {
			t.Errorf("%s: the PDF is not tagged (pdfinfo: %v)", tc.paper, info)
		}
		text := pdftest.Words(pdftest.Text(t, out))
		for _, want := range []string{"Adams: school report", "Survey wave: Fall results", "Headline measures", "What changed since the previous wave",
			"Strongest questions", "Weakest questions", "Biggest gaps between groups", "Spring results"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", tc.paper, want, text)
			}
		}
		for _, m := range f.in.Measures {
			if !strings.Contains(text, m.Name["en"]) {
				t.Errorf("%s: the PDF's text lacks the measure %q", tc.paper, m.Name["en"])
			}
		}
		for _, never := range []string{"Nonbinary", "Male", "Sign out", f.email("leaderA"), "Back to Adams", "PDF (A4)"} {
			if strings.Contains(text, never) {
				t.Errorf("%s: the PDF shows %q", tc.paper, never)
			}
		}
		_, img := pdftest.FirstPage(t, out, 60, "school-report-"+tc.paper)
		if ink := pdftest.Ink(img); ink < 0.01 || ink > 0.5 {
			t.Errorf("%s: page 1 has %.3f of its pixels inked: blank or a block", tc.paper, ink)
		}
	}
	var n int64
	must(t, f.st.DB.Table("audit_log").Where("district_id = ? AND action = ? AND detail LIKE ?", f.district, auth.ActionExport, "pdf %").Count(&n).Error)
	if n != 2 {
		t.Errorf("%d PDF downloads in the audit log, want 2", n)
	}
	// The PDF follows the page's access: another school's is 404, staff 403, a bad size 400.
	if code, _, _ := f.signIn("leaderB").do("GET", f.reportPage(f.school, f.fall)+"&format=pdf", nil); code != 404 {
		t.Errorf("leader B, Adams' PDF: %d", code)
	}
	if code, _, _ := f.signIn("staffA").do("GET", f.reportPage(f.school, f.fall)+"&format=pdf", nil); code != 403 {
		t.Errorf("staff, Adams' PDF: %d", code)
	}
	if code, _, _ := br.do("GET", f.reportPage(f.school, f.fall)+"&format=pdf&paper=legal", nil); code != 400 {
		t.Errorf("paper=legal: %d", code)
	}
}

// TestFamilySummaryPDF prints the family summary of a family survey in Arabic and in Chinese
// and reads it back: one page, the school and the measure names in that script (from the survey
// file), no staff bar; page 1 is not blank, and the Arabic page's text is set from the right.
func TestFamilySummaryPDF(t *testing.T) {
	f := newResultsFixture(t)
	family := f.addWave(t, "family-pulse", "Family survey", f.st.Now().Add(-20*time.Minute), map[int64]int{f.school: 24, f.schoolB: 15}, 1)
	in, _ := f.waves.Surveys.Get("family-pulse", 1)
	f.withChromium(t, chromium(t))
	br := f.signIn("leaderA")
	for _, tag := range []string{"ar", "zh-Hans", "en"} {
		out := getPDF(t, br, f.familyPage(f.school, family, tag)+"&format=pdf&paper=a4")
		if n := pdftest.Pages(t, out); n != 1 {
			t.Errorf("%s: %d pages, want one", tag, n)
		}
		text := pdftest.Words(pdftest.Text(t, out))
		// The title mixes the school's Latin name with the language's script, which pdftotext
		// orders by position: look for the two apart.
		title := strings.Trim(f.locales.Localizer(tag).T("family.title", map[string]any{"School": ""}), ":： ")
		for _, want := range []string{"Adams", title, in.Measures[0].Name[tag], in.Measures[1].Name[tag]} {
			if !strings.Contains(text, pdftest.AsExtracted(want)) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", tag, want, text)
			}
		}
		for _, never := range []string{"Language of the summary", "PDF (A4)", "Back to Adams"} {
			if strings.Contains(text, never) {
				t.Errorf("%s: the PDF shows the staff bar (%q)", tag, never)
			}
		}
		_, img := pdftest.FirstPage(t, out, 100, "family-summary-"+tag)
		if ink := pdftest.Ink(img); ink < 0.01 || ink > 0.5 {
			t.Errorf("%s: page 1 has %.3f of its pixels inked: blank or a block", tag, ink)
		}
		left, right := pdftest.InkIn(img, 0.05, 0.35), pdftest.InkIn(img, 0.65, 0.95)
		if rtl := f.locales.Info(tag).Dir == "rtl"; rtl && right <= left || !rtl && left <= right {
			t.Errorf("%s: ink left %.4f, right %.4f: the text does not start on the %s", tag, left, right, map[bool]string{true: "right", false: "left"}[rtl])
		}
	}
}

// TestSchoolReportPDFWithoutChromium: without a browser the PDF link answers 503 saying what is
// missing and that the page prints from the browser; the page itself still works.
func TestSchoolReportPDFWithoutChromium(t *testing.T) {
	f := newResultsFixture(t)
	f.withChromium(t, "/nonexistent/chromium")
	br := f.signIn("leaderA")
	code, body, _ := br.do("GET", f.reportPage(f.school, f.fall)+"&format=pdf&paper=a4", nil)
	if code != 503 || !strings.Contains(body, "no Chromium at /nonexistent/chromium") || !strings.Contains(body, "use Print") ||
		!strings.Contains(body, fmt.Sprintf("/admin/results/schools/%d/report?wave=%d", f.school, f.fall.ID)) {
		t.Errorf("PDF without Chromium: %d %s", code, body)
	}
	if code, page, _ := br.do("GET", f.reportPage(f.school, f.fall), nil); code != 200 || !strings.Contains(page, "Headline measures") {
		t.Errorf("the report page without Chromium: %d", code)
	}
}

// BenchmarkSchoolReportPDF prints a school's report (4 waves of a 3-school district, 2,000
// responses per school and wave) to PDF through the whole request, one at a time, with the
// browser already running; it reports the PDF's size.
func BenchmarkSchoolReportPDF(b *testing.B) {
	ctx := context.Background()
	st := testdb.Open(b)
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		b.Fatal(err)
	}
	loc, err := locale.Load(locales.FS)
	if err != nil {
		b.Fatal(err)
	}
	in, _ := cat.Get("student-pulse", 1)
	d, err := reportgen.Generate(ctx, st, in, reportgen.Options{Schools: 3, Waves: 4, Responses: 24_000})
	if err != nil {
		b.Fatal(err)
	}
	rep := &report.Service{Store: st, Surveys: cat, Floor: 10, Log: quietLog()}
	if _, err := rep.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	a := auth.New(st, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}})
	email := fmt.Sprintf("pdf@d%d.test", d.ID)
	if _, err := a.CreateUser(ctx, nil, auth.NewUser{DistrictID: d.ID, Email: email, Role: auth.DistrictAdmin, Password: staffPassword}); err != nil {
		b.Fatal(err)
	}
	session, _, err := a.SignIn(ctx, email, staffPassword, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.Chromium = chromium(b)
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: st, Log: quietLog(), Surveys: cat, Locales: loc,
		Waves: &wave.Service{Store: st, Surveys: cat}, Auth: a, Results: rep})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	get := func(i int) *httptest.ResponseRecorder {
		url := fmt.Sprintf("/admin/results/schools/%d/report?wave=%d&format=pdf&paper=a4", d.Schools[i%len(d.Schools)], d.Waves[len(d.Waves)-1])
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.AddCookie(&http.Cookie{Name: "tp_session", Value: session})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %.300s", url, rec.Code, rec.Body.String())
		}
		return rec
	}
	start := time.Now()
	get(0) // starts the browser
	first := time.Since(start)
	var bytes int
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bytes += get(i).Body.Len()
	}
	b.ReportMetric(float64(bytes)/float64(b.N), "pdf-bytes")
	b.ReportMetric(float64(first.Milliseconds()), "first-ms")
}
