package httpserver

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/web"
)

// adminPages are the staff pages, parsed once at start-up with the admin layout, once per
// dashboard locale (#16 line 6), like the results pages.
var adminPageNames = []string{"login", "home", "waves", "wave_new", "wave", "codes", "roster", "users", "audit", "password", "tokens", "settings", "sms_settings", "slips", "slips_print", "wave_close", "language_checks", "help_texts", "comments", "mapping", "team", "followup", "results_reference", "team_students", "indicators", "goals", "goal_new", "error"}

// adminRenderer is the staff counterpart of renderer: one template set per locale and page.
type adminRenderer struct {
	pages map[string]map[string]*template.Template // locale -> page -> template
	bufs  sync.Pool
}

// newAdminRenderer parses the staff pages for every locale of cat, the dashboard catalog the
// results pages read too.
func newAdminRenderer(cat *locale.Catalog) (*adminRenderer, error) {
	tfs, err := fs.Sub(web.FS, "templates/admin")
	if err != nil {
		return nil, err
	}
	r := &adminRenderer{pages: map[string]map[string]*template.Template{}, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	for _, tag := range cat.Tags() {
		funcs := adminFuncs()
		funcs["msg"], funcs["dict"] = memoT(cat.Localizer(tag)), dict
		// Machine keys (attributes, values, surveys, a wave's mode and status, roles) are shown by name.
		lb := newLabels(cat, tag, nil)
		funcs["attrLabel"], funcs["valueLabel"], funcs["instrumentLabel"] = lb.Attr, lb.Value, lb.Instrument
		funcs["audienceLabel"] = func(a any) string { return lb.Audience(fmt.Sprint(a)) }
		funcs["modeLabel"], funcs["statusLabel"], funcs["channelsLabel"], funcs["jobLabel"] = lb.Mode, lb.Status, lb.Channels, lb.Job
		funcs["roleLabel"] = func(a any) string { return lb.Role(fmt.Sprint(a)) }
		funcs["measureName"] = func(m survey.Measure) string { return measureName(m, tag) }
		r.pages[tag] = map[string]*template.Template{}
		for _, p := range adminPageNames {
			t, err := template.New(p).Funcs(funcs).ParseFS(tfs, "layout.html", "chart.html", p+".html")
			if err != nil {
				return nil, fmt.Errorf("parse admin template %s (%s): %w", p, tag, err)
			}
			r.pages[tag][p] = t
		}
	}
	return r, nil
}

// adminFuncs are the template functions that do not depend on the language.
func adminFuncs() template.FuncMap {
	return template.FuncMap{
		"pct": func(done, total int) string {
			if total == 0 {
				return "–"
			}
			return strconv.Itoa(done*100/total) + "%"
		},
		"when": func(t time.Time, zone string) string {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				loc = time.UTC
			}
			return t.In(loc).Format("2006-01-02 15:04 MST")
		},
		"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"join":  strings.Join,
		"title": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		// groupAt finds a group of one mapping round's trend, to line rounds up by group.
		"groupAt": func(gs []success.Group, attr, value string) *success.Group {
			for i := range gs {
				if gs[i].Attribute == attr && gs[i].Value == value {
					return &gs[i]
				}
			}
			return nil
		},
	}
}

// adminView is what every staff page gets: who is signed in, the CSRF token, and the page's data.
type adminView struct {
	Lang, Dir string
	Langs     []langLink
	Title     string
	User      *auth.Principal
	CSRF      string
	Notice    string
	Error     string
	D         any
}

// Nav reports which menu entries the signed-in user may open (the routes check again).
func (v adminView) Nav(entry string) bool {
	if v.User == nil {
		return false
	}
	switch entry {
	case "waves":
		return v.User.Is(auth.DistrictAdmin, auth.SchoolLeader, auth.Counselor, auth.Analyst)
	case "tokens":
		return v.User.Is(auth.APIRoles()...)
	case "comments":
		return v.User.Is(auth.DistrictAdmin, auth.SchoolLeader, auth.Counselor)
	case "team", "goals":
		return v.User.Is(teamRoles...)
	case "analyst":
		return v.User.Is(auth.Analyst)
	case "help":
		return v.User.Is(auth.DistrictAdmin, auth.SchoolLeader)
	case "roster", "users", "audit", "settings", "language_checks", "indicators":
		return v.User.Is(auth.DistrictAdmin)
	}
	return false
}

// adminNotices are the notice codes a redirect may name (?notice=); their words are the
// catalog's notice.<code>.
var adminNotices = []string{"signed-out", "created", "opened", "scheduled", "unscheduled", "closed", "extended", "codes", "imported", "role", "password", "revoked", "settings", "sms-settings", "comment-floor", "help-texts", "round-started", "round-closed", "marks", "assigned", "reached", "indicators", "goal", "action", "action-status", "reference"}

func (s *Server) adminRender(c echo.Context, status int, page, title string, data any) error {
	v := s.adminViewOf(c, title, data)
	// Notices are codes, never text from the URL: a crafted link cannot put words on our pages.
	if n := c.QueryParam("notice"); slices.Contains(adminNotices, n) {
		v.Notice = s.adminT(c, "notice."+n)
	}
	return s.adminPages.render(c, status, page, v)
}

// adminViewOf is a staff page's frame: the viewer's language (and the switch), who is signed in,
// the CSRF token.
func (s *Server) adminViewOf(c echo.Context, title string, data any) adminView {
	d := s.dashFor(c)
	v := adminView{Lang: d.lang, Dir: d.l.Dir(), Langs: s.langLinks(c, d.lang), Title: title, D: data}
	v.User, _ = c.Get(principalKey).(*auth.Principal)
	v.CSRF, _ = c.Get("csrf").(string)
	return v
}

func (r *adminRenderer) render(c echo.Context, status int, page string, v adminView) error {
	t := r.pages[v.Lang][page]
	if t == nil {
		return fmt.Errorf("no admin template %q in %q", page, v.Lang)
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render admin %s: %w", page, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.Lang)
	h.Set("Vary", "Accept-Language, Cookie")
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

// adminRefusal words a use case's refusal in the page's language: its message in the staff
// catalog (locales/dashboard-refusals.*.toml), or its English sentence when the catalog has no
// such message, so a refusal added without its texts still says something true.
func (s *Server) adminRefusal(c echo.Context, r *refusal.Error) string {
	text, _ := s.refusalText(c, r)
	return text
}

// refusalText is r worded in the viewer's staff language and that language's tag: English when
// the catalog lacks r's message (or no catalog is loaded, as before the pages are parsed).
func (s *Server) refusalText(c echo.Context, r *refusal.Error) (string, string) {
	if s.resultsPages == nil || s.resultsPages.cat == nil {
		return r.Msg, locale.Default
	}
	return s.dashFor(c).refusal(r)
}

// refusal is r worded in d's language and that language's tag, or its English sentence when the
// catalog lacks its message: the one catalog-or-English rule of every refusal and problem a staff
// page shows.
func (d dash) refusal(r *refusal.Error) (string, string) {
	if _, ok := d.cat.Message(locale.Default, r.ID); !ok {
		return r.Msg, locale.Default
	}
	return d.l.T(r.ID, labelledData(d, r.Data)), d.lang
}

// labelledData is a refusal's placeholders as a page shows them: a role by its label ("School
// leader"), not the code the command line and the English text use (school_leader).
func labelledData(d dash, data map[string]any) map[string]any {
	role, ok := data["Role"].(string)
	if !ok || !auth.ValidRole(role) {
		return data
	}
	out := maps.Clone(data)
	out["Role"] = d.labels().Role(role)
	return out
}

// adminT words a staff page's text outside its template (a title, an error, a CSV note) in the
// language the page is rendered in, so a page never mixes two languages.
func (s *Server) adminT(c echo.Context, id string, kv ...any) string {
	l := s.dashFor(c).l
	if len(kv) == 0 {
		return l.T(id)
	}
	return l.T(id, dict(kv...))
}
