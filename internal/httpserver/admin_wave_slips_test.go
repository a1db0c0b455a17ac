package httpserver_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// slipFixture names school A's students and puts one in homeroom Room 1, so slips have a group,
// a name in Latin script and one in Arabic script.
func slipFixture(t *testing.T) (*adminFixture, []store.Person) {
	t.Helper()
	f := newAdminFixture(t)
	var people []store.Person
	must(t, f.st.DB.Where("district_id = ? AND school_id = ?", f.district, f.school).Order("grade").Find(&people).Error)
	names := [][2]string{{"Ana", "Zamora"}, {"ليلى", "حداد"}}
	for i := range people {
		people[i].GivenName, people[i].FamilyName = names[i][0], names[i][1]
		must(t, f.st.DB.Model(&people[i]).Updates(map[string]any{"given_name": names[i][0], "family_name": names[i][1]}).Error)
	}
	must(t, f.st.DB.Model(&store.Invitation{}).Where("district_id = ? AND person_id = ?", f.district, people[1].ID).Update("language", "ar").Error)
	var room store.Class
	must(t, f.st.DB.Where("district_id = ? AND school_id = ?", f.district, f.school).First(&room).Error)
	must(t, f.st.DB.Create(&store.Enrollment{DistrictID: f.district, ClassID: room.ID, PersonID: people[0].ID, Role: "student", Active: true}).Error)
	must(t, f.waves.SetStatus(context.Background(), f.district, f.waveA.ID, store.StatusOpen))
	return f, people
}

var slipCodeRE = regexp.MustCompile(`[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}`)

// TestAdminSlips prints a homeroom's slips as a page and as a PDF, checks the slips open the
// student's survey by QR link and by typed code, that earlier slips stop working, that only
// leaders of the school (and admins) can see or print them, and that both are audited.
func TestAdminSlips(t *testing.T) {
	f, _ := slipFixture(t)
	wa, wb := fmt.Sprint(f.waveA.ID), fmt.Sprint(f.waveB.ID)
	for _, tc := range []struct {
		who, path string
		want      int
	}{
		{"leaderA", "/admin/waves/" + wa + "/slips", 200}, {"admin", "/admin/waves/" + wb + "/slips", 200},
		{"leaderA", "/admin/waves/" + wb + "/slips", 404}, {"counselorA", "/admin/waves/" + wa + "/slips", 403},
		{"staffA", "/admin/waves/" + wa + "/slips", 403}, {"analystA", "/admin/waves/" + wa + "/slips", 403},
	} {
		code, body, _ := f.signIn(tc.who).do("GET", tc.path, nil)
		if code != tc.want {
			t.Errorf("%s GET %s: %d, want %d", tc.who, tc.path, code, tc.want)
		}
		if code != 200 && strings.Contains(body, "Baker") {
			t.Errorf("%s: refusal names school B", tc.who)
		}
	}

	b := f.signIn("leaderA")
	_, page, _ := b.do("GET", "/admin/waves/"+wa+"/slips", nil)
	for _, want := range []string{"Room 1", "No homeroom", "Zamora, Ana", "Print 1 slips"} {
		if !strings.Contains(page, want) {
			t.Fatalf("slips page lacks %q:\n%s", want, page)
		}
	}
	csrf := csrfOf(t, page)
	// Leader A cannot print school B's slips by changing the form.
	if code, _, _ := b.do("POST", "/admin/waves/"+wa+"/slips", url.Values{"_csrf": {csrf}, "school": {fmt.Sprint(f.schoolB)}, "group": {"Room 1"}}); code != http.StatusNotFound {
		t.Errorf("print for another school's id: %d", code)
	}
	if code, _, _ := b.do("POST", "/admin/waves/"+wa+"/slips", url.Values{"_csrf": {csrf}, "school": {fmt.Sprint(f.school)}, "all": {"1"}, "size": {"A3"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("unknown paper size: %d", code)
	}

	// The whole school, as a page to print: a cover sheet per group and one slip per student.
	code, sheet, _ := b.do("POST", "/admin/waves/"+wa+"/slips", url.Values{"_csrf": {csrf}, "school": {fmt.Sprint(f.school)}, "all": {"1"}, "format": {"html"}})
	if code != 200 {
		t.Fatalf("print: %d %s", code, sheet)
	}
	codes := slipCodeRE.FindAllString(sheet, -1)
	if len(codes) != 2 {
		t.Fatalf("print page has %d personal codes, want 2:\n%s", len(codes), sheet)
	}
	for _, want := range []string{"Survey slips: Adams, Room 1", "Survey slips: Adams, No homeroom", "Not answered yet: 1", "Zamora, Ana",
		`lang="ar" dir="rtl"`, "امسح رمز QR", "http://example.test/j", `src="data:image/png;base64,`} {
		if !strings.Contains(sheet, want) {
			t.Errorf("print page lacks %q", want)
		}
	}
	// The typed code leads to the survey, through the /j form.
	anon := f.browser()
	_, form, _ := anon.do("GET", "/j", nil)
	code, _, h := anon.do("POST", "/j", url.Values{"_csrf": {csrfOf(t, form)}, "code": {strings.ToLower(codes[0])}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/s/"+strings.ReplaceAll(codes[0], "-", "")) {
		t.Fatalf("typed code: %d to %q", code, h.Get("Location"))
	}
	if code, intro, _ := anon.do("GET", h.Get("Location"), nil); code != 200 || !strings.Contains(intro, "/p/1") {
		t.Fatalf("survey by personal code: %d\n%s", code, intro)
	}

	// Ana's PDF: the text drawn is her name, her new code and the teacher's steps; the code on
	// the page printed before stops working.
	code, pdf, h := b.do("POST", "/admin/waves/"+wa+"/slips", url.Values{"_csrf": {csrf}, "school": {fmt.Sprint(f.school)}, "group": {"Room 1"}, "format": {"pdf"}, "size": {"Letter"}})
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("PDF: %d %q", code, h.Get("Content-Type"))
	}
	text := pdfText(t, []byte(pdf))
	pdfCodes := slipCodeRE.FindAllString(text, -1)
	for _, want := range []string{"Survey slips: Adams, Room 1", "Ana Zamora", "Not answered yet: 1", "Scan the QR code"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	// Room 1 is printed first, so codes[0] is Ana's: replaced now; the other student's still works.
	if len(pdfCodes) != 1 || pdfCodes[0] == codes[0] {
		t.Fatalf("PDF codes %v (before: %v)", pdfCodes, codes)
	}
	for _, tc := range []struct {
		code string
		want int
	}{{codes[0], http.StatusNotFound}, {codes[1], 200}, {pdfCodes[0], 200}} {
		if got, _, _ := anon.do("GET", "/s/"+strings.ReplaceAll(tc.code, "-", ""), nil); got != tc.want {
			t.Errorf("GET /s/%s: %d, want %d", tc.code, got, tc.want)
		}
	}

	var audits []store.AuditEntry
	must(t, f.st.DB.Where("district_id = ? AND action IN ?", f.district, []string{auth.ActionSlipsView, auth.ActionSlipsPrint}).Order("at").Find(&audits).Error)
	var got []string
	for _, a := range audits {
		got = append(got, a.Action+" "+a.Detail)
	}
	for _, want := range []string{"slips.view ", "slips.print 2 slips, html", "slips.print 1 slips, pdf"} {
		if !strings.Contains(strings.Join(got, "|"), want) {
			t.Errorf("audit %q lacks %q", got, want)
		}
	}
}

// pdfText extracts a PDF's text with poppler's pdftotext, as a reader's viewer would show it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "slips.pdf")
	must(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian's poppler-utils; .ci/run installs it): %v", err)
	}
	return string(bytes.ReplaceAll(out, []byte("\f"), []byte("\n")))
}

// pdfPages counts a PDF's pages with poppler's pdfinfo.
func pdfPages(t *testing.T, pdf []byte) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "count.pdf")
	must(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatalf("pdfinfo (Debian's poppler-utils): %v", err)
	}
	m := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo: no page count in %s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestEnterCode checks the /j form: class codes and personal codes go to their surveys, anything
// else gets a localized error with the typed text kept, and the form is CSRF-protected.
func TestEnterCode(t *testing.T) {
	f := newAdminFixture(t)
	code := f.issueClassCode(t)
	b := f.browser()
	st, form, _ := b.do("GET", "/j?lang=es", nil)
	if st != 200 || !strings.Contains(form, `lang="es"`) || !strings.Contains(form, "Escribe tu código de encuesta") {
		t.Fatalf("GET /j?lang=es: %d\n%s", st, form)
	}
	csrf := csrfOf(t, form)
	st, _, h := b.do("POST", "/j?lang=es", url.Values{"_csrf": {csrf}, "code": {strings.ToLower(code[:5]) + " " + code[5:]}})
	if st != http.StatusSeeOther || h.Get("Location") != "/j/"+code+"?lang=es" {
		t.Fatalf("class code: %d to %q", st, h.Get("Location"))
	}
	st, page, _ := b.do("POST", "/j?lang=es", url.Values{"_csrf": {csrf}, "code": {"<b>nope</b>"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(page, "Ese código no es correcto") || !strings.Contains(page, `aria-invalid="true"`) ||
		!strings.Contains(page, "&lt;b&gt;nope&lt;/b&gt;") {
		t.Fatalf("bad code: %d\n%s", st, page)
	}
	if st, _, _ := b.do("POST", "/j", url.Values{"code": {code}}); st != http.StatusForbidden {
		t.Errorf("POST /j without CSRF: %d", st)
	}
}

// issueClassCode gives wave A's homeroom a class code through the page and returns it.
func (f *adminFixture) issueClassCode(t *testing.T) string {
	t.Helper()
	b := f.signIn("leaderA")
	path := fmt.Sprintf("/admin/waves/%d/codes", f.waveA.ID)
	_, page, _ := b.do("GET", path, nil)
	if code, _, _ := b.do("POST", path, url.Values{"_csrf": {csrfOf(t, page)}}); code != http.StatusSeeOther {
		t.Fatalf("issue codes: %d", code)
	}
	_, page, _ = b.do("GET", path, nil)
	m := regexp.MustCompile(`<span class="code">([A-Z0-9]{10})</span>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no code on\n%s", page)
	}
	return m[1]
}

// BenchmarkSlipsPrint1000 prints the slips of 1,000 students of one school, as the print page
// and as a PDF, through the server: fresh tokens and codes stored in one transaction with the
// audit row, 1,000 QR codes drawn, the page or PDF laid out.
func BenchmarkSlipsPrint1000(b *testing.B) {
	for _, format := range []string{"html", "pdf"} {
		b.Run(format, func(b *testing.B) {
			bw := newBenchWorld(b, 1000)
			ctx := context.Background()
			a := auth.New(bw.st, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}})
			email := fmt.Sprintf("slips@d%d.test", bw.district)
			_, err := a.CreateUser(ctx, nil, auth.NewUser{DistrictID: bw.district, Email: email, Role: auth.DistrictAdmin, Password: staffPassword})
			must2(b, err)
			session, _, err := a.SignIn(ctx, email, staffPassword, "127.0.0.1")
			must2(b, err)
			h := bw.h
			must2(b, bw.st.DB.Exec("UPDATE people SET given_name = 'Student', family_name = 'Number ' || sourced_id WHERE district_id = ?", bw.district).Error)
			var school int64
			must2(b, bw.st.DB.Model(&store.WaveSchool{}).Where("district_id = ? AND wave_id = ?", bw.district, bw.wave).Pluck("school_id", &school).Error)
			form := url.Values{"_csrf": {benchCSRF}, "school": {fmt.Sprint(school)}, "all": {"1"}, "format": {format}}
			var size int
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/admin/waves/%d/slips", bw.wave), strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: "_csrf", Value: benchCSRF})
				req.AddCookie(&http.Cookie{Name: "tp_session", Value: session})
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("print: %d %.300s", rec.Code, rec.Body.String())
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB/print")
		})
	}
}

func must2(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// TestSlipCoverLanguage (#16 line 6): the teacher's cover sheet is in the language of the staff
// member printing, on the print page and in the PDF; a PDF printed in a language its fonts
// cannot draw (Arabic, Chinese, Vietnamese) has an English cover sheet, and the slips page says so.
func TestSlipCoverLanguage(t *testing.T) {
	f, _ := slipFixture(t)
	wa := fmt.Sprint(f.waveA.ID)
	b := f.signIn("leaderA")
	print := func(lang, format string) string {
		t.Helper()
		_, page, _ := b.do("GET", "/admin/waves/"+wa+"/slips?lang="+lang, nil)
		code, body, _ := b.do("POST", "/admin/waves/"+wa+"/slips?lang="+lang, url.Values{"_csrf": {csrfOf(t, page)}, "school": {fmt.Sprint(f.school)}, "all": {"1"}, "format": {format}})
		if code != 200 {
			t.Fatalf("print %s %s: %d", lang, format, code)
		}
		if format == "pdf" {
			return pdfText(t, []byte(body))
		}
		return html.UnescapeString(body)
	}
	for _, tc := range []struct {
		lang, format string
		want         []string
	}{
		{"es", "html", []string{"Papeletas de la encuesta: Adams, Room 1", "Papeletas de la encuesta: Adams, Sin salón", "Aún sin responder: 1", "«Siguiente estudiante»", "امسح رمز QR"}},
		{"es", "pdf", []string{"Papeletas de la encuesta: Adams, Room 1", "Aún sin responder: 1", "Recoja las papeletas"}},
		{"pt", "pdf", []string{"Papéis da pesquisa: Adams, Room 1", "Ainda não responderam: 1"}},
		{"ht", "pdf", []string{"Fèy sondaj: Adams, Room 1", "Poko reponn: 1"}},
		{"so", "pdf", []string{"Warqadaha sahanka: Adams, Room 1", "Weli ma jawaabin: 1"}},
		{"vi", "html", []string{"Phiếu khảo sát: Adams, Room 1", "Chưa trả lời: 1"}},
		// The Go fonts lack Vietnamese letters with two marks (ễ), Arabic and Chinese.
		{"vi", "pdf", []string{"Survey slips: Adams, Room 1", "Not answered yet: 1"}},
		{"ar", "html", []string{"قسائم الاستبيان: Adams، Room 1", "لم يجيبوا بعد: 1", "«الطالب التالي»"}},
		{"ar", "pdf", []string{"Survey slips: Adams, Room 1", "Not answered yet: 1", "Collect the slips"}},
		{"en", "pdf", []string{"Survey slips: Adams, Room 1", "Survey slips: Adams, No homeroom", `press "Next student"`}},
	} {
		text := print(tc.lang, tc.format)
		for _, want := range tc.want {
			if !strings.Contains(text, want) {
				t.Errorf("%s %s lacks %q:\n%s", tc.lang, tc.format, want, text)
			}
		}
	}
	for _, tc := range []struct {
		lang, note string
		shown      bool
	}{
		{"ar", "خطوطه لا تستطيع رسم هذه اللغة", true}, {"zh-Hans", "其字体无法显示此语言", true},
		{"vi", "phông chữ của nó không vẽ được", true}, {"es", "sus fuentes no pueden dibujar", false}, {"so", "farta uu isticmaalo", false},
	} {
		_, page, _ := b.do("GET", "/admin/waves/"+wa+"/slips?lang="+tc.lang, nil)
		if got := strings.Contains(html.UnescapeString(page), tc.note); got != tc.shown {
			t.Errorf("slips page in %s: English-cover note shown %v, want %v", tc.lang, got, tc.shown)
		}
	}
}
