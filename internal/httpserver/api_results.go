package httpserver

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

// apiRow is one row of GET /api/v1/results. A hidden row is exactly {measure, group,
// suppressed: true, hidden: why}: every other field is a pointer left nil, so no number of it is
// ever written.
type apiRow struct {
	Measure      string      `json:"measure"`
	Group        string      `json:"group"`
	N            *int        `json:"n,omitempty"`
	Mean         *float64    `json:"mean,omitempty"`
	SE           *float64    `json:"se,omitempty"`
	CILow        *float64    `json:"ci_low,omitempty"`
	CIHigh       *float64    `json:"ci_high,omitempty"`
	Favorable    *float64    `json:"favorable,omitempty"`
	FavLow       *float64    `json:"favorable_ci_low,omitempty"`
	FavHigh      *float64    `json:"favorable_ci_high,omitempty"`
	Distribution []*float64  `json:"distribution,omitempty"`
	Gap          *apiCompare `json:"gap,omitempty"`
	Change       *apiCompare `json:"change,omitempty"`
	FavGap       *apiCompare `json:"favorable_gap,omitempty"`
	FavChange    *apiCompare `json:"favorable_change,omitempty"`
	// Since the first wave of the school year and since the same season last year.
	SinceBaseline    *apiCompare `json:"since_baseline,omitempty"`
	YearOverYear     *apiCompare `json:"year_over_year,omitempty"`
	FavSinceBaseline *apiCompare `json:"favorable_since_baseline,omitempty"`
	FavYearOverYear  *apiCompare `json:"favorable_year_over_year,omitempty"`
	Band             *int        `json:"band,omitempty"`
	Provisional      *bool       `json:"band_provisional,omitempty"`
	Combines         []string    `json:"combines,omitempty"` // a combined group's groups, when they may be named
	Suppressed       bool        `json:"suppressed"`
	Hidden           string      `json:"hidden,omitempty"` // why: "small" or "protect"
}

// hiddenReason is the API's word for why a row is hidden: "protect" for a group hidden so that no
// subtraction recovers a smaller one, "few_schools" for a rest of the district that would give one
// school away, "small" for every other hidden row.
func hiddenReason(st report.Stat) string {
	if st.Why == report.HiddenProtect || st.Why == report.HiddenFewSchools {
		return string(st.Why)
	}
	return string(report.HiddenSmall)
}

// apiCompare is a gap (against the rest of the school) or a change (since the previous wave).
type apiCompare struct {
	Diff    *float64 `json:"diff,omitempty"`
	CILow   *float64 `json:"ci_low,omitempty"`
	CIHigh  *float64 `json:"ci_high,omitempty"`
	Flagged bool     `json:"flagged"`
}

type apiRows[T any] struct {
	Rows []T `json:"rows"`
}

// apiResults is GET /api/v1/results: one row per measure and group of a wave in one school (or the
// district), drawn from the report package's read model, which has already applied the floor.
func (s *Server) apiResults(c echo.Context) error {
	wd, school, by, err := s.apiWaveData(c)
	if err != nil {
		return err
	}
	out := apiResultRows{Rows: []apiRow{}}
	for _, r := range wd.Results(school, by) {
		out.Rows = append(out.Rows, toAPIRow(r))
	}
	// The rest of the district comes with a school's overall rows, for a caller who does not
	// see the district row, under the dashboard's rule (report.RestCell).
	if school != 0 && by == "" && !wd.DistrictVisible {
		rest, err := s.Results.RestOfDistrict(c.Request().Context(), wd)
		if err != nil {
			return fmt.Errorf("api results: %w", err)
		}
		ar := &apiRest{Schools: rest.Schools, Rows: []apiRow{}}
		for _, r := range rest.Measures {
			ar.Rows = append(ar.Rows, toAPIRow(r))
		}
		out.RestOfDistrict = ar
	}
	return apiJSON(c, http.StatusOK, out)
}

// apiResultRows is GET /api/v1/results' answer.
type apiResultRows struct {
	Rows           []apiRow `json:"rows"`
	RestOfDistrict *apiRest `json:"rest_of_district,omitempty"`
}

// apiRest is the rest of the district: the wave's schools outside the caller's scope, combined;
// one row per measure, group rest_of_district, hidden (few_schools) unless at least two of those
// schools count at least the floor each, with change only when the previous wave combined the
// same schools.
type apiRest struct {
	Schools int      `json:"schools"`
	Rows    []apiRow `json:"rows"`
}

func toAPIRow(r report.Row) apiRow {
	row := apiRow{Measure: r.Measure, Group: r.Group, Suppressed: true}
	if r.Suppressed {
		row.Hidden = hiddenReason(r.Stat)
		return row
	}
	n := r.N
	row.Suppressed, row.Combines = false, r.Combines
	row.N, row.Mean, row.SE, row.CILow, row.CIHigh = &n, round1(r.Mean), round1(r.SE), round1(r.CILow), round1(r.CIHigh)
	row.Favorable, row.FavLow, row.FavHigh = round1(r.Favorable), round1(r.FavLow), round1(r.FavHigh)
	row.Distribution = make([]*float64, len(r.Dist))
	for i, v := range r.Dist {
		row.Distribution[i] = round1(v)
	}
	row.Gap, row.Change = toAPICompare(r.Gap), toAPICompare(r.Change)
	row.FavGap, row.FavChange = toAPICompare(r.FavGap), toAPICompare(r.FavChange)
	row.SinceBaseline, row.YearOverYear = toAPICompare(r.SinceBaseline), toAPICompare(r.YearOverYear)
	row.FavSinceBaseline, row.FavYearOverYear = toAPICompare(r.FavSinceBaseline), toAPICompare(r.FavYearOverYear)
	if r.Band != nil {
		b, prov := r.Band.Index, r.Band.Provisional
		row.Band, row.Provisional = &b, &prov
	}
	return row
}

func toAPICompare(c *report.Compare) *apiCompare {
	if c == nil || math.IsNaN(c.Diff) {
		return nil
	}
	return &apiCompare{Diff: round1(c.Diff), CILow: round1(c.Low), CIHigh: round1(c.High), Flagged: c.Flagged}
}

// round1 rounds to one decimal; NaN and infinities, which JSON cannot carry, become nil (omitted).
func round1(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	v := math.Round(x*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	return &v
}

// apiWaveData parses and checks wave, school and by, and loads the wave's read model within the
// caller's scope. school is 0 for the district.
//
// Scope: a wave none of whose schools is in scope is 404, like an unknown one; so is a school out
// of scope or not in the wave (never 403: the answer must not reveal that it exists). District-wide
// rows (school omitted or "district") add up every school of the wave, so they need every one of
// them in scope: always true for a district admin; otherwise 403, asking for a school.
func (s *Server) apiWaveData(c echo.Context) (*report.WaveData, int64, string, error) {
	ctx := c.Request().Context()
	p := principal(c)
	waveParam := c.QueryParam("wave")
	if waveParam == "" {
		return nil, 0, "", apiErr(http.StatusBadRequest, "The wave parameter is required: a wave id from /api/v1/waves.")
	}
	waveID, err := parseAPIID(waveParam)
	if err != nil {
		return nil, 0, "", apiErr(http.StatusBadRequest, fmt.Sprintf("wave=%q is not an id: ids are decimal strings from /api/v1/waves.", waveParam))
	}
	var school int64
	switch sp := c.QueryParam("school"); strings.ToLower(sp) {
	case "", "district":
	default:
		if school, err = parseAPIID(sp); err != nil {
			return nil, 0, "", apiErr(http.StatusBadRequest, fmt.Sprintf("school=%q is not an id: use an id from /api/v1/schools, or \"district\".", sp))
		}
		if !p.CanSchool(school) {
			return nil, 0, "", apiErr(http.StatusNotFound, "No such school in this wave.")
		}
	}
	scope := p.Schools
	if p.Role() == auth.DistrictAdmin {
		all, err := s.Results.Schools(ctx, p.User.DistrictID)
		if err != nil {
			return nil, 0, "", err
		}
		scope = make([]int64, len(all))
		for i, sc := range all {
			scope[i] = sc.ID
		}
	}
	wd, err := s.Results.WaveOf(ctx, p.User.DistrictID, waveID, scope, school)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, "", apiErr(http.StatusNotFound, "No such wave.")
	}
	if err != nil {
		return nil, 0, "", err
	}
	if len(wd.Schools) == 0 {
		return nil, 0, "", apiErr(http.StatusNotFound, "No such wave.")
	}
	if school != 0 && !slices.ContainsFunc(wd.Schools, func(sc store.School) bool { return sc.ID == school }) {
		return nil, 0, "", apiErr(http.StatusNotFound, "No such school in this wave.")
	}
	if ok, at := report.ResultsVisible(report.ScheduleOf(wd.Wave), p.Role(), s.Store.Now()); !ok {
		zone, err := s.Results.WaveZone(ctx, wd.Wave)
		if err != nil {
			return nil, 0, "", err
		}
		day := at.In(zone).Format(time.DateOnly)
		return nil, 0, "", &apiError{Status: http.StatusForbidden, ResultsAt: day,
			Message: fmt.Sprintf("Results of this wave are released to your role on %s.", day)}
	}
	// No change against a wave the caller may not see yet.
	wd.HideComparisons(func(w store.Wave) bool {
		ok, _ := report.ResultsVisible(report.ScheduleOf(w), p.Role(), s.Store.Now())
		return ok
	})
	if school == 0 && !wd.DistrictVisible {
		return nil, 0, "", apiErr(http.StatusForbidden, "District-wide results need every school of the wave in your scope; ask for one school with school=ID.")
	}
	by := c.QueryParam("by")
	if err := wd.CheckAttribute(by); errors.Is(err, report.ErrUnknownAttribute) {
		return nil, 0, "", &apiError{Status: http.StatusBadRequest, Allowed: append([]string{}, wd.Attributes...),
			Message: fmt.Sprintf("by=%q is not a breakdown of this wave; allowed: %s.", by, strings.Join(wd.Attributes, ", "))}
	} else if err != nil {
		return nil, 0, "", err
	}
	return wd, school, by, nil
}

// parseAPIID reads an id as the API writes it: a positive decimal integer.
func parseAPIID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err == nil && id <= 0 {
		err = errors.New("not positive")
	}
	return id, err
}
