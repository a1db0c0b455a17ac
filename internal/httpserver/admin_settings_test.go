package httpserver_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestAdminResultsSettings changes the floor and breakdowns through the page: a floor below the
// minimum is refused with a message naming it and changes nothing; a valid change is saved,
// marks the district's waves rebuilt and is audited.
func TestAdminResultsSettings(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("admin")
	code, page, _ := b.do("GET", "/admin/results/settings", nil)
	if code != http.StatusOK || !strings.Contains(page, `value="10"`) {
		t.Fatalf("settings page: %d\n%s", code, page)
	}
	csrf := csrfOf(t, page)
	code, page, _ = b.do("POST", "/admin/results/settings", url.Values{"_csrf": {csrf}, "floor": {"3"}, "attribute": {"grade"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "must be at least 10") {
		t.Fatalf("floor 3: %d\n%s", code, page)
	}
	code, page, _ = b.do("POST", "/admin/results/settings", url.Values{"_csrf": {csrf}, "floor": {"10"}, "pair": {"grade,shoe_size"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "unknown two-way breakdown &#34;grade,shoe_size&#34;") {
		t.Fatalf("unknown pair: %d\n%s", code, page)
	}
	// The refusal is worded in the page's language (#16 line 6).
	code, page, _ = b.do("POST", "/admin/results/settings?lang=es", url.Values{"_csrf": {csrf}, "floor": {"3"}, "attribute": {"grade"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(page), "Tamaño mínimo de grupo 3: debe ser al menos 10.") {
		t.Fatalf("floor 3 in Spanish: %d\n%s", code, page)
	}
	code, page, _ = b.do("POST", "/admin/results/settings?lang=ar", url.Values{"_csrf": {csrf}, "floor": {"10"}, "pair": {"grade,shoe_size"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(page), `تفصيل ثنائي غير معروف: "grade,shoe_size".`) {
		t.Fatalf("unknown pair in Arabic: %d\n%s", code, page)
	}
	b.do("GET", "/admin/results/settings?lang=en", nil) // the language chosen sticks; back to English
	var d store.District
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&d).Error)
	if d.MinGroupSize != 10 || d.Settings["report_attributes"] != "" || d.Settings["report_pairs"] != "" {
		t.Fatalf("a refused change was saved: %+v", d)
	}
	// Drafts have no results; open the fixture's two waves so saving has something to rebuild.
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ?", f.district).Update("status", store.StatusOpen).Error)
	code, _, h := b.do("POST", "/admin/results/settings", url.Values{"_csrf": {csrf}, "floor": {"15"}, "attribute": {"grade", "english_learner"}, "pair": {"grade,english_learner"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "notice=settings") {
		t.Fatalf("valid change: %d %q", code, h.Get("Location"))
	}
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&d).Error)
	if d.MinGroupSize != 15 || d.Settings["report_attributes"] != "grade,english_learner" || d.Settings["report_pairs"] != "grade,english_learner" {
		t.Errorf("saved district = %d %q %q", d.MinGroupSize, d.Settings["report_attributes"], d.Settings["report_pairs"])
	}
	// The rebuild is queued, not done in the request: the page says so until the refresher ran.
	var stale, built int64
	must(t, f.st.DB.Model(&store.RollupWave{}).Where("district_id = ? AND stale", f.district).Count(&stale).Error)
	if stale != 2 {
		t.Errorf("after saving: %d waves queued for a rebuild, want 2", stale)
	}
	_, page, _ = b.do("GET", "/admin/results/settings", nil)
	if !strings.Contains(page, "Waves waiting to be rebuilt: 2.") {
		t.Errorf("the settings page does not say the results are being rebuilt:\n%s", page)
	}
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err := rs.Refresh(context.Background())
	must(t, err)
	must(t, f.st.DB.Model(&store.RollupWave{}).Where("district_id = ? AND stale", f.district).Count(&stale).Error)
	must(t, f.st.DB.Model(&store.RollupWave{}).Where("district_id = ? AND built_at IS NOT NULL", f.district).Count(&built).Error)
	if stale != 0 || built != 2 {
		t.Errorf("after the refresher: %d waves stale, %d built; want 0 and 2", stale, built)
	}
	if _, page, _ = b.do("GET", "/admin/results/settings", nil); strings.Contains(page, "Waves waiting to be rebuilt") {
		t.Errorf("still rebuilding after the refresher ran")
	}
	var audits int64
	must(t, f.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ? AND detail = ?", f.district, "results.settings",
		"floor 15, attributes grade,english_learner, two-way grade,english_learner, release batch k 5").Count(&audits).Error)
	if audits != 1 {
		t.Errorf("%d audit entries for the change", audits)
	}
}

// TestAdminTextSettings sets the name and HELP contact of the district's texts through the page: a
// value that would not fit is refused with the field named and nothing saved; a valid change is
// saved, audited and shown in the texts' preview; saving the results settings afterwards keeps it,
// and it kept theirs.
func TestAdminTextSettings(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("admin")
	must(t, f.st.DB.Model(&store.District{}).Where("district_id = ?", f.district).Update("settings", store.Attrs{"report_attributes": "grade"}).Error)
	code, page, _ := b.do("GET", "/admin/sms/settings", nil)
	if code != http.StatusOK || !strings.Contains(page, "Questions: http://example.test.") {
		t.Fatalf("text settings page: %d\n%s", code, page)
	}
	csrf := csrfOf(t, page)
	if code, _, _ := b.do("POST", "/admin/sms/settings", url.Values{"name": {"RUSD"}}); code != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", code)
	}
	code, page, _ = b.do("POST", "/admin/sms/settings", url.Values{"_csrf": {csrf}, "name": {"Riverside Unified SD (north)"}, "contact": {"555-0100"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "Name in texts: 28 characters, at most 20") || !strings.Contains(page, `value="Riverside Unified SD (north)"`) {
		t.Fatalf("too long a name: %d\n%s", code, page)
	}
	var d store.District
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&d).Error)
	if d.Settings["sms_name"] != "" || d.Settings["sms_contact"] != "" {
		t.Fatalf("a refused change was saved: %v", d.Settings)
	}
	code, _, h := b.do("POST", "/admin/sms/settings", url.Values{"_csrf": {csrf}, "name": {" Riverside USD "}, "contact": {"555-0100"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin/sms/settings?notice=sms-settings" {
		t.Fatalf("valid change: %d %q", code, h.Get("Location"))
	}
	_, page, _ = b.do("GET", "/admin/sms/settings", nil)
	if !strings.Contains(page, ": 2-min family survey http://example.test/s/") || !strings.Contains(page, "Riverside USD family surveys.") || !strings.Contains(page, "Questions: 555-0100.") {
		t.Errorf("preview after saving:\n%s", page)
	}
	var audits int64
	must(t, f.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ? AND detail = ?", f.district, "sms.settings",
		`name "Riverside USD", contact "555-0100"`).Count(&audits).Error)
	if audits != 1 {
		t.Errorf("%d audit entries for the change", audits)
	}
	code, _, _ = b.do("POST", "/admin/results/settings", url.Values{"_csrf": {csrf}, "floor": {"12"}, "attribute": {"gender"}})
	if code != http.StatusSeeOther {
		t.Fatalf("results settings: %d", code)
	}
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&d).Error)
	want := store.Attrs{"sms_name": "Riverside USD", "sms_contact": "555-0100", "report_attributes": "gender", "report_pairs": ""}
	if len(d.Settings) != len(want) || d.MinGroupSize != 12 {
		t.Fatalf("settings after both pages: %v, floor %d; want %v, floor 12", d.Settings, d.MinGroupSize, want)
	}
	for k, v := range want {
		if d.Settings[k] != v {
			t.Errorf("setting %s = %q, want %q", k, d.Settings[k], v)
		}
	}
}

// TestTextSettingsPreviewLanguages (#16 line 6): the texts' preview shows every shipped language,
// the page's own first, each headed by its name in the page's language and marked with its
// language and direction.
func TestTextSettingsPreviewLanguages(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("admin")
	code, page, _ := b.do("GET", "/admin/sms/settings?lang=es", nil)
	page = html.UnescapeString(page)
	if code != http.StatusOK {
		t.Fatalf("text settings page: %d", code)
	}
	order := []string{"Como las reciben ahora las familias, en cada idioma", "<h3>Español</h3>", "Dudas: http://example.test.",
		"<h3>Inglés (English)</h3>", "Questions: http://example.test.", "<h3>Árabe (العربية)</h3>", `lang="ar" dir="rtl"`, "<h3>Somalí (Soomaali)</h3>"}
	at := 0
	for _, want := range order {
		i := strings.Index(page[at:], want)
		if i < 0 {
			t.Fatalf("no %q after byte %d of the page:\n%s", want, at, page)
		}
		at += i
	}
	if strings.Contains(page, "(English)</h2>") || strings.Contains(page, "(en inglés)") {
		t.Errorf("the preview is still labelled English only")
	}
	// A refused name is worded in the page's language too.
	code, page, _ = b.do("POST", "/admin/sms/settings?lang=es", url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Riverside Unified SD (north)"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(page), "Nombre en los mensajes: 28 caracteres; en cada mensaje caben como máximo 20.") {
		t.Errorf("refused name in Spanish: %d\n%s", code, page)
	}
	if n := strings.Count(page, "<h3>"); n != 8 {
		t.Errorf("%d languages previewed, want 8", n)
	}
	_, page, _ = b.do("GET", "/admin/sms/settings?lang=en", nil)
	if !strings.Contains(html.UnescapeString(page), "<h3>English</h3>") || !strings.Contains(html.UnescapeString(page), "<h3>Simplified Chinese (简体中文)</h3>") {
		t.Errorf("English page's language names:\n%s", page)
	}
}
