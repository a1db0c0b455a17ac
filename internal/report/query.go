package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// ErrUnknownAttribute is returned for a breakdown the wave's audience or the district does not report.
var ErrUnknownAttribute = errors.New("unknown attribute")

// All is the group name of everyone.
const All = "all"

// Row is one group's result for one measure (Measure "" counts respondents).
type Row struct {
	Measure   string
	Attribute string
	Group     string
	Stat
	Gap    *Compare // against the rest of the school; nil when not computed or not shown
	Change *Compare // against the same group in the previous wave
	// SinceBaseline and YearOverYear compare with the same group in the first wave of the school
	// year and in the wave of the same season last year (nil when there is none or either is hidden).
	SinceBaseline, YearOverYear *Compare
	// FavSinceBaseline and FavYearOverYear are the same on % favorable, in percentage points.
	FavSinceBaseline, FavYearOverYear *Compare
	// FavGap and FavChange are the same comparisons on % favorable, in percentage points (the
	// headline of single-item measures, which have no scale score worth comparing).
	FavGap, FavChange *Compare
	// Band is the score's band (nil for hidden groups and single-item measures).
	Band *Band
	// Combines names the groups a Combined row pools, only when each of them counts at least the
	// floor on its own (as a district's pool of groups each school had to pool may); otherwise it
	// is nil and the row is just "combined", since naming its groups would tell which small groups
	// exist.
	Combines []string
}

// ItemRow is one item's % favorable in one school (or the district) and wave.
type ItemRow struct {
	Measure, Item string
	Stat
	// FavChange is the item's % favorable change since the previous wave, in percentage points.
	FavChange *Compare
}

// WaveData is what every results view needs about one wave.
type WaveData struct {
	Wave       store.Wave
	Instrument *survey.Instrument
	Previous   *store.Wave // the previous wave of the same instrument, if any
	Baseline   *store.Wave // the first wave of the school year before this one (BaselineOf), if any
	YearAgo    *store.Wave // the wave of the same season last year (YearAgoOf), if any
	Floor      int
	Attributes []string // the breakdowns this wave reports
	Schools    []store.School
	// DistrictVisible: every school of the wave is in the viewer's scope. A district row adds up
	// every school, so without that it would give away the schools outside the scope (the district
	// minus one's own school is the other school): it is then hidden, at this level, everywhere.
	DistrictVisible bool
	prevDistrict    bool           // the same for the previous wave: the district row's change is shown only then
	scope           []int64        // the viewer's schools: the rest of the district is every other school (RestOfDistrict)
	outside         map[int64]bool // the district's waves with a school outside the scope (for the district trend)
	cur, prev       Cells
	pools           [2]map[poolKey][]string // poolsOf cur and prev, made when first asked
	base, yago      Cells
	baseDistrict    bool                 // the district row's comparison with Baseline may be shown (as prevDistrict)
	yagoDistrict    bool                 // the same for YearAgo
	refs            map[string]Reference // the district's reference values for the instrument's measures
}

// Wave loads one wave's cells (and its predecessor's, for change) for the given schools and the
// district. Only rollup rows are read; no answer is touched.
func (s *Service) Wave(ctx context.Context, districtID, waveID int64, schools []int64) (*WaveData, error) {
	return s.wave(ctx, districtID, waveID, schools, append([]int64{0}, schools...))
}

// WaveOf is Wave for views of one school (0: the district): Schools still lists every school of
// the wave in scope, but only that school's cells are read, a twentieth of a district's. Asking
// the result for any other school finds no groups.
func (s *Service) WaveOf(ctx context.Context, districtID, waveID int64, schools []int64, school int64) (*WaveData, error) {
	if school != 0 && !slices.Contains(schools, school) {
		return nil, fmt.Errorf("school %d: %w", school, store.ErrNotFound)
	}
	return s.wave(ctx, districtID, waveID, schools, []int64{school})
}

// wave loads the wave, its schools among scope and the cells of the schools in cellsOf.
func (s *Service) wave(ctx context.Context, districtID, waveID int64, scope, cellsOf []int64) (*WaveData, error) {
	db := s.Store.DB.WithContext(ctx)
	wd := &WaveData{scope: scope}
	var d store.District
	if err := db.Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return nil, store.NotFound(err, "district")
	}
	if err := db.Where("district_id = ? AND id = ? AND status <> ?", districtID, waveID, store.StatusDraft).First(&wd.Wave).Error; err != nil {
		return nil, store.NotFound(err, fmt.Sprintf("wave %d", waveID))
	}
	in, ok := s.Surveys.Get(wd.Wave.InstrumentID, wd.Wave.InstrumentVersion)
	if !ok {
		return nil, fmt.Errorf("wave %d: instrument %s v%d is not in this program", waveID, wd.Wave.InstrumentID, wd.Wave.InstrumentVersion)
	}
	wd.Instrument, wd.Floor, wd.Attributes = in, s.floor(d), Attributes(in.Audience, d.Settings)
	var prev []store.Wave
	if err := db.Where("district_id = ? AND instrument_id = ? AND status <> ? AND opens_at < ?", districtID, wd.Wave.InstrumentID, store.StatusDraft, wd.Wave.OpensAt).
		Order("opens_at DESC").Limit(1).Find(&prev).Error; err != nil {
		return nil, fmt.Errorf("previous wave: %w", err)
	}
	if len(prev) == 1 {
		wd.Previous = &prev[0]
		var earlier []store.Wave
		if err := db.Where("district_id = ? AND instrument_id = ? AND status <> ? AND opens_at < ? AND opens_at >= ?", districtID, wd.Wave.InstrumentID,
			store.StatusDraft, wd.Wave.OpensAt, wd.Wave.OpensAt.AddDate(-1, 0, 0).Add(-YearAgoWindow)).Order("opens_at").Find(&earlier).Error; err != nil {
			return nil, fmt.Errorf("earlier waves: %w", err)
		}
		wd.Baseline, wd.YearAgo = BaselineOf(earlier, wd.Wave), YearAgoOf(earlier, wd.Wave)
	}
	if err := db.Table("schools s").Select("s.*").
		Joins("JOIN wave_schools ws ON ws.district_id = s.district_id AND ws.school_id = s.id").
		Where("ws.district_id = ? AND ws.wave_id = ? AND s.id IN ?", districtID, waveID, append([]int64{-1}, scope...)).
		Order("s.name").Find(&wd.Schools).Error; err != nil {
		return nil, fmt.Errorf("wave schools: %w", err)
	}
	rows, err := referenceRows(db, districtID, wd.Wave.InstrumentID)
	if err != nil {
		return nil, err
	}
	if wd.refs, err = s.namedReferences(ctx, districtID, rows); err != nil {
		return nil, err
	}
	if wd.outside, err = s.wavesOutside(ctx, districtID, scope); err != nil {
		return nil, err
	}
	wd.DistrictVisible = !wd.outside[waveID]
	wd.prevDistrict = wd.Previous != nil && !wd.outside[wd.Previous.ID]
	if wd.cur, err = s.cells(ctx, districtID, waveID, cellsOf); err != nil {
		return nil, err
	}
	if wd.Previous != nil {
		if wd.prev, err = s.cells(ctx, districtID, wd.Previous.ID, cellsOf); err != nil {
			return nil, err
		}
	}
	// The baseline and last year's wave: often the previous wave itself, read once.
	for _, o := range []struct {
		w        *store.Wave
		cells    *Cells
		district *bool
	}{{wd.Baseline, &wd.base, &wd.baseDistrict}, {wd.YearAgo, &wd.yago, &wd.yagoDistrict}} {
		switch {
		case o.w == nil:
		case wd.Previous != nil && o.w.ID == wd.Previous.ID:
			*o.cells = wd.prev
		default:
			if *o.cells, err = s.cells(ctx, districtID, o.w.ID, cellsOf); err != nil {
				return nil, err
			}
		}
		*o.district = o.w != nil && !wd.outside[o.w.ID]
	}
	return wd, nil
}

// wavesOutside is the set of the district's waves with a school outside scope: their district
// rows are not the viewer's to see.
func (s *Service) wavesOutside(ctx context.Context, districtID int64, scope []int64) (map[int64]bool, error) {
	var ids []int64
	if err := s.Store.DB.WithContext(ctx).Model(&store.WaveSchool{}).Distinct("wave_id").
		Where("district_id = ? AND school_id NOT IN ?", districtID, append([]int64{-1}, scope...)).Pluck("wave_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("waves outside the scope: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func (s *Service) cells(ctx context.Context, districtID, waveID int64, schools []int64) (Cells, error) {
	var rows []store.RollupCell
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND wave_id = ? AND school_id IN ?", districtID, waveID, schools).
		Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read results of wave %d: %w", waveID, err)
	}
	cs := make(Cells, len(rows))
	for _, r := range rows {
		k, c := cellOf(r)
		cs[k] = c
	}
	return cs, nil
}

// CheckAttribute reports whether by is a breakdown this wave offers ("" is everyone).
func (wd *WaveData) CheckAttribute(by string) error {
	if by == "" || slices.Contains(wd.Attributes, by) {
		return nil
	}
	return fmt.Errorf("%w %q: this wave reports %v", ErrUnknownAttribute, by, wd.Attributes)
}

// Measures lists the measure ids in the instrument's order.
func (wd *WaveData) Measures() []string {
	out := make([]string, len(wd.Instrument.Measures))
	for i, m := range wd.Instrument.Measures {
		out[i] = m.ID
	}
	return out
}

// Rows is the table for one school (0: the district) broken down by an attribute ("" for one
// overall row per measure). measure "" gives respondent counts and response rates instead.
func (wd *WaveData) Rows(school int64, measure, by string) []Row {
	if by == "" {
		return []Row{wd.row(school, measure, "", "")}
	}
	if school == 0 && !wd.DistrictVisible {
		return nil // not even which groups exist across the district
	}
	values := wd.values(school, measure, by)
	if IsPair(by) && wd.tableHidden(school, measure, by, values) {
		return []Row{{Measure: measure, Attribute: by, Group: HiddenTable, Stat: Stat{Suppressed: true, Why: HiddenProtect}}}
	}
	var out []Row
	for _, v := range values {
		out = append(out, wd.row(school, measure, by, v))
	}
	return out
}

// Results is Rows for every measure, the shape of the API.
func (wd *WaveData) Results(school int64, by string) []Row {
	var out []Row
	for _, m := range wd.Measures() {
		out = append(out, wd.Rows(school, m, by)...)
	}
	return out
}

func (wd *WaveData) row(school int64, measure, attr, value string) Row {
	k := Key{School: school, Measure: measure, Attribute: attr, Value: value}
	if school == 0 && !wd.DistrictVisible {
		return Row{Measure: measure, Attribute: attr, Group: cmp.Or(value, All), Stat: Stat{Suppressed: true}}
	}
	c := wd.cur[k]
	r := Row{Measure: measure, Attribute: attr, Group: cmp.Or(value, All), Stat: statOf(c)}
	if measure != "" && !r.Suppressed {
		r.Band = wd.bandOf(measure, r.Mean)
	}
	if attr != "" && measure != "" {
		total := wd.cur[Key{School: school, Measure: measure}]
		r.Gap, r.FavGap = gap(c, total, wd.Floor), favGap(c, total, wd.Floor)
	}
	if measure != "" && (school != 0 || wd.prevDistrict) && (value != Combined || slices.Equal(wd.members(false, school, attr), wd.members(true, school, attr))) {
		// A pool is compared with the previous wave's only when both pool the same groups.
		r.Change, r.FavChange = change(c, wd.prev[k]), favChange(c, wd.prev[k])
	}
	// A pooled group is compared only with the previous wave (whose pool is checked above): the
	// baseline's or last year's pool may combine other groups.
	if measure != "" && value != Combined && wd.Baseline != nil && (school != 0 || wd.baseDistrict) {
		r.SinceBaseline, r.FavSinceBaseline = change(c, wd.base[k]), favChange(c, wd.base[k])
	}
	if measure != "" && value != Combined && wd.YearAgo != nil && (school != 0 || wd.yagoDistrict) {
		r.YearOverYear, r.FavYearOverYear = change(c, wd.yago[k]), favChange(c, wd.yago[k])
	}
	if value == Combined && !r.Suppressed {
		r.Combines = wd.members(false, school, attr)
		for _, v := range r.Combines {
			if m := wd.cur[Key{School: school, Attribute: attr, Value: v}]; m == nil || m.N < wd.Floor {
				r.Combines = nil
				break
			}
		}
	}
	return r
}

// members lists the groups pooled into an attribute's Combined group in one school of the wave
// (of the previous wave, with prev), in order.
func (wd *WaveData) members(prev bool, school int64, attr string) []string {
	if wd.pools[0] == nil {
		wd.pools = [2]map[poolKey][]string{poolsOf(wd.cur), poolsOf(wd.prev)}
	}
	if prev {
		return wd.pools[1][poolKey{school, attr}]
	}
	return wd.pools[0][poolKey{school, attr}]
}

// poolsOf lists each school's and attribute's pooled groups, in order.
func poolsOf(cs Cells) map[poolKey][]string {
	out := map[poolKey][]string{}
	for k, c := range cs {
		if k.Measure == "" && k.Item == "" && c.Why == HiddenPooled {
			pk := poolKey{k.School, k.Attribute}
			out[pk] = append(out[pk], k.Value)
		}
	}
	for _, vs := range out {
		slices.SortFunc(vs, compareValues)
	}
	return out
}

// HiddenTable is the one group a hidden two-way table answers with: its combinations are not
// listed, since which ones exist is itself a fact about groups smaller than the floor.
const HiddenTable = "*"

// tableHidden reports whether a two-way table is withheld (suppressPairs hides it whole; its
// empty combinations are hidden but give nothing away).
func (wd *WaveData) tableHidden(school int64, measure, attr string, values []string) bool {
	for _, v := range values {
		if c := wd.cur[Key{School: school, Measure: measure, Attribute: attr, Value: v}]; c.Suppressed && c.N > 0 {
			return true
		}
	}
	return false
}

// values lists an attribute's groups in a school, naturally ordered, "not recorded" and then a
// pool last. Hidden groups are listed too: a reader must see that a group exists but is too small
// to show. Groups pooled into Combined are not: the pool stands for them.
func (wd *WaveData) values(school int64, measure, attr string) []string {
	var out []string
	for k, c := range wd.cur {
		if k.School == school && k.Measure == measure && k.Item == "" && k.Attribute == attr && c.Why != HiddenPooled {
			out = append(out, k.Value)
		}
	}
	slices.SortFunc(out, compareValues)
	return out
}

// compareValues orders grades numerically and text alphabetically, with NotRecorded last.
func compareValues(a, b string) int {
	if a1, a2, ok := strings.Cut(a, ","); ok {
		if b1, b2, ok := strings.Cut(b, ","); ok {
			return cmp.Or(compareValues(a1, b1), compareValues(a2, b2)) // two-way groups: by the first, then the second
		}
	}
	if (a == Combined) != (b == Combined) {
		if a == Combined {
			return 1
		}
		return -1
	}
	if (a == NotRecorded) != (b == NotRecorded) {
		if a == NotRecorded {
			return 1
		}
		return -1
	}
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}

// Items lists each item's % favorable in a school (0: the district), in presentation order.
func (wd *WaveData) Items(school int64) []ItemRow {
	out := make([]ItemRow, 0, len(wd.Instrument.Items))
	for _, it := range wd.Instrument.Items {
		c := wd.cur[Key{School: school, Measure: it.Measure, Item: it.ID}]
		if school == 0 && !wd.DistrictVisible {
			c = nil
		}
		row := ItemRow{Measure: it.Measure, Item: it.ID, Stat: statOf(c)}
		if c != nil && (school != 0 || wd.prevDistrict) {
			row.FavChange = favChange(c, wd.prev[Key{School: school, Measure: it.Measure, Item: it.ID}])
		}
		out = append(out, row)
	}
	return out
}

// TrendPoint is one wave of a school's trend: each measure's overall result.
type TrendPoint struct {
	Wave     store.Wave
	Measures []Stat // in the instrument's measure order
}

// Trend lists a school's (0: the district's) overall results across every wave of an instrument,
// oldest first, up to and including the wave `until` opens. The district's trend leaves out waves
// with a school outside the scope wd was loaded with.
func (s *Service) Trend(ctx context.Context, wd *WaveData, school int64) ([]TrendPoint, error) {
	db := s.Store.DB.WithContext(ctx)
	var waves []store.Wave
	if err := db.Where("district_id = ? AND instrument_id = ? AND status <> ? AND opens_at <= ?", wd.Wave.DistrictID, wd.Wave.InstrumentID,
		store.StatusDraft, wd.Wave.OpensAt).Order("opens_at").Find(&waves).Error; err != nil {
		return nil, fmt.Errorf("trend waves: %w", err)
	}
	if school == 0 {
		waves = slices.DeleteFunc(waves, func(w store.Wave) bool { return wd.outside[w.ID] })
	}
	ids := make([]int64, len(waves))
	for i, w := range waves {
		ids[i] = w.ID
	}
	var rows []store.RollupCell
	if err := db.Where("district_id = ? AND wave_id IN ? AND school_id = ? AND item_id = '' AND attribute = ''", wd.Wave.DistrictID, ids, school).
		Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	byWave := map[int64]Cells{}
	for _, r := range rows {
		if byWave[r.WaveID] == nil {
			byWave[r.WaveID] = Cells{}
		}
		_, c := cellOf(r)
		byWave[r.WaveID][Key{Measure: r.MeasureID}] = c
	}
	out := make([]TrendPoint, 0, len(waves))
	for _, w := range waves {
		p := TrendPoint{Wave: w}
		for _, m := range wd.Measures() {
			p.Measures = append(p.Measures, statOf(byWave[w.ID][Key{Measure: m}]))
		}
		out = append(out, p)
	}
	return out, nil
}

// Waves lists a district's waves that have opened, newest first.
func (s *Service) Waves(ctx context.Context, districtID int64) ([]store.Wave, error) {
	var ws []store.Wave
	err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND status <> ?", districtID, store.StatusDraft).
		Order("opens_at DESC, name").Find(&ws).Error
	return ws, err
}

// Schools lists a district's schools by name.
func (s *Service) Schools(ctx context.Context, districtID int64) ([]store.School, error) {
	var ss []store.School
	err := s.Store.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("name").Find(&ss).Error
	return ss, err
}
