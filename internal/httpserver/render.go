package httpserver

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/web"
)

// respondentPages are parsed once per locale at start-up, each with the layout; a missing or broken
// page stops the server instead of failing for the first respondent who reaches it.
var respondentPages = []string{"intro", "page", "review", "thanks", "message"}

// renderer holds one template set per locale and page, with `t` bound to that locale's
// translations: no per-request cloning, no shared mutable state.
type renderer struct {
	pages map[string]map[string]*template.Template // locale -> page -> template
	bufs  sync.Pool
}

func newRenderer(locales *locale.Catalog) (*renderer, error) {
	tfs, err := fs.Sub(web.FS, "templates")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]map[string]*template.Template{}, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	for _, tag := range locales.Tags() {
		l := locales.Localizer(tag)
		funcs := template.FuncMap{
			"t":    l.T,
			"dict": dict,
			"add":  func(a, b int) int { return a + b },
		}
		r.pages[tag] = map[string]*template.Template{}
		for _, p := range respondentPages {
			t, err := template.New(p).Funcs(funcs).ParseFS(tfs, "layout.html", p+".html")
			if err != nil {
				return nil, fmt.Errorf("parse template %s: %w", p, err)
			}
			r.pages[tag][p] = t
		}
	}
	return r, nil
}

// dict builds the data map a translated message takes: {{t "intro.floor" (dict "Count" .Floor)}}.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

// render writes page in lang; the whole page is built in memory first so a template error
// becomes a clean 500 rather than half a page.
func (r *renderer) render(c echo.Context, status int, lang, page string, data any) error {
	t := r.pages[lang][page]
	if t == nil {
		t = r.pages["en"][page]
	}
	if t == nil {
		return fmt.Errorf("no template %q", page)
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}
