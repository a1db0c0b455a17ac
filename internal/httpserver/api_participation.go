package httpserver

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiParticipationRow is one row of GET /api/v1/participation; a hidden row is exactly
// {group, suppressed: true, hidden: why}.
type apiParticipationRow struct {
	Group        string   `json:"group"`
	N            *int     `json:"n,omitempty"`             // respondents
	Invited      *int     `json:"invited,omitempty"`       // invitations, where the wave has them
	ResponseRate *float64 `json:"response_rate,omitempty"` // percent, where invitations are known
	Combines     []string `json:"combines,omitempty"`      // a combined group's groups, when they may be named
	Suppressed   bool     `json:"suppressed"`
	Hidden       string   `json:"hidden,omitempty"` // why: "small" or "protect"
}

// apiParticipation is GET /api/v1/participation: respondents and response rate per group, with the
// same parameters, scope and floor as /api/v1/results.
func (s *Server) apiParticipation(c echo.Context) error {
	wd, school, by, err := s.apiWaveData(c)
	if err != nil {
		return err
	}
	out := apiRows[apiParticipationRow]{Rows: []apiParticipationRow{}}
	for _, r := range wd.Rows(school, "", by) {
		row := apiParticipationRow{Group: r.Group, Suppressed: r.Suppressed}
		if r.Suppressed {
			row.Hidden = hiddenReason(r.Stat)
		} else {
			n := r.N
			row.N, row.Combines = &n, r.Combines
			if r.Invited > 0 {
				invited := r.Invited
				row.Invited, row.ResponseRate = &invited, round1(r.Rate)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return apiJSON(c, http.StatusOK, out)
}
