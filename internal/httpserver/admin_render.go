package httpserver

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/web"
)

// adminPages are the staff pages, parsed once at start-up with the admin layout. They are in
// English only for now: staff pages are not yet in the locale catalog.
var adminPageNames = []string{"login", "home", "waves", "wave_new", "wave", "codes", "roster", "users", "audit", "password", "tokens", "settings", "sms_settings", "slips", "slips_print", "wave_close", "language_checks", "help_texts", "comments", "mapping", "team", "followup", "results_reference", "team_students", "indicators", "goals", "goal_new"}

// adminRenderer is the staff counterpart of renderer: one template set per page, no locales.
type adminRenderer struct {
	pages map[string]*template.Template
	bufs  sync.Pool
}

func newAdminRenderer() (*adminRenderer, error) {
	tfs, err := fs.Sub(web.FS, "templates/admin")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
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
		"measureName": measureName,
	}
	// Staff pages are English for now, but their newer strings already come from the dashboard
	// catalog (as on the results pages), so translating a page is binding another locale here.
	cat, err := LoadDashboardLocales(locales.FS)
	if err != nil {
		return nil, err
	}
	funcs["msg"], funcs["dict"] = memoT(cat.Localizer("en")), dict
	// Machine keys (attributes, values, surveys, a wave's mode and status) are shown by name.
	lb := newLabels(cat, "en", nil)
	funcs["attrLabel"], funcs["valueLabel"], funcs["instrumentLabel"] = lb.Attr, lb.Value, lb.Instrument
	funcs["audienceLabel"] = func(a any) string { return lb.Audience(fmt.Sprint(a)) }
	funcs["modeLabel"], funcs["statusLabel"], funcs["channelsLabel"], funcs["jobLabel"] = lb.Mode, lb.Status, lb.Channels, lb.Job
	r := &adminRenderer{pages: map[string]*template.Template{}, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	for _, p := range adminPageNames {
		t, err := template.New(p).Funcs(funcs).ParseFS(tfs, "layout.html", "chart.html", p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse admin template %s: %w", p, err)
		}
		r.pages[p] = t
	}
	return r, nil
}

// adminView is what every staff page gets: who is signed in, the CSRF token, and the page's data.
type adminView struct {
	Title  string
	User   *auth.Principal
	CSRF   string
	Notice string
	Error  string
	D      any
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

var adminNotices = map[string]string{
	"signed-out":    "You are signed out.",
	"created":       "Saved.",
	"opened":        "The wave is open: its invitations are made and its texts queued.",
	"scheduled":     "The wave is scheduled: it opens by itself at its opening time.",
	"unscheduled":   "The wave is back to draft.",
	"closed":        "The wave is closed.",
	"extended":      "The closing time has moved.",
	"codes":         "Class codes issued.",
	"imported":      "Roster imported.",
	"role":          "Role changed.",
	"password":      "Your password is changed.",
	"revoked":       "Token revoked.",
	"settings":      "Results settings saved; every wave's results are being rebuilt in the background.",
	"sms-settings":  "Text message settings saved.",
	"comment-floor": "Comment floor saved.",
	"help-texts":    "Help texts saved: thank-you pages show them from now on.",
	"round-started": "Mapping round started: every adult of the school can mark the students they know on their mapping page.",
	"round-closed":  "Mapping round closed.",
	"marks":         "Your marks are saved.",
	"assigned":      "Assigned: the adult sees these students on their home page.",
	"reached":       "Saved as reached.",
	"indicators":    "Grading period imported.",
	"goal":          "Goal set: it shows its result once a wave after its baseline closes.",
	"action":        "Action added.",
	"action-status": "Action status changed.",
	"reference":     "Reference values saved; the survey's results are being rebuilt with the new bands in the background.",
}

func (s *Server) adminRender(c echo.Context, status int, page, title string, data any) error {
	v := adminView{Title: title, D: data}
	v.User, _ = c.Get(principalKey).(*auth.Principal)
	v.CSRF, _ = c.Get("csrf").(string)
	// Notices are codes, never text from the URL: a crafted link cannot put words on our pages.
	v.Notice = adminNotices[c.QueryParam("notice")]
	return s.adminPages.render(c, status, page, v)
}

func (r *adminRenderer) render(c echo.Context, status int, page string, v adminView) error {
	t := r.pages[page]
	if t == nil {
		return fmt.Errorf("no admin template %q", page)
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
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

// adminT words a staff page's text outside its template (a title, a CSV note) in the language the
// admin pages are rendered in, so a page never mixes two languages. Admin pages are English until
// they are bound per locale as the results pages are (issue 16 line 6).
func (s *Server) adminT(id string, kv ...any) string {
	l := s.resultsPages.cat.Localizer("en")
	if len(kv) == 0 {
		return l.T(id)
	}
	return l.T(id, dict(kv...))
}
