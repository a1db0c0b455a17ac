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
var respondentPages = []string{"intro", "page", "review", "thanks", "message", "entercode", "me"}

// renderer holds one template set per locale and page, with `t` bound to that locale's
// translations: no per-request cloning, no shared mutable state.
type renderer struct {
	pages  map[string]map[string]*template.Template // locale -> page -> template
	bufs   sync.Pool
	shells sync.Map // shellKey -> *itemShell: item pages rendered once, filled per request
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
			"t":    memoT(l),
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

// memoT is l.T remembering the messages asked for without data: a page names the same few
// fixed strings on every view, and each costs a trip through go-i18n. The catalog never changes
// while the server runs, so the remembered string is the one T would return.
func memoT(l *locale.Localizer) func(id string, data ...map[string]any) string {
	var memo sync.Map // id -> string
	return func(id string, data ...map[string]any) string {
		if len(data) > 0 {
			return l.T(id, data...)
		}
		if v, ok := memo.Load(id); ok {
			return v.(string)
		}
		s := l.T(id)
		memo.Store(id, s)
		return s
	}
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

// execute runs page in lang (English when lang has no such page) into buf.
func (r *renderer) execute(buf *bytes.Buffer, lang, page string, data any) error {
	t := r.pages[lang][page]
	if t == nil {
		t = r.pages["en"][page]
	}
	if t == nil {
		return fmt.Errorf("no template %q", page)
	}
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	return nil
}

// render writes page in lang; the whole page is built in memory first so a template error
// becomes a clean 500 rather than half a page.
func (r *renderer) render(c echo.Context, status int, lang, page string, data any) error {
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := r.execute(buf, lang, page, data); err != nil {
		return err
	}
	return r.write(c, status, lang, buf.Bytes())
}

// renderShell writes an item page from its shell: the same bytes render would write.
func (r *renderer) renderShell(c echo.Context, status int, lang string, sh *itemShell, base, csrf string, answer func(item int) string) error {
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	sh.fill(buf, base, csrf, answer)
	return r.write(c, status, lang, buf.Bytes())
}

func (r *renderer) write(c echo.Context, status int, lang string, body []byte) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(body)
	return err
}
