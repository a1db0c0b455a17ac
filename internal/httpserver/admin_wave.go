package httpserver

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// rateRow is one school × grade line of the response rate. It comes from the wave's released
// results, so it obeys the same floor and complementary hiding as every result: a hidden row
// carries no number, and for anonymous waves counts move only when a batch is released.
type rateRow struct {
	SchoolName string
	Group      string // the grade ("" for the school's total)
	report.Stat
}

// RatePct is the row's response rate, rounded down ("–" when invitations are unknown).
func (r rateRow) RatePct() string { return ratePct(r.Stat) }

func ratePct(st report.Stat) string {
	if st.Suppressed || st.Invited == 0 || math.IsNaN(st.Rate) {
		return "–"
	}
	return strconv.Itoa(int(math.Floor(st.Rate))) + "%"
}

type wavePage struct {
	Wave    store.Wave
	Schools []store.School // the wave's schools the user may see
	Zone    string         // the time zone times are shown in: the first visible school's
	Rates   []rateRow
	Total   *rateRow // everyone the user may see; nil when no such row may be shown
	Invited int      // invitations in scope, for a draft
	Floor   int
	Release report.ReleasePolicy
	Build   report.WaveBuild
	CanEdit bool
	Can     map[string]bool // the lifecycle changes the wave allows now (wave.Allowed)
	// The delivery report of texts and emails (district admin and leaders; counts only).
	ShowDelivery bool
	SMS, Email   wave.Delivery
}

// adminWave shows a wave with its response rates by school and grade, limited to the user's schools.
func (s *Server) adminWave(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	w, schools, err := s.scopedWave(c, false)
	if err != nil {
		return err
	}
	page := wavePage{Wave: w, Schools: inScope(p, schools), Zone: "UTC"}
	if len(page.Schools) > 0 {
		page.Zone = page.Schools[0].TimeZone
	}
	page.CanEdit = p.CanAllSchools(schoolIDs(schools))
	page.Can = map[string]bool{}
	for _, a := range wave.Allowed(wave.LifecycleOf(w), s.Store.Now()) {
		page.Can[string(a)] = true
	}
	if err := s.waveRates(ctx, &page); err != nil {
		return err
	}
	// Leaders and district admins see how the wave's texts and emails went, for their schools.
	if p.Is(auth.DistrictAdmin, auth.SchoolLeader) && (strings.Contains(w.Channels, "sms") || strings.Contains(w.Channels, "email")) {
		page.ShowDelivery = true
		if page.SMS, page.Email, err = s.Waves.DeliveryReport(ctx, w.DistrictID, w.ID, schoolIDs(page.Schools)); err != nil {
			return err
		}
	}
	return s.adminRender(c, http.StatusOK, "wave", w.Name, page)
}

// waveRates fills the page's participation from the wave's released results: each school's
// total and its grades (children's grades for a family survey), floored like every result.
func (s *Server) waveRates(ctx context.Context, page *wavePage) error {
	w := page.Wave
	ids := schoolIDs(page.Schools)
	if w.Status == store.StatusDraft || w.Status == store.StatusScheduled { // nobody is invited before the wave opens
		var n int64
		err := s.Store.DB.WithContext(ctx).Model(&store.Invitation{}).
			Where("district_id = ? AND wave_id = ? AND school_id IN ?", w.DistrictID, w.ID, append([]int64{-1}, ids...)).Count(&n).Error
		page.Invited = int(n)
		return err
	}
	rep, err := s.Results.Reporting(ctx, w.DistrictID)
	if err != nil {
		return err
	}
	page.Floor, page.Release = rep.Floor, rep.Release
	if page.Build, err = s.Results.Build(ctx, w.DistrictID, w.ID); err != nil {
		return err
	}
	wd, err := s.Results.Wave(ctx, w.DistrictID, w.ID, ids)
	if err != nil && page.Build.Error != "" {
		return nil // the page says why there are no results; the refresher has logged it
	}
	if err != nil {
		return err
	}
	by := map[string]string{"student": "grade", "family": "child_grade"}[string(w.Audience)]
	if wd.CheckAttribute(by) != nil {
		by = "" // the district does not report grades: school totals only
	}
	for _, sc := range wd.Schools {
		total := wd.Rows(sc.ID, "", "")[0]
		page.Rates = append(page.Rates, rateRow{SchoolName: sc.Name, Stat: total.Stat})
		if by == "" {
			continue
		}
		for _, r := range wd.Rows(sc.ID, "", by) {
			page.Rates = append(page.Rates, rateRow{SchoolName: sc.Name, Group: r.Group, Stat: r.Stat})
		}
	}
	switch {
	case wd.DistrictVisible:
		t := rateRow{Stat: wd.Rows(0, "", "")[0].Stat}
		page.Total = &t
	case len(wd.Schools) == 1:
		t := page.Rates[0]
		page.Total = &t
	}
	return nil
}

func schoolIDs(schools []store.School) []int64 {
	out := make([]int64, len(schools))
	for i, sc := range schools {
		out[i] = sc.ID
	}
	return out
}
