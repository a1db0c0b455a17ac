package httpserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStaffErrorsInTheirLanguage: a staff page's error answer is in the viewer's staff language
// (Accept-Language, ?lang= and the remembered choice, as the pages), with Content-Language, and
// reads as before in English (#16 line 6).
func TestStaffErrorsInTheirLanguage(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("leaderA")
	for _, tc := range []struct {
		path   string
		header []string
		code   int
		body   string
		lang   string
	}{
		{"/admin/waves/999999999", nil, http.StatusNotFound, "No such wave.\n", "en"},
		{"/admin/waves/999999999", []string{"Accept-Language", "es-MX,es;q=0.9,en;q=0.5"}, http.StatusNotFound, "No existe esa encuesta.\n", "es"},
		{fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=shoe-size&lang=ar", f.school, f.fall.ID), nil, http.StatusBadRequest,
			"لا يوجد في هذه الجولة تفصيل حسب \"shoe-size\".\n", "ar"},
		// The choice is remembered, as from page to page.
		{"/admin/waves/999999999", nil, http.StatusNotFound, "لا توجد هذه الجولة.\n", "ar"},
		{"/admin/waves/999999999?lang=en", nil, http.StatusNotFound, "No such wave.\n", "en"},
		{fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=shoe-size", f.school, f.fall.ID), nil, http.StatusBadRequest,
			"This wave has no breakdown by \"shoe-size\".\n", "en"},
	} {
		code, body, h := br.do("GET", tc.path, nil, tc.header...)
		if code != tc.code || body != tc.body || h.Get("Content-Language") != tc.lang {
			t.Errorf("%s %v: %d %q %q, want %d %q %q", tc.path, tc.header, code, body, h.Get("Content-Language"), tc.code, tc.body, tc.lang)
		}
	}
	// A staff role on a page it may not open, and a form posted without its token, in Spanish.
	staff := f.signIn("staffA")
	if code, body, h := staff.do("GET", "/admin/waves?lang=es", nil); code != http.StatusForbidden || body != "No tiene acceso a esta página.\n" || h.Get("Content-Language") != "es" {
		t.Errorf("forbidden: %d %q %q", code, body, h.Get("Content-Language"))
	}
	if code, body, _ := staff.do("POST", "/admin/password", url.Values{"current": {"x"}}); code != http.StatusForbidden || body != "Este formulario ha caducado. Vuelva atrás, recargue la página e inténtelo de nuevo.\n" {
		t.Errorf("expired form: %d %q", code, body)
	}
	// Signed out: the sign-in answer follows the browser's language.
	anon := f.browser()
	if code, body, h := anon.do("POST", "/admin/password", url.Values{}, "Accept-Language", "es"); code != http.StatusUnauthorized || body != "Vuelva a iniciar sesión.\n" || h.Get("Content-Language") != "es" {
		t.Errorf("signed out: %d %q %q", code, body, h.Get("Content-Language"))
	}
}

// TestErrorPageForBrowsers: a browser (Accept: text/html) gets an error as a staff page in the
// viewer's language with lang and dir set, its status as the heading and the menu of whoever is
// signed in; other clients keep the plain-text answer (#16 line 6).
func TestErrorPageForBrowsers(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("leaderA")
	accept := []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}
	code, page, h := br.do("GET", "/admin/waves/999999999?lang=ar", nil, accept...)
	for _, want := range []string{`<html lang="ar" dir="rtl">`, "<h1>الصفحة غير موجودة.</h1>", "لا توجد هذه الجولة.", `href="/admin/results"`, `action="/logout"`} {
		if code != http.StatusNotFound || !strings.Contains(page, want) || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("wave 404 in Arabic: %d %s, want %q\n%s", code, h.Get("Content-Type"), want, page)
		}
	}
	// An unknown address, signed out: the browser's language, no menu.
	anon := f.browser()
	code, page, h = anon.do("GET", "/no/such/page", nil, append(accept, "Accept-Language", "es")...)
	if code != http.StatusNotFound || !strings.Contains(page, `<html lang="es" dir="ltr">`) || !strings.Contains(page, "<h1>No se encontró la página.</h1>") ||
		strings.Contains(page, `action="/logout"`) || strings.Count(page, "No se encontró la página.") != 2 || h.Get("Content-Language") != "es" {
		t.Errorf("unknown page in Spanish: %d\n%s", code, page)
	}
	// Not a browser: plain text, as before.
	if code, body, h := anon.do("GET", "/no/such/page", nil, "Accept-Language", "es"); code != http.StatusNotFound || body != "No se encontró la página.\n" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("plain 404: %d %q %s", code, body, h.Get("Content-Type"))
	}
}
