package httpserver

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
)

// rosterUploadLimit bounds a roster zip: a large district's OneRoster export is tens of MB.
const rosterUploadLimit = "200M"

// rosterUploadBytes is rosterUploadLimit in bytes, for what Enqueue stores.
const rosterUploadBytes = 200 << 20

// isRosterUpload lets the roster upload past the global 1 MB body limit; its route sets its own.
func isRosterUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Request().URL.Path == "/admin/roster"
}

// rosterPage is the roster page: the upload form, the import asked about (?job=), and history.
type rosterPage struct {
	Imports  []rosterImportView
	Job      *rosterJobView
	MassText string // the confirmation checkbox's label
}

// rosterImportView is one import of the history; Details is what its details panel lists, in the
// page's language.
type rosterImportView struct {
	store.RosterImport
	Details string
}

// rosterJobView is one background import as the page shows it; its texts are translated here.
type rosterJobView struct {
	Running            bool // queued or running
	Follow             bool // the viewer asked the page to refresh itself (?follow=1)
	URL                string
	Failed, Succeeded  bool
	Heading, Phase     string
	Percent            int
	ProgressLabel      string
	Refresh, BackLink  string
	Now, Auto, Stop    string   // links: refresh now, refresh automatically, stop refreshing
	Lines              []string // the outcome: summary, or problems as file:line: problem
	ProblemsHeadingTxt string
}

// adminRoster lists past imports with their warnings, offers an upload, and shows the progress
// and outcome of the import ?job= names.
func (s *Server) adminRoster(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	imports, err := roster.Imports(ctx, s.Store, p.User.DistrictID, 50)
	if err != nil {
		return err
	}
	d := s.dashFor(c)
	views := make([]rosterImportView, len(imports))
	for i, im := range imports {
		views[i] = rosterImportView{RosterImport: im, Details: importDetails(d, im)}
	}
	page := rosterPage{Imports: views, MassText: d.T("roster_job.allow_mass", "Share", fmt.Sprintf("%.0f%%", s.Config.MassDeactivationShare*100))}
	if v := c.QueryParam("job"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		job, err := roster.FindJob(ctx, s.Store, p.User.DistrictID, id)
		if errors.Is(err, store.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		if err != nil {
			return err
		}
		page.Job = jobView(d, job)
		// A finished import's counts are on its history row: worded here, where the job's
		// message is the command line's English summary.
		if i := slices.IndexFunc(imports, func(im store.RosterImport) bool {
			return job.Status == store.JobSucceeded && job.ImportID != nil && im.ID == *job.ImportID
		}); i >= 0 {
			im := imports[i]
			page.Job.Lines = []string{d.T("roster_job.summary", "Schools", im.Schools, "Students", im.Students, "Staff", im.Staff,
				"Guardians", im.Guardians, "Links", im.GuardianLinks)}
		}
		page.Job.Follow = page.Job.Running && c.QueryParam("follow") == "1"
		page.Job.URL = fmt.Sprintf("/admin/roster?job=%d", job.ID)
	}
	return s.adminRender(c, http.StatusOK, "roster", s.adminT(c, "admin.title.roster"), page)
}

func jobView(d dash, j store.RosterJob) *rosterJobView {
	v := &rosterJobView{Refresh: d.T("roster_job.refresh"), BackLink: d.T("roster_job.back"),
		Now: d.T("roster_job.refresh_now"), Auto: d.T("roster_job.follow"), Stop: d.T("roster_job.unfollow")}
	pr := roster.JobProgress(j)
	v.Percent = pr.Percent()
	switch j.Status {
	case store.JobQueued:
		v.Running, v.Heading = true, d.T("roster_job.queued", "File", j.Source)
	case store.JobRunning:
		v.Running, v.Heading = true, d.T("roster_job.running", "File", j.Source)
		v.Phase = d.T("roster_job.phase_" + pr.Phase)
		if pr.Phase == "" {
			v.Phase = d.T("roster_job.phase_starting")
		}
	case store.JobSucceeded:
		v.Succeeded, v.Heading = true, d.T("roster_job.succeeded", "File", j.Source)
	default:
		v.Failed, v.Heading = true, d.T("roster_job.failed", "File", j.Source)
	}
	v.ProgressLabel = d.T("roster_job.progress", "Percent", v.Percent)
	if jp, ok := roster.StoredProblems(j); ok {
		v.Lines = problemLines(d, jp)
	} else if j.Message != "" {
		v.Lines = strings.Split(j.Message, "\n") // English, as the job stored it
	}
	return v
}

// importDetails is the details panel of an import of the history: its problems (or the refusal
// that stopped it) and its warnings, worded in the page's language from what the import kept; an
// import from before it kept them shows its English text as stored.
func importDetails(d dash, im store.RosterImport) string {
	jp, ok := roster.ImportProblems(im)
	if !ok {
		return im.Problems + im.Warnings // English, as the import stored it
	}
	var lines []string
	if jp.Reason != nil || len(jp.Problems) > 0 {
		lines = problemLines(d, jp)
	}
	if len(jp.Warnings) > 0 {
		lines = append(lines, d.T("roster_problem.warnings", "Count", jp.WarningTotal))
		lines = append(lines, listed(d, jp.Warnings, jp.WarningTotal, "roster_problem.more_warnings")...)
	}
	return strings.Join(lines, "\n")
}

// problemLines is a failed import's summary and problems, as "file:line: problem" lines, or the
// reason it failed, in the page's language (locales/dashboard-roster-problems.<tag>.toml).
func problemLines(d dash, jp roster.JobProblems) []string {
	if r := jp.Reason; r != nil {
		return []string{rosterText(d, r.ID, r.Data, r.Msg)}
	}
	return append([]string{d.T("roster_problem.summary", "Count", jp.Total)}, listed(d, jp.Problems, jp.Total, "roster_problem.more")...)
}

// listed is the first of total problems or warnings as "file:line: problem" lines ("file:line:
// warning: problem" for a warning), then the count of the rest, worded by message more.
func listed(d dash, ps []roster.Problem, total int, more string) []string {
	var out []string
	for _, p := range ps {
		msg := rosterText(d, p.ID, p.Data, p.Msg)
		if p.Warning {
			msg = d.T("roster_problem.warning", "Problem", msg)
		}
		out = append(out, fmt.Sprintf("%s:%d: %s", p.File, p.Line, msg))
	}
	if rest := total - len(ps); rest > 0 {
		out = append(out, d.T(more, "Count", rest))
	}
	return out
}

// rosterText is a roster problem's or reason's message in the page's language (dash.refusal's
// rule: one the catalog lacks keeps its English sentence msg).
func rosterText(d dash, id string, data map[string]any, msg string) string {
	text, _ := d.refusal(&refusal.Error{ID: id, Data: data, Msg: msg})
	return text
}

// adminRosterImport stores an uploaded OneRoster zip and queues its import into the user's
// district; the page it redirects to follows the job.
func (s *Server) adminRosterImport(c echo.Context) error {
	p := principal(c)
	fh, err := c.FormFile("file")
	if err != nil {
		return staffErr(http.StatusUnprocessableEntity, "http_error.roster_file", "Choose a roster zip file to upload.")
	}
	src, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer src.Close()
	up := roster.Upload{DistrictID: p.User.DistrictID, Source: filepath.Base(strings.ReplaceAll(fh.Filename, "\\", "/")),
		AllowMassDeactivation: c.FormValue("allow_mass_deactivation") == "yes",
		Audit:                 roster.Actor{UserID: &p.User.ID, Actor: p.User.Email, IP: c.RealIP()}}
	job, err := roster.Enqueue(c.Request().Context(), s.Store, up, src, rosterUploadBytes)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/roster?job=%d", job.ID))
}

// adminRosterTemplate downloads the simple CSV template (a zip of the four files with their
// columns and an example row), which the roster upload accepts as it is once filled in.
func (s *Server) adminRosterTemplate(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/zip")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="trustpulse-roster-template.zip"`)
	c.Response().WriteHeader(http.StatusOK)
	return roster.WriteSimpleTemplate(c.Response())
}
