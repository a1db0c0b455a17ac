package httpserver

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// rateRow is one school × grade line of the live response rate. For anonymous waves completion
// is known only by day, which is all a rate needs.
type rateRow struct {
	SchoolID   int64
	SchoolName string
	Grade      string
	Invited    int
	Completed  int
}

type wavePage struct {
	Wave     store.Wave
	Schools  []store.School // the wave's schools the user may see
	Zone     string         // the time zone times are shown in: the first visible school's
	Rates    []rateRow
	Invited  int
	Done     int
	CanEdit  bool
	Channels string
	Can      map[string]bool // the lifecycle changes the wave allows now (wave.Allowed)
}

// adminWave shows a wave with its response rates by school and grade, limited to the user's schools.
func (s *Server) adminWave(c echo.Context) error {
	p := principal(c)
	w, schools, err := s.scopedWave(c, false)
	if err != nil {
		return err
	}
	page := wavePage{Wave: w, Schools: inScope(p, schools), Zone: "UTC", Channels: strings.ReplaceAll(w.Channels, ",", ", ")}
	if len(page.Schools) > 0 {
		page.Zone = page.Schools[0].TimeZone
	}
	ids := []int64{}
	names := map[int64]string{}
	for _, sc := range page.Schools {
		ids = append(ids, sc.ID)
		names[sc.ID] = sc.Name
	}
	page.CanEdit = p.CanAllSchools(schoolIDs(schools))
	page.Can = map[string]bool{}
	for _, a := range wave.Allowed(wave.LifecycleOf(w), s.Store.Now()) {
		page.Can[string(a)] = true
	}
	err = s.Store.DB.WithContext(c.Request().Context()).Table("invitations i").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("i.district_id = ? AND i.wave_id = ? AND i.school_id IN ?", w.DistrictID, w.ID, ids).
		Select("i.school_id AS school_id, p.grade AS grade, COUNT(*) AS invited, COUNT(i.completed_at) AS completed").
		Group("i.school_id, p.grade").Order("i.school_id, p.grade").Scan(&page.Rates).Error
	if err != nil {
		return err
	}
	for i := range page.Rates {
		page.Rates[i].SchoolName = names[page.Rates[i].SchoolID]
		page.Invited += page.Rates[i].Invited
		page.Done += page.Rates[i].Completed
	}
	return s.adminRender(c, http.StatusOK, "wave", w.Name, page)
}

func schoolIDs(schools []store.School) []int64 {
	out := make([]int64, len(schools))
	for i, sc := range schools {
		out[i] = sc.ID
	}
	return out
}
