package httpserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// successError turns the success package's refusals into answers: out of reach is 404 like a
// thing that does not exist; a refused form is shown back with its message, in the page's
// language.
func (s *Server) successError(c echo.Context, err error) (int, string, error) {
	var p *success.Problem
	switch {
	case errors.Is(err, success.ErrNotFound):
		return 0, "", staffErr(http.StatusNotFound, "http_error.no_success_student", "No such school, round, wave or student.")
	case errors.As(err, &p):
		return http.StatusUnprocessableEntity, s.adminRefusal(c, p), nil
	}
	return 0, "", err
}

func formID(c echo.Context, name string) int64 {
	id, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue(name)), 10, 64)
	return id
}

func formIDs(c echo.Context, name string) []int64 {
	form, _ := c.FormParams()
	var out []int64
	for _, v := range form[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// mappingPage is the mapping page: the rounds of the viewer's schools, the start form for those
// who may start one, and, for a chosen open round, the viewer's students to mark.
type mappingPage struct {
	Rounds   []success.Round
	Schools  []store.School // where the viewer may start a round
	CanStart bool
	List     *success.MyList
	Error    string
}

// adminMapping is the relationship-mapping page (?round=&q=).
func (s *Server) adminMapping(c echo.Context) error { return s.mappingRender(c, http.StatusOK, "") }

func (s *Server) mappingRender(c echo.Context, status int, errMsg string) error {
	p := principal(c)
	v := success.ViewerOf(p, c.RealIP())
	ctx := c.Request().Context()
	pg := mappingPage{CanStart: success.CanStartRound(p.Role()), Error: errMsg}
	var err error
	if pg.Rounds, err = s.Success.Rounds(ctx, v); err != nil {
		return err
	}
	if pg.CanStart {
		if pg.Schools, err = s.Success.Schools(ctx, v); err != nil {
			return err
		}
	}
	round := formID(c, "round")
	if round == 0 {
		for _, r := range pg.Rounds {
			if r.Open {
				round = r.ID
				break
			}
		}
	}
	if round != 0 {
		list, err := s.Success.MyStudents(ctx, v, round, c.QueryParam("q"))
		if code, msg, err := s.successError(c, err); err != nil {
			return err
		} else if msg != "" {
			status, pg.Error = code, msg
		} else {
			pg.List = &list
		}
	}
	return s.adminRender(c, status, "mapping", s.adminT(c, "mapping.title"), pg)
}

// adminMappingStart starts a round at a school (leaders, district admins).
func (s *Server) adminMappingStart(c echo.Context) error {
	p := principal(c)
	r, err := s.Success.StartRound(c.Request().Context(), success.ViewerOf(p, c.RealIP()), formID(c, "school"), c.FormValue("name"))
	if code, msg, err := s.successError(c, err); err != nil {
		return err
	} else if msg != "" {
		return s.mappingRender(c, code, msg)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/team?school=%d&notice=round-started", r.SchoolID))
}

// adminMappingClose ends a round.
func (s *Server) adminMappingClose(c echo.Context) error {
	p := principal(c)
	id, _ := strconv.ParseInt(c.Param("rid"), 10, 64)
	if _, _, err := s.successError(c, s.Success.CloseRound(c.Request().Context(), success.ViewerOf(p, c.RealIP()), id)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/mapping?notice=round-closed")
}

// adminMappingSave saves the viewer's marks: every listed student comes as student=ID, ticked
// boxes as known_ID / come_ID, so an unticked box clears a mark without JavaScript.
func (s *Server) adminMappingSave(c echo.Context) error {
	p := principal(c)
	id, _ := strconv.ParseInt(c.Param("rid"), 10, 64)
	var marks []success.Mark
	for _, sid := range formIDs(c, "student") {
		k := strconv.FormatInt(sid, 10)
		marks = append(marks, success.Mark{StudentID: sid, KnowsWell: c.FormValue("known_"+k) != "", WouldCome: c.FormValue("come_"+k) != ""})
	}
	_, err := s.Success.SaveClaims(c.Request().Context(), success.ViewerOf(p, c.RealIP()), id, marks)
	if code, msg, err := s.successError(c, err); err != nil {
		return err
	} else if msg != "" {
		return s.mappingRender(c, code, msg)
	}
	q := url.Values{"round": {c.Param("rid")}, "notice": {"marks"}}
	if term := strings.TrimSpace(c.FormValue("q")); term != "" {
		q.Set("q", term)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/mapping?"+q.Encode())
}

// teamPage is the team page of one school.
type teamPage struct {
	Schools []store.School
	success.TeamPage
	Attrs []string
	Error string
	Due   string // the due date field, shown back after an error
}

// adminTeam is the team page (?school=&round=).
func (s *Server) adminTeam(c echo.Context) error { return s.teamRender(c, http.StatusOK, "") }

func (s *Server) teamRender(c echo.Context, status int, errMsg string) error {
	p := principal(c)
	v := success.ViewerOf(p, c.RealIP())
	ctx := c.Request().Context()
	schools, err := s.Success.Schools(ctx, v)
	if err != nil {
		return err
	}
	school := formID(c, "school")
	if school == 0 && len(schools) > 0 {
		school = schools[0].ID
	}
	rep, err := s.Results.Reporting(ctx, p.User.DistrictID)
	if err != nil {
		return err
	}
	d, err := s.district(c)
	if err != nil {
		return err
	}
	attrs := append([]string{"grade"}, report.Attributes(survey.Student, d.Settings)...)
	attrs = uniqueOneWay(attrs)
	team, err := s.Success.Team(ctx, v, school, formID(c, "round"), attrs, rep.Floor)
	if _, _, err := s.successError(c, err); err != nil {
		return err
	}
	pg := teamPage{Schools: schools, TeamPage: team, Attrs: attrs, Error: errMsg, Due: c.FormValue("due")}
	return s.adminRender(c, status, "team", s.adminT(c, "team.title"), pg)
}

// uniqueOneWay keeps one-way attributes (no pairs) without repeats, minus the response language
// (a roster has none).
func uniqueOneWay(attrs []string) []string {
	var out []string
	for _, a := range attrs {
		if !report.IsPair(a) && a != "response_language" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// adminTeamAssign assigns the ticked students to one adult with a due date, from the team page
// or the follow-up list (back= says which, with its query).
func (s *Server) adminTeamAssign(c echo.Context) error {
	p := principal(c)
	source := "mapping"
	if c.FormValue("source") == "followup" {
		source = "followup"
	}
	_, err := s.Success.Assign(c.Request().Context(), success.ViewerOf(p, c.RealIP()), formID(c, "school"), formIDs(c, "student"), formID(c, "adult"), c.FormValue("due"), source)
	if code, msg, err := s.successError(c, err); err != nil {
		return err
	} else if msg != "" {
		if source == "followup" {
			return s.followupRender(c, code, msg)
		}
		return s.teamRender(c, code, msg)
	}
	if source == "followup" {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/followup?wave=%d&school=%d&measure=%s&notice=assigned", formID(c, "wave"), formID(c, "school"), url.QueryEscape(c.FormValue("measure"))))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/team?school=%d&notice=assigned", formID(c, "school")))
}

// followupPage is the follow-up list page.
type followupPage struct {
	Waves    []store.Wave
	Schools  []store.School
	WaveID   int64
	SchoolID int64
	Measures []survey.Measure
	List     *success.FollowPage
	Actions  []string
	NoteMax  int
	Error    string
	Due      string
}

// adminFollowup is the follow-up list (?wave=&school=&measure=).
func (s *Server) adminFollowup(c echo.Context) error { return s.followupRender(c, http.StatusOK, "") }

func (s *Server) followupRender(c echo.Context, status int, errMsg string) error {
	p := principal(c)
	v := success.ViewerOf(p, c.RealIP())
	ctx := c.Request().Context()
	pg := followupPage{Actions: success.Actions, NoteMax: success.NoteMax, Error: errMsg, Due: c.FormValue("due")}
	var err error
	if pg.Waves, err = s.Success.ConfidentialWaves(ctx, v); err != nil {
		return err
	}
	pg.WaveID, pg.SchoolID = formID(c, "wave"), formID(c, "school")
	if pg.WaveID == 0 && len(pg.Waves) > 0 {
		pg.WaveID = pg.Waves[0].ID
	}
	if pg.Schools, err = s.Success.WaveSchools(ctx, v, pg.WaveID); err != nil {
		return err
	}
	if pg.SchoolID == 0 && len(pg.Schools) > 0 {
		pg.SchoolID = pg.Schools[0].ID
	}
	if pg.WaveID == 0 || pg.SchoolID == 0 {
		return s.adminRender(c, status, "followup", s.adminT(c, "followup.title"), pg)
	}
	list, err := s.Success.FollowUp(ctx, v, pg.WaveID, pg.SchoolID, c.FormValue("measure"))
	if code, msg, err := s.successError(c, err); err != nil {
		return err
	} else if msg != "" {
		status, pg.Error = code, msg
	} else {
		pg.List = &list
		for _, m := range list.Instrument.Measures {
			if m.ID != success.ConnectionMeasure {
				pg.Measures = append(pg.Measures, m)
			}
		}
	}
	return s.adminRender(c, status, "followup", s.adminT(c, "followup.title"), pg)
}

// adminFollowupReached marks a student reached.
func (s *Server) adminFollowupReached(c echo.Context) error {
	p := principal(c)
	err := s.Success.MarkReached(c.Request().Context(), success.ViewerOf(p, c.RealIP()), formID(c, "wave"), formID(c, "school"), formID(c, "student"), c.FormValue("action"), c.FormValue("note"))
	if code, msg, err := s.successError(c, err); err != nil {
		return err
	} else if msg != "" {
		return s.followupRender(c, code, msg)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/followup?wave=%d&school=%d&measure=%s&notice=reached", formID(c, "wave"), formID(c, "school"), url.QueryEscape(c.FormValue("measure"))))
}

// teamRoles are the roles of the team page: the success package's one rule.
var teamRoles = success.TeamRoles

// teamStudentsPage is the team's student list with its filters.
type teamStudentsPage struct {
	Schools []store.School
	success.StudentsPage
	Due   string
	Error string
}

// adminTeamStudents lists a school's students by grade, homeroom and flags (?school=&grade=
// &homeroom=&no_adult=1&chronic=1&failing=1&period=).
func (s *Server) adminTeamStudents(c echo.Context) error {
	p := principal(c)
	v := success.ViewerOf(p, c.RealIP())
	ctx := c.Request().Context()
	schools, err := s.Success.Schools(ctx, v)
	if err != nil {
		return err
	}
	school := formID(c, "school")
	if school == 0 && len(schools) > 0 {
		school = schools[0].ID
	}
	q := success.StudentFilter{Grade: c.QueryParam("grade"), Homeroom: c.QueryParam("homeroom"), PeriodID: formID(c, "period"),
		NoAdult: c.QueryParam("no_adult") != "", Chronic: c.QueryParam("chronic") != "", Failing: c.QueryParam("failing") != ""}
	list, err := s.Success.Students(ctx, v, school, q)
	if _, _, err := s.successError(c, err); err != nil {
		return err
	}
	pg := teamStudentsPage{Schools: schools, StudentsPage: list}
	return s.adminRender(c, http.StatusOK, "team_students", s.adminT(c, "team_students.title"), pg)
}
