package httpserver

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/web"
)

// resultsPageNames are the dashboard pages, parsed once per dashboard locale at start-up with
// their own layout (the admin layout is English only; these pages are not).
var resultsPageNames = []string{"results", "results_school", "results_measure"}

// DashboardFile is the message file of the staff dashboards for tag, next to the respondent
// catalog in locales/. It is kept apart because respondent texts must exist in every shipped
// locale and dashboard texts only in the few staff languages (en, es).
func DashboardFile(tag string) string { return "dashboard." + tag + ".toml" }

// LoadDashboardLocales reads the dashboard catalog: every dashboard.<tag>.toml in fsys whose tag
// locales.toml ships. It reuses the locale package (CLDR plurals, English fallback, a T that
// never panics) by presenting those files to it under the names it expects.
func LoadDashboardLocales(fsys fs.FS) (*locale.Catalog, error) {
	meta, err := fs.ReadFile(fsys, locale.MetaFile)
	if err != nil {
		return nil, fmt.Errorf("dashboard locales: %w", err)
	}
	metas, errs := locale.ParseMeta(meta)
	if len(errs) > 0 {
		return nil, fmt.Errorf("dashboard locales: %s:%d: %s", locale.MetaFile, errs[0].Line, errs[0].Msg)
	}
	// fstest.MapFS is simply the standard library's in-memory fs.FS.
	view := fstest.MapFS{}
	var metaOut strings.Builder
	for _, m := range metas {
		data, err := fs.ReadFile(fsys, DashboardFile(m.Tag))
		if err != nil {
			continue // no dashboard texts in this language: its staff read English
		}
		fmt.Fprintf(&metaOut, "[%s]\nname = %q\ndir = %q\nreviewed = %t\n", m.Tag, m.Name, m.Dir, m.Reviewed)
		if m.CLDRPluralLocale != "" {
			fmt.Fprintf(&metaOut, "cldr_plural_locale = %q\n", m.CLDRPluralLocale)
		}
		view[locale.MessageFile(m.Tag)] = &fstest.MapFile{Data: data}
	}
	view[locale.MetaFile] = &fstest.MapFile{Data: []byte(metaOut.String())}
	cat, err := locale.Load(view)
	if err != nil {
		return nil, fmt.Errorf("dashboard %w", err)
	}
	return cat, nil
}

// resultsRenderer holds one template set per dashboard locale and page, with msg bound to that
// locale: the same shape as the respondent renderer.
type resultsRenderer struct {
	cat   *locale.Catalog
	pages map[string]map[string]*template.Template // locale -> page -> template
	bufs  sync.Pool
}

func newResultsRenderer() (*resultsRenderer, error) {
	cat, err := LoadDashboardLocales(locales.FS)
	if err != nil {
		return nil, err
	}
	tfs, err := fs.Sub(web.FS, "templates/admin")
	if err != nil {
		return nil, err
	}
	r := &resultsRenderer{cat: cat, pages: map[string]map[string]*template.Template{},
		bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	for _, tag := range cat.Tags() {
		// The function is msg, not t: `survey lint` reads {{t "id"}} as a respondent message.
		funcs := template.FuncMap{"msg": memoT(cat.Localizer(tag)), "dict": dict}
		r.pages[tag] = map[string]*template.Template{}
		for _, p := range resultsPageNames {
			t, err := template.New(p).Funcs(funcs).ParseFS(tfs, "results_layout.html", p+".html")
			if err != nil {
				return nil, fmt.Errorf("parse results template %s: %w", p, err)
			}
			r.pages[tag][p] = t
		}
	}
	return r, nil
}

// resultsView is what every dashboard page gets.
type resultsView struct {
	Lang, Dir string
	Langs     []langLink
	Title     string
	User      *auth.Principal
	CSRF      string
	D         any
}

// Nav reports which menu entries the signed-in user may open, as on the other staff pages.
func (v resultsView) Nav(entry string) bool { return adminView{User: v.User}.Nav(entry) }

func (r *resultsRenderer) render(c echo.Context, status int, page string, v resultsView) error {
	t := r.pages[v.Lang][page]
	if t == nil {
		return fmt.Errorf("no results template %q in %q", page, v.Lang)
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render results %s: %w", page, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.Lang)
	h.Set("Vary", "Accept-Language")
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}
