package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// Bands. A measure's score falls in one of five bands (0 very weak … 4 very strong) split by four
// cut points. Until a district sets reference values for the measure, the cut points are the
// instrument's starting ones (reporting.cuts: ±0.5 and ±1.5 logits around the centre, no norming
// behind them) and every band is labelled provisional. A district admin sets them per measure,
// either from a reference wave — the district's respondents in that wave: mean ± 0.5 and ± 1.5 SD,
// the 5Essentials band widths, frozen when set so later rebuilds never move them — or by typing
// four cut points. Single-item measures have no bands: they are read as % favorable only.

// DefaultCuts are the cut points of a measure whose instrument names none.
var DefaultCuts = [4]float64{35, 45, 55, 65}

// ReferenceSDs are the distances from the reference mean, in reference SDs, of the four cut points.
var ReferenceSDs = [4]float64{-1.5, -0.5, 0.5, 1.5}

// Reference sources.
const (
	SourceWave = "wave" // cut points from a reference wave's distribution
	SourceCuts = "cuts" // cut points typed in
)

// ActionReference is the audit action for setting or clearing a measure's reference values.
const ActionReference = "results.reference"

// ErrReference wraps reference values that cannot be accepted; the message says why. The error
// is also a *refusal.Error (errors.As), which the reference page words in its language.
var ErrReference = errors.New("invalid reference values")

// Reference is a district's reference values for one measure.
type Reference struct {
	InstrumentID, MeasureID string
	Source                  string
	WaveID                  int64  // the reference wave, for SourceWave
	WaveName                string // its name, when read with References
	Cuts                    [4]float64
	SetBy                   string
	SetAt                   time.Time
}

// BandOf is the band (0 … 4) of a score under four ascending cut points: a score on a cut point
// belongs to the band above it.
func BandOf(cuts [4]float64, v float64) int {
	b := 0
	for _, c := range cuts {
		if v >= c {
			b++
		}
	}
	return b
}

// InstrumentCuts are a measure's starting cut points from its instrument (DefaultCuts if none).
func InstrumentCuts(m survey.Measure) [4]float64 {
	if len(m.Reporting.Cuts) == 4 {
		return [4]float64(m.Reporting.Cuts)
	}
	return DefaultCuts
}

// CutsFromMoments derives cut points from a reference group's scores: mean + k·SD for k in
// ReferenceSDs, rounded to whole points (the reference is a published benchmark, not a result, so
// it carries no more precision than a band needs) and kept within 0–100. It fails for fewer than
// floor respondents, or when the scores are so alike that two cut points coincide.
func CutsFromMoments(m scoring.Moments, floor int) ([4]float64, error) {
	var out [4]float64
	if m.N < max(floor, 2) {
		n := max(floor, 2)
		return out, refusal.Of(ErrReference, refusal.New("wave", "refusal.reference.few_responses",
			fmt.Sprintf("the reference wave has fewer than %d responses for this measure", n), "Count", n))
	}
	mean, sd := m.Mean(), m.SD()
	for i, k := range ReferenceSDs {
		out[i] = math.Max(0, math.Min(100, math.Round(mean+k*sd)))
	}
	if err := CheckCuts(out); err != nil {
		return out, refusal.Of(ErrReference, refusal.New("wave", "refusal.reference.too_alike",
			fmt.Sprintf("the reference wave's scores are too alike to set bands (cut points %v)", out), "Cuts", fmt.Sprint(out)))
	}
	return out, nil
}

// CheckCuts accepts four strictly ascending cut points within 0–100.
func CheckCuts(cuts [4]float64) error {
	for i, c := range cuts {
		if math.IsNaN(c) || c < 0 || c > 100 || (i > 0 && c <= cuts[i-1]) {
			return refusal.Of(ErrReference, refusal.New("cuts", "refusal.reference.cuts",
				fmt.Sprintf("cut points must be four ascending numbers within 0–100, not %v", cuts), "Cuts", fmt.Sprint(cuts)))
		}
	}
	return nil
}

// ReferenceChange is what the reference page asks for one measure: a reference wave, explicit
// cut points, or (Clear) back to the provisional starting cut points.
type ReferenceChange struct {
	InstrumentID, MeasureID string
	Clear                   bool
	WaveID                  int64      // set: derive the cut points from this wave
	Cuts                    [4]float64 // otherwise: these cut points
}

// References lists a district's reference values with their waves' names, by instrument and measure.
func (s *Service) References(ctx context.Context, districtID int64) ([]Reference, error) {
	rows, err := referenceRows(s.Store.DB.WithContext(ctx), districtID, "")
	if err != nil {
		return nil, err
	}
	named, err := s.namedReferences(ctx, districtID, rows)
	if err != nil {
		return nil, err
	}
	out := make([]Reference, 0, len(rows))
	for _, r := range rows {
		out = append(out, named[r.InstrumentID+"/"+r.MeasureID])
	}
	slices.SortFunc(out, func(a, b Reference) int {
		return strings.Compare(a.InstrumentID+"\x00"+a.MeasureID, b.InstrumentID+"\x00"+b.MeasureID)
	})
	return out, nil
}

// ChangeReference is the use case behind the reference page: it sets (or clears) one measure's
// reference values, marks every wave of the instrument for a rebuild (the band distributions are
// counted under the cut points), and writes the audit row, in one transaction. A reference wave
// must be a wave of the same instrument that has opened, with at least floor respondents to the
// measure district-wide; its cut points are computed here, once.
func (s *Service) ChangeReference(ctx context.Context, districtID int64, ch ReferenceChange, by auth.Actor) error {
	in, ok := s.Surveys.Latest(ch.InstrumentID)
	if !ok {
		return refusal.Of(ErrReference, refusal.New("instrument", "refusal.reference.survey",
			fmt.Sprintf("unknown survey %q", ch.InstrumentID), "Survey", strconv.Quote(ch.InstrumentID)))
	}
	i := slices.IndexFunc(in.Measures, func(m survey.Measure) bool { return m.ID == ch.MeasureID })
	if i < 0 {
		return refusal.Of(ErrReference, refusal.New("measure", "refusal.reference.measure",
			fmt.Sprintf("survey %s has no measure %q", ch.InstrumentID, ch.MeasureID), "Survey", ch.InstrumentID, "Measure", strconv.Quote(ch.MeasureID)))
	}
	if in.Measures[i].SingleItem {
		return refusal.Of(ErrReference, refusal.New("measure", "refusal.reference.single_item",
			ch.MeasureID+" is a single question, shown as % favorable only: it has no bands", "Measure", ch.MeasureID))
	}
	var d store.District
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return store.NotFound(err, "district")
	}
	return s.Store.Tx(ctx, func(tx *gorm.DB) error {
		key := "district_id = ? AND instrument_id = ? AND measure_id = ?"
		var detail string
		switch {
		case ch.Clear:
			if err := tx.Where(key, districtID, ch.InstrumentID, ch.MeasureID).Delete(&store.MeasureReference{}).Error; err != nil {
				return fmt.Errorf("clear reference: %w", err)
			}
			detail = fmt.Sprintf("%s/%s: cleared, bands provisional", ch.InstrumentID, ch.MeasureID)
		default:
			row := store.MeasureReference{DistrictID: districtID, InstrumentID: ch.InstrumentID, MeasureID: ch.MeasureID, Source: SourceCuts,
				SetBy: by.Entry(districtID, "", "", "").Actor, SetAt: s.Store.Now()}
			cuts := ch.Cuts
			if ch.WaveID != 0 {
				var w store.Wave
				if err := tx.Where("district_id = ? AND id = ? AND instrument_id = ? AND status <> ?", districtID, ch.WaveID, ch.InstrumentID, store.StatusDraft).
					First(&w).Error; err != nil {
					if errors.Is(err, gorm.ErrRecordNotFound) {
						return refusal.Of(ErrReference, refusal.New("wave", "refusal.reference.wave",
							fmt.Sprintf("no wave %d of %s has opened", ch.WaveID, ch.InstrumentID), "Wave", ch.WaveID, "Survey", ch.InstrumentID))
					}
					return err
				}
				var cells []store.RollupCell
				if err := tx.Where("district_id = ? AND wave_id = ? AND school_id = 0 AND measure_id = ? AND item_id = '' AND attribute = ''",
					districtID, w.ID, ch.MeasureID).Find(&cells).Error; err != nil {
					return fmt.Errorf("reference wave results: %w", err)
				}
				var m scoring.Moments
				if len(cells) == 1 && !cells[0].Suppressed {
					m = scoring.Moments{N: cells[0].N, Sum: cells[0].Sum, SumSq: cells[0].SumSq}
				}
				var err error
				if cuts, err = CutsFromMoments(m, s.floor(d)); err != nil {
					return err
				}
				row.Source, row.WaveID = SourceWave, &w.ID
				detail = fmt.Sprintf("%s/%s: from wave %d (%s), cut points %s", ch.InstrumentID, ch.MeasureID, w.ID, w.Name, cutsText(cuts))
			} else {
				if err := CheckCuts(cuts); err != nil {
					return err
				}
				detail = fmt.Sprintf("%s/%s: cut points %s", ch.InstrumentID, ch.MeasureID, cutsText(cuts))
			}
			row.Cut1, row.Cut2, row.Cut3, row.Cut4 = cuts[0], cuts[1], cuts[2], cuts[3]
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "district_id"}, {Name: "instrument_id"}, {Name: "measure_id"}},
				UpdateAll: true}).Create(&row).Error; err != nil {
				return fmt.Errorf("save reference: %w", err)
			}
		}
		var waves []int64
		if err := tx.Model(&store.Wave{}).Where("district_id = ? AND instrument_id = ? AND status <> ?", districtID, ch.InstrumentID, store.StatusDraft).
			Pluck("id", &waves).Error; err != nil {
			return err
		}
		for _, w := range waves {
			if err := store.MarkWaveStale(tx, districtID, w); err != nil {
				return err
			}
		}
		return auth.AuditTx(tx, s.Store.Now(), by.Entry(districtID, ActionReference, "measure "+ch.InstrumentID+"/"+ch.MeasureID, detail))
	})
}

// namedReferences reads rows as References with their reference waves' names, keyed by measure id
// and by "instrument/measure".
func (s *Service) namedReferences(ctx context.Context, districtID int64, rows []store.MeasureReference) (map[string]Reference, error) {
	ids := []int64{-1}
	for _, r := range rows {
		if r.WaveID != nil {
			ids = append(ids, *r.WaveID)
		}
	}
	var waves []store.Wave
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND id IN ?", districtID, ids).Find(&waves).Error; err != nil {
		return nil, fmt.Errorf("reference waves: %w", err)
	}
	out := make(map[string]Reference, 2*len(rows))
	for _, r := range rows {
		ref := referenceOf(r)
		if i := slices.IndexFunc(waves, func(w store.Wave) bool { return w.ID == ref.WaveID }); i >= 0 {
			ref.WaveName = waves[i].Name
		}
		out[r.MeasureID], out[r.InstrumentID+"/"+r.MeasureID] = ref, ref
	}
	return out, nil
}

func cutsText(c [4]float64) string {
	return fmt.Sprintf("%g/%g/%g/%g", c[0], c[1], c[2], c[3])
}

// referenceRows reads a district's reference rows (of one instrument, unless "").
func referenceRows(db *gorm.DB, districtID int64, instrument string) ([]store.MeasureReference, error) {
	q := db.Where("district_id = ?", districtID)
	if instrument != "" {
		q = q.Where("instrument_id = ?", instrument)
	}
	var rows []store.MeasureReference
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("reference values: %w", err)
	}
	return rows, nil
}

func referenceOf(r store.MeasureReference) Reference {
	ref := Reference{InstrumentID: r.InstrumentID, MeasureID: r.MeasureID, Source: r.Source, Cuts: [4]float64{r.Cut1, r.Cut2, r.Cut3, r.Cut4},
		SetBy: r.SetBy, SetAt: r.SetAt}
	if r.WaveID != nil {
		ref.WaveID = *r.WaveID
	}
	return ref
}

// referenceCuts are the reference cut points a district set for an instrument's measures.
func referenceCuts(db *gorm.DB, districtID int64, instrument string) (map[string][4]float64, error) {
	rows, err := referenceRows(db, districtID, instrument)
	if err != nil {
		return nil, err
	}
	out := make(map[string][4]float64, len(rows))
	for _, r := range rows {
		out[r.MeasureID] = [4]float64{r.Cut1, r.Cut2, r.Cut3, r.Cut4}
	}
	return out, nil
}

// Band is where a score falls among a measure's bands, and whether those are provisional.
type Band struct {
	Index       int // 0 very weak … 4 very strong
	Provisional bool
}

// Cuts are a measure's cut points in this wave's district: its reference values if the district
// set them, else the instrument's starting ones (provisional). ref is nil when provisional.
func (wd *WaveData) Cuts(measure string) (cuts [4]float64, ref *Reference) {
	if r, ok := wd.refs[measure]; ok {
		return r.Cuts, &r
	}
	for _, m := range wd.Instrument.Measures {
		if m.ID == measure {
			return InstrumentCuts(m), nil
		}
	}
	return DefaultCuts, nil
}

// bandOf is the band of a shown group's score, nil for single-item measures (no bands) and for
// scores that are not numbers.
func (wd *WaveData) bandOf(measure string, v float64) *Band {
	if math.IsNaN(v) || wd.singleItem(measure) {
		return nil
	}
	cuts, ref := wd.Cuts(measure)
	return &Band{Index: BandOf(cuts, v), Provisional: ref == nil}
}

func (wd *WaveData) singleItem(measure string) bool {
	for _, m := range wd.Instrument.Measures {
		if m.ID == measure {
			return m.SingleItem
		}
	}
	return false
}
