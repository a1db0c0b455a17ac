package httpserver

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// adminWaves lists the waves that touch the user's schools (all of them for district admins).
func (s *Server) adminWaves(c echo.Context) error {
	p := principal(c)
	q := s.Store.DB.WithContext(c.Request().Context()).Where("district_id = ?", p.User.DistrictID)
	if p.Role() != auth.DistrictAdmin {
		q = q.Where("id IN (?)", s.Store.DB.Model(&store.WaveSchool{}).Select("wave_id").
			Where("district_id = ? AND school_id IN ?", p.User.DistrictID, append([]int64{0}, p.Schools...)))
	}
	var waves []store.Wave
	if err := q.Order("opens_at DESC, id").Limit(200).Find(&waves).Error; err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "waves", s.adminT(c, "admin.title.waves"), waves)
}
