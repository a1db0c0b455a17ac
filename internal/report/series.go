package report

import (
	"context"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/store"
)

// SeriesPoint is one group's result in one wave of a series, and its change since the series'
// first wave (the same comparisons as Row.Change and Row.FavChange, which compare consecutive
// waves): nil when either side is hidden.
type SeriesPoint struct {
	WaveID int64
	Stat
	Change, FavChange *Compare
}

// GroupSeries reads one group's cells (school 0: the district; attr "" is everyone) of measure in
// each of waves, in the order given, each compared with the first. Only rollup rows are read, as
// built under the privacy floor: a hidden cell stays hidden and no change is computed against it.
// Callers decide which waves a viewer may see; for the district row, only waves whose every
// school is in the viewer's scope.
func (s *Service) GroupSeries(ctx context.Context, districtID, school int64, measure, attr, value string, waves []int64) ([]SeriesPoint, error) {
	if len(waves) == 0 {
		return nil, nil
	}
	cs := map[int64]*Cell{}
	var cells []store.RollupCell
	if err := s.Store.DB.WithContext(ctx).
		Where("district_id = ? AND wave_id IN ? AND school_id = ? AND measure_id = ? AND item_id = '' AND attribute = ? AND value = ?",
			districtID, waves, school, measure, attr, value).Find(&cells).Error; err != nil {
		return nil, fmt.Errorf("group series: %w", err)
	}
	for _, r := range cells {
		_, c := cellOf(r)
		cs[r.WaveID] = c
	}
	first := cs[waves[0]]
	out := make([]SeriesPoint, 0, len(waves))
	for i, w := range waves {
		c := cs[w]
		p := SeriesPoint{WaveID: w, Stat: statOf(c)}
		if i > 0 {
			p.Change, p.FavChange = change(c, first), favChange(c, first)
		}
		out = append(out, p)
	}
	return out, nil
}
