package httpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// apiWave is one item of GET /api/v1/waves.
type apiWave struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Instrument        string    `json:"instrument"`
	InstrumentVersion int       `json:"instrument_version"`
	Audience          string    `json:"audience"`
	Status            string    `json:"status"`
	OpensAt           time.Time `json:"opens_at"`
	ClosesAt          time.Time `json:"closes_at"`
	Schools           []string  `json:"schools"`    // the wave's schools in the caller's scope
	Attributes        []string  `json:"attributes"` // the values `by` may take for this wave
}

// apiWaves lists the waves that have left draft and include at least one school in the caller's
// scope, newest first.
func (s *Server) apiWaves(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	waves, err := s.Results.Waves(ctx, p.User.DistrictID)
	if err != nil {
		return err
	}
	bySchool, err := s.waveSchoolIDs(ctx, p.User.DistrictID, 0)
	if err != nil {
		return err
	}
	d, err := s.district(c)
	if err != nil {
		return err
	}
	out := apiItems[apiWave]{Items: []apiWave{}}
	for _, w := range waves {
		var mine []string
		for _, id := range bySchool[w.ID] {
			if p.CanSchool(id) {
				mine = append(mine, apiID(id))
			}
		}
		if len(mine) == 0 {
			continue
		}
		out.Items = append(out.Items, apiWave{ID: apiID(w.ID), Name: w.Name, Instrument: w.InstrumentID, InstrumentVersion: w.InstrumentVersion,
			Audience: w.Audience, Status: w.Status, OpensAt: w.OpensAt.UTC(), ClosesAt: w.ClosesAt.UTC(), Schools: mine,
			Attributes: append([]string{}, report.Attributes(survey.Audience(w.Audience), d.Settings)...)})
	}
	return apiJSON(c, http.StatusOK, out)
}

// waveSchoolIDs maps waves to their schools: one wave's, or (waveID 0) every wave's in the district.
func (s *Server) waveSchoolIDs(ctx context.Context, districtID, waveID int64) (map[int64][]int64, error) {
	q := s.Store.DB.WithContext(ctx).Where("district_id = ?", districtID)
	if waveID != 0 {
		q = q.Where("wave_id = ?", waveID)
	}
	var rows []store.WaveSchool
	if err := q.Order("wave_id, school_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := map[int64][]int64{}
	for _, r := range rows {
		out[r.WaveID] = append(out[r.WaveID], r.SchoolID)
	}
	return out, nil
}
