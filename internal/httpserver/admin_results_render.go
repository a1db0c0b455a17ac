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
var resultsPageNames = []string{"results", "results_school", "results_measure", "results_report"}

// DashboardFile is the main message file of the staff pages for tag, next to the respondent
// catalog in locales/. It is kept apart because respondent texts must exist in every shipped
// locale and are linted for SMS length; staff texts are not.
func DashboardFile(tag string) string { return "dashboard." + tag + ".toml" }

// DashboardFiles are every staff message file for tag: dashboard.<tag>.toml first, then each
// feature's own dashboard-<feature>.<tag>.toml in name order. Features keep their texts in their
// own file so that two features never edit the same file; the files of a tag are read as one
// catalog, so each feature file must put its keys under its own tables.
func DashboardFiles(fsys fs.FS, tag string) ([]string, error) {
	extra, err := fs.Glob(fsys, "dashboard-*."+tag+".toml")
	if err != nil {
		return nil, err
	}
	// The glob's * can span dots ("dashboard-a.b.en.toml"); keep only names whose feature part
	// has none, so each file belongs to exactly one tag.
	var out []string
	if _, err := fs.Stat(fsys, DashboardFile(tag)); err == nil {
		out = append(out, DashboardFile(tag))
	}
	for _, name := range extra {
		parts := strings.Split(strings.TrimSuffix(name, ".toml"), ".")
		if len(parts) >= 2 && strings.Join(parts[1:], ".") == tag {
			out = append(out, name)
		}
	}
	return out, nil
}

// readDashboardTag joins a tag's staff files into one TOML document. A feature file whose first
// key comes before any [table] would silently land in the previous file's last table, so that
// is refused with the file and line.
func readDashboardTag(fsys fs.FS, tag string) ([]byte, error) {
	names, err := DashboardFiles(fsys, tag)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	var out bytes.Buffer
	for i, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			for n, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				if !strings.HasPrefix(line, "[") {
					return nil, fmt.Errorf("%s:%d: a feature's staff texts must start with a [table] of their own", name, n+1)
				}
				break
			}
		}
		out.Write(data)
		out.WriteString("\n")
	}
	return out.Bytes(), nil
}

// LoadDashboardLocales reads the staff catalog: for every tag locales.toml ships, its
// dashboard.<tag>.toml and dashboard-*.<tag>.toml files. It reuses the locale package (CLDR
// plurals, English fallback, a T that never panics) by presenting those files to it under the
// names it expects.
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
		data, err := readDashboardTag(fsys, m.Tag)
		if err != nil {
			return nil, fmt.Errorf("dashboard locales: %w", err)
		}
		if data == nil {
			continue // no staff texts in this language: its staff read English
		}
		metaOut.WriteString(m.TOML())
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
			t, err := template.New(p).Funcs(funcs).ParseFS(tfs, "results_layout.html", "chart.html", p+".html")
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

// execute runs page into buf.
func (r *resultsRenderer) execute(buf *bytes.Buffer, page string, v resultsView) error {
	t := r.pages[v.Lang][page]
	if t == nil {
		return fmt.Errorf("no results template %q in %q", page, v.Lang)
	}
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render results %s: %w", page, err)
	}
	return nil
}

func (r *resultsRenderer) render(c echo.Context, status int, page string, v resultsView) error {
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := r.execute(buf, page, v); err != nil {
		return err
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
