package report

import (
	"context"
	"fmt"
	"slices"

	"github.com/trustpulse/trustpulse/internal/store"
)

// The rest of the district (#16 line 3). A viewer whose scope is not the whole district never
// sees the district row (the district minus their own schools is the others'), but may compare
// their school with every school outside their scope combined. That row is a sum over other
// schools, so it has a rule of its own, applied to each figure here and nowhere else:
//
//   - it combines the schools OUTSIDE the viewer's scope, not "the district minus this school":
//     a leader of two schools could otherwise subtract their other school back out;
//   - at least RestMinSchools of those schools count at least the floor each (which also puts
//     the figure itself over the floor). With a single other school the row is that school; with
//     one big school and tiny ones it is that school give or take a few answers;
//   - no one of those schools makes up more than RestMaxShare of the respondents: with 500
//     answers from one school and 10 from another, the row is the big school within a point or
//     two (a dominance rule, as statistical offices apply to business totals);
//   - a change since the previous wave only when both waves combine the same other schools:
//     otherwise the difference is mostly the school that joined or left.
//
// Only overall figures are combined: there is no rest-of-district breakdown by group.

// RestMinSchools is how many of the other schools, each of at least the floor, a rest-of-district
// figure must combine.
const RestMinSchools = 2

// RestMaxShare is the largest share of a rest-of-district figure's respondents one school may
// have: the other schools together then count at least a third of the largest one.
const RestMaxShare = 0.75

// HiddenFewSchools: a rest-of-district figure whose other schools do not include RestMinSchools
// of at least the floor each, so one school's results could be read from it.
const HiddenFewSchools Hidden = "few_schools"

// RestGroup is the group name of the rest-of-district row.
const RestGroup = "rest_of_district"

// Rest is the rest of the district for a viewer: the wave's schools outside their scope,
// combined. Schools is 0 when every school of the wave is in scope (the district row is theirs,
// and there is no rest).
type Rest struct {
	Schools     int   // the wave's schools outside the viewer's scope
	Respondents Row   // Measure "": respondents (no response rate: invitations do not add up across schools)
	Measures    []Row // each measure's overall figures, in the instrument's order
	// ChangeHidden: the previous wave combined other schools than this one (or none the viewer
	// may see), so no change is shown for the rest of the district.
	ChangeHidden bool
}

// RestCell combines one overall figure (measure "" for respondents) of the schools others in cs
// and applies the rule above: the result is Suppressed (HiddenFewSchools) unless at least
// RestMinSchools of them count at least floor respondents each, the sum does too, and no one of
// them has more than RestMaxShare of the sum. Every
// other school counts towards the sum, hidden ones included: that a small school is in the rest
// gives nothing away once two big ones are. Invited is not added (it does not add up).
func RestCell(cs Cells, others []int64, measure string, floor int) *Cell {
	out := &Cell{}
	big, largest := 0, 0
	for _, s := range others {
		c := cs[Key{School: s, Measure: measure}]
		if c == nil {
			continue
		}
		out.N, out.Sum, out.SumSq = out.N+c.N, out.Sum+c.Sum, out.SumSq+c.SumSq
		out.Favorable, out.Answered = out.Favorable+c.Favorable, out.Answered+c.Answered
		for i := range out.Cats {
			out.Cats[i] += c.Cats[i]
		}
		if c.N >= floor {
			big++
		}
		largest = max(largest, c.N)
	}
	if big < RestMinSchools || out.N < floor || float64(largest) > RestMaxShare*float64(out.N) {
		out.Suppressed, out.Why = true, HiddenFewSchools
	}
	return out
}

// SameSchools reports whether two waves' rest of the district combine the same schools, the
// condition for comparing them.
func SameSchools(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return len(a) > 0 && slices.Equal(a, b)
}

// restOf builds the rest-of-district rows from the other schools' cells of the wave and of the
// previous one (prevOthers nil when there is none the viewer may compare with).
func (wd *WaveData) restOf(others []int64, cur Cells, prevOthers []int64, prev Cells) Rest {
	r := Rest{Schools: len(others), ChangeHidden: !SameSchools(others, prevOthers)}
	row := func(measure string) Row {
		c := RestCell(cur, others, measure, wd.Floor)
		out := Row{Measure: measure, Group: RestGroup, Stat: statOf(c)}
		if c.Suppressed {
			return out
		}
		if measure != "" {
			out.Band = wd.bandOf(measure, out.Mean)
			if !r.ChangeHidden {
				p := RestCell(prev, prevOthers, measure, wd.Floor)
				out.Change, out.FavChange = change(c, p), favChange(c, p)
			}
		}
		return out
	}
	r.Respondents = row("")
	for _, m := range wd.Measures() {
		r.Measures = append(r.Measures, row(m))
	}
	return r
}

// RestOfDistrict is the rest of the district for wd's viewer (see Rest): zero when every school
// of the wave is in their scope. Only the other schools' overall cells are read.
func (s *Service) RestOfDistrict(ctx context.Context, wd *WaveData) (Rest, error) {
	if wd.DistrictVisible {
		return Rest{}, nil
	}
	others, _, err := s.otherSchools(ctx, wd.Wave.DistrictID, wd.Wave.ID, wd.scope)
	if err != nil {
		return Rest{}, err
	}
	cur, err := s.overallCells(ctx, wd.Wave.DistrictID, wd.Wave.ID, others)
	if err != nil {
		return Rest{}, err
	}
	var prevOthers []int64
	var prev Cells
	if wd.Previous != nil {
		po, mine, err := s.otherSchools(ctx, wd.Wave.DistrictID, wd.Previous.ID, wd.scope)
		if err != nil {
			return Rest{}, err
		}
		// A previous wave with none of the viewer's schools is not theirs to compare with: that it
		// exists is news about other schools.
		if mine > 0 && SameSchools(others, po) {
			prevOthers = po
			if prev, err = s.overallCells(ctx, wd.Wave.DistrictID, wd.Previous.ID, po); err != nil {
				return Rest{}, err
			}
		}
	}
	return wd.restOf(others, cur, prevOthers, prev), nil
}

// otherSchools lists a wave's schools outside scope, and counts those inside.
func (s *Service) otherSchools(ctx context.Context, districtID, waveID int64, scope []int64) ([]int64, int, error) {
	var ids []int64
	if err := s.Store.DB.WithContext(ctx).Table("wave_schools").Where("district_id = ? AND wave_id = ?", districtID, waveID).
		Order("school_id").Pluck("school_id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("schools of wave %d: %w", waveID, err)
	}
	others := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return slices.Contains(scope, id) })
	return others, len(ids) - len(others), nil
}

// overallCells reads the overall cells (everyone, no item) of schools in one wave.
func (s *Service) overallCells(ctx context.Context, districtID, waveID int64, schools []int64) (Cells, error) {
	cs := Cells{}
	if len(schools) == 0 {
		return cs, nil
	}
	var rows []store.RollupCell
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND wave_id = ? AND school_id IN ? AND attribute = '' AND item_id = ''",
		districtID, waveID, schools).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("rest of the district, wave %d: %w", waveID, err)
	}
	for _, r := range rows {
		k, c := cellOf(r)
		cs[k] = c
	}
	return cs, nil
}
