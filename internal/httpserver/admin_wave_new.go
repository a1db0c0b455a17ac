package httpserver

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// localTimeLayout is what <input type="datetime-local"> sends.
const localTimeLayout = "2006-01-02T15:04"

// instrumentOption is a survey the form offers; the template names it (see labels).
type instrumentOption struct {
	Key      string
	ID       string
	Version  int
	Audience string
}

type waveForm struct {
	Instruments []instrumentOption
	Schools     []store.School
	Grades      []string
	StaffRoles  []string
	// The submitted values, kept when the form comes back with an error.
	Name, Instrument, Mode, Opens, Closes string
	Start                                 string // draft | schedule | open
	Chosen                                []int64
	ChosenGrades, ChosenRoles, Channels   []string
	SMSAnswering                          bool
}

func (f waveForm) IsChosen(id int64) bool       { return slices.Contains(f.Chosen, id) }
func (f waveForm) HasGrade(g string) bool       { return slices.Contains(f.ChosenGrades, g) }
func (f waveForm) HasRole(r string) bool        { return slices.Contains(f.ChosenRoles, r) }
func (f waveForm) HasChannel(ch string) bool    { return slices.Contains(f.Channels, ch) }
func (f waveForm) IsInstrument(key string) bool { return f.Instrument == key }

// adminWaveNew shows the form for a new wave over the user's schools.
func (s *Server) adminWaveNew(c echo.Context) error {
	f, err := s.waveFormOptions(c, principal(c))
	if err != nil {
		return err
	}
	f.Mode, f.Channels, f.Start = store.ModeAnonymous, []string{"link"}, "draft"
	return s.adminRender(c, http.StatusOK, "wave_new", s.adminT(c, "admin.title.wave_new"), f)
}

// adminWaveCreate creates the wave (as a draft, scheduled, or open at once: then its invitations
// and texts are made with it, in one transaction with the audit row) and shows its page. Times
// are read in the time zone of the first chosen school: what the people planning the survey see
// on the wall.
func (s *Server) adminWaveCreate(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	f, err := s.waveFormOptions(c, p)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return staffErr(http.StatusBadRequest, "http_error.unreadable_form", "Unreadable form.")
	}
	f.Name, f.Instrument, f.Mode = form.Get("name"), form.Get("instrument"), form.Get("mode")
	f.Opens, f.Closes, f.Start = form.Get("opens"), form.Get("closes"), form.Get("start")
	f.ChosenGrades, f.ChosenRoles, f.Channels = form["grade"], form["role"], form["channel"]
	f.SMSAnswering = form.Get("sms_answering") != ""
	for _, v := range form["school"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		f.Chosen = append(f.Chosen, id)
	}
	fail := func(msg string) error {
		return s.adminRenderError(c, http.StatusUnprocessableEntity, "wave_new", s.adminT(c, "admin.title.wave_new"), f, msg)
	}
	if len(f.Chosen) == 0 {
		return fail(s.adminT(c, "admin.wave_new.err_school"))
	}
	if !p.CanAllSchools(f.Chosen) {
		return staffErr(http.StatusForbidden, "http_error.own_schools_only", "You may only survey your own schools.")
	}
	id, ver, ok := strings.Cut(f.Instrument, "@")
	version, verr := strconv.Atoi(ver)
	if !ok || verr != nil {
		return fail(s.adminT(c, "admin.wave_new.err_survey"))
	}
	if f.SMSAnswering && !f.HasChannel("sms") {
		return fail(s.adminT(c, "admin.wave_new.err_sms_channel"))
	}
	if in, ok := s.Surveys.Get(id, version); ok && f.SMSAnswering && !sms.Answerable(in) {
		return fail(s.adminT(c, "admin.wave_new.err_sms_digits"))
	}
	zone := time.UTC
	for _, sc := range f.Schools {
		if sc.ID == f.Chosen[0] {
			if loc, err := time.LoadLocation(sc.TimeZone); err == nil {
				zone = loc
			}
		}
	}
	opens, err1 := time.ParseInLocation(localTimeLayout, f.Opens, zone)
	closes, err2 := time.ParseInLocation(localTimeLayout, f.Closes, zone)
	if err1 != nil || err2 != nil {
		return fail(s.adminT(c, "admin.wave_new.err_times"))
	}
	start := map[string]wave.Action{"": wave.ActUnschedule, "draft": wave.ActUnschedule, "schedule": wave.ActSchedule, "open": wave.ActOpen}[f.Start]
	if start == "" {
		return fail(s.adminT(c, "admin.wave_new.err_start"))
	}
	w, err := s.Waves.Create(ctx, wave.Spec{DistrictID: p.User.DistrictID, Name: f.Name, InstrumentID: id, InstrumentVersion: version,
		Mode: f.Mode, SchoolIDs: f.Chosen, OpensAt: opens, ClosesAt: closes, Channels: f.Channels, Grades: f.ChosenGrades, StaffRoles: f.ChosenRoles,
		SMSAnswering: f.SMSAnswering, Start: start, By: actor(c, p)})
	if r := waveRefused(err); r != nil {
		// wave.Create's refusals (and the lifecycle's, for the start) are written for the person
		// filling the form, and worded in the page's language.
		return fail(s.adminRefusal(c, r))
	}
	if err != nil {
		return fail(strings.TrimPrefix(err.Error(), "create wave: "))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/waves/%d?notice=created", w.ID))
}

// waveFormOptions gathers what the form offers: instruments, the user's schools, and the grades
// and staff roles rostered there.
func (s *Server) waveFormOptions(c echo.Context, p *auth.Principal) (waveForm, error) {
	var f waveForm
	for _, in := range s.Surveys.Instruments() {
		f.Instruments = append(f.Instruments, instrumentOption{Key: fmt.Sprintf("%s@%d", in.ID, in.Version),
			ID: in.ID, Version: in.Version, Audience: string(in.Audience)})
	}
	schools, err := s.visibleSchools(c, p)
	if err != nil {
		return f, err
	}
	f.Schools = schools
	ids := []int64{0}
	for _, sc := range schools {
		ids = append(ids, sc.ID)
	}
	db := s.Store.DB.WithContext(c.Request().Context())
	if err := db.Model(&store.Person{}).Distinct("grade").Where("district_id = ? AND kind = ? AND school_id IN ? AND grade <> ''", p.User.DistrictID, store.KindStudent, ids).
		Order("grade").Pluck("grade", &f.Grades).Error; err != nil {
		return f, err
	}
	if err := db.Model(&store.Person{}).Distinct("role").Where("district_id = ? AND kind = ? AND school_id IN ? AND role <> ''", p.User.DistrictID, store.KindStaff, ids).
		Order("role").Pluck("role", &f.StaffRoles).Error; err != nil {
		return f, err
	}
	return f, nil
}
