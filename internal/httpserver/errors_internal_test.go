package httpserver

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/survey"
)

// TestStaffErrorsAnswer: a staff error is worded in the viewer's staff language, stays English
// where its message is missing, keeps 5xx generic and HEAD bodiless, and reaches the API's JSON
// errors as the English sentence it always was.
func TestStaffErrorsAnswer(t *testing.T) {
	rr, err := newResultsRenderer()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, resultsPages: rr}
	e := echo.New()
	answer := func(method, accept string, err error) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/admin/waves/1", nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		rec := httptest.NewRecorder()
		s.handleError(err, e.NewContext(req, rec))
		return rec
	}
	for _, tc := range []struct {
		accept, body, lang string
		err                error
	}{
		{"", "No such wave.\n", "en", staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")},
		{"es-MX,es;q=0.9", "No existe esa encuesta.\n", "es", staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")},
		{"ar", "لا توجد هذه الجولة.\n", "ar", staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")},
		{"es", `Esta encuesta no tiene desglose por "x".` + "\n", "es", staffErr(400, "http_error.no_breakdown", `This wave has no breakdown by "x".`, "By", `"x"`)},
		// A message the catalog lacks: its English sentence.
		{"es", "Not yet worded.\n", "en", staffErr(http.StatusNotFound, "http_error.not_in_the_catalog", "Not yet worded.")},
		// Messages built elsewhere say nothing about their language; a bare status is worded
		// in the viewer's language, and a 5xx never says more than its status.
		{"es", "Built elsewhere.\n", "", echo.NewHTTPError(http.StatusConflict, "Built elsewhere.")},
		{"es", "No se encontró la página.\n", "es", echo.ErrNotFound},
		{"", "Page not found.\n", "en", echo.ErrNotFound},
		{"ar", "الصفحة غير موجودة.\n", "ar", echo.NewHTTPError(http.StatusNotFound)},
		{"es", "El servicio está ocupado o en actualización. Inténtelo de nuevo en un momento.\n", "es", staffErr(http.StatusServiceUnavailable, "http_error.no_wave", "No such wave.")},
		{"es", "Algo salió mal de nuestro lado. Inténtelo de nuevo en un momento.\n", "es", errors.New("database is down")},
		// A status the catalog does not word: Go's English status text.
		{"es", "I'm a teapot\n", "en", echo.NewHTTPError(http.StatusTeapot)},
	} {
		rec := answer(http.MethodGet, tc.accept, tc.err)
		if rec.Body.String() != tc.body || rec.Header().Get("Content-Language") != tc.lang {
			t.Errorf("%v (%q): %q %q, want %q %q", tc.err, tc.accept, rec.Body.String(), rec.Header().Get("Content-Language"), tc.body, tc.lang)
		}
	}
	if rec := answer(http.MethodHead, "es", staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")); rec.Code != http.StatusNotFound || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d %q", rec.Code, rec.Body.String())
	}
	// The API answers in JSON, in English, whatever the caller's language.
	req := httptest.NewRequest(http.MethodGet, "/api/v1/results", nil)
	req.Header.Set("Accept-Language", "es")
	rec := httptest.NewRecorder()
	if err := s.apiErrors(func(echo.Context) error { return errNoResults })(e.NewContext(req, rec)); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusNotFound || rec.Body.String() != `{"error":"No such results."}`+"\n" {
		t.Errorf("API: %d %q", rec.Code, rec.Body.String())
	}
}

// TestStaffErrorsInTheCatalog: every staffErr with a literal sentence names a message whose
// English text is that sentence, so English pages read as before.
func TestStaffErrorsInTheCatalog(t *testing.T) {
	rr, err := newResultsRenderer()
	if err != nil {
		t.Fatal(err)
	}
	l := rr.cat.Localizer("en")
	callRE := regexp.MustCompile(`staffErr\([^,]+, "([^"]+)", ("(?:[^"\\]|\\.)*")\)`)
	names, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, de := range names {
		name := de.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range callRE.FindAllStringSubmatch(string(src), -1) {
			msg, err := strconv.Unquote(m[2])
			if err != nil {
				t.Fatalf("%s: %s: %v", name, m[0], err)
			}
			n++
			if _, ok := rr.cat.Message("en", m[1]); !ok {
				t.Errorf("%s: %s is not in dashboard-errors.en.toml", name, m[1])
			} else if got := l.T(m[1]); got != msg {
				t.Errorf("%s: %s is %q in the catalog, %q in the code", name, m[1], got, msg)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d staffErr calls found", n)
	}
}

// TestMeasureName: every staff page names a measure in its language, else in English, else by
// its ID (#16 line 6: the comments, goals, follow-up and language-check pages named it in
// English only).
func TestMeasureName(t *testing.T) {
	m := survey.Measure{ID: "family-school-trust", Name: map[string]string{"en": "Family trust in the school", "es": "Confianza de las familias en la escuela"}}
	for _, tc := range []struct {
		m         survey.Measure
		tag, want string
	}{
		{m, "es", "Confianza de las familias en la escuela"},
		{m, "en", "Family trust in the school"},
		{m, "so", "Family trust in the school"},
		{survey.Measure{ID: "unnamed"}, "es", "unnamed"},
	} {
		if got := measureName(tc.m, tc.tag); got != tc.want {
			t.Errorf("measureName(%s, %s) = %q, want %q", tc.m.ID, tc.tag, got, tc.want)
		}
	}
}
