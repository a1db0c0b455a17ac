package httpserver_test

import (
	"fmt"
	"net/http"
	"net/url"
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
