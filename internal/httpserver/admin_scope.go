package httpserver

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// scopedWave loads the wave named in the path and applies the school rule: to read it, the
// principal needs at least one of its schools; to change it, every one. Out of scope is 404 for
// reads (a leader cannot even learn that another school's wave exists) and 403 for changes to a
// wave they can see but not wholly govern.
func (s *Server) scopedWave(c echo.Context, change bool) (store.Wave, []store.School, error) {
	p := principal(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return store.Wave{}, nil, staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")
	}
	w, err := s.Waves.Get(c.Request().Context(), p.User.DistrictID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Wave{}, nil, staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")
	}
	if err != nil {
		return store.Wave{}, nil, err
	}
	schools, err := s.waveSchools(c, w)
	if err != nil {
		return store.Wave{}, nil, err
	}
	ids := make([]int64, len(schools))
	for i, sc := range schools {
		ids[i] = sc.ID
	}
	if !p.CanAnySchool(ids) {
		return store.Wave{}, nil, staffErr(http.StatusNotFound, "http_error.no_wave", "No such wave.")
	}
	if change && !p.CanAllSchools(ids) {
		return store.Wave{}, nil, staffErr(http.StatusForbidden, "http_error.wave_not_led", "This wave includes schools you do not lead.")
	}
	return w, schools, nil
}

// waveSchools lists the schools of a wave by name.
func (s *Server) waveSchools(c echo.Context, w store.Wave) ([]store.School, error) {
	var out []store.School
	err := s.Store.DB.WithContext(c.Request().Context()).
		Where("district_id = ? AND id IN (?)", w.DistrictID,
			s.Store.DB.Model(&store.WaveSchool{}).Select("school_id").Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID)).
		Order("name").Find(&out).Error
	return out, err
}

// visibleSchools lists the schools the principal may see, by name.
func (s *Server) visibleSchools(c echo.Context, p *auth.Principal) ([]store.School, error) {
	q := s.Store.DB.WithContext(c.Request().Context()).Where("district_id = ? AND active = ?", p.User.DistrictID, true)
	if p.Role() != auth.DistrictAdmin {
		q = q.Where("id IN ?", append([]int64{0}, p.Schools...))
	}
	var out []store.School
	err := q.Order("name").Find(&out).Error
	return out, err
}

// inScope keeps the schools p may see.
func inScope(p *auth.Principal, schools []store.School) []store.School {
	var out []store.School
	for _, sc := range schools {
		if p.CanSchool(sc.ID) {
			out = append(out, sc)
		}
	}
	return out
}
