package measures

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// LanguageCheckLimit bounds the responses one language check reads per instrument version: the
// newest waves' answers up to this many. 20,000 gives every group of 100+ respondents item SEs
// near 0.1 logits, and keeps the check to a few MB and well under a second per measure.
const LanguageCheckLimit = 20000

// ReferenceLanguage is the language the items were written in: every translation is compared
// with it.
const ReferenceLanguage = "en"

// LanguageCheck is the DIF check of one measure of one calibrated instrument version.
type LanguageCheck struct {
	Instrument *survey.Instrument
	Measure    survey.Measure
	Responses  int // responses with a known language that were read
	Result     scoring.DIFResult
	// Unchecked says why the measure has no comparison yet (UncheckedNoReference or
	// UncheckedOneLanguage); empty when Result compares at least one translation.
	Unchecked string
}

// Why a measure has no comparison: codes, so pages word them in the reader's language.
const (
	UncheckedNoReference = "no-reference" // no language has scoring.DIFMinGroup responses
	UncheckedOneLanguage = "one-language" // only one language has that many
)

// Flags counts the flagged items of the check, over every focal language.
func (c LanguageCheck) Flags() int {
	n := 0
	for _, g := range c.Result.Groups {
		n += len(g.Flagged())
	}
	return n
}

// LanguageChecks runs the differential item functioning check by response language for every
// multi-item measure of every instrument version the district has calibrated. Responses without
// a recorded language (class-code answers keep none, so the language cannot narrow a group) are
// left out. Single-item measures have nothing to compare an item against and are not checked.
func (s *Service) LanguageChecks(ctx context.Context, districtID int64) ([]LanguageCheck, error) {
	var cals []store.Calibration
	if err := s.Store.DB.WithContext(ctx).Select("instrument_id", "version").Where("district_id = ?", districtID).
		Order("instrument_id, version").Find(&cals).Error; err != nil {
		return nil, fmt.Errorf("language checks: load calibrations: %w", err)
	}
	var out []LanguageCheck
	seen := map[calKey]bool{}
	for _, c := range cals {
		key := calKey{districtID, c.InstrumentID, c.Version}
		if seen[key] {
			continue
		}
		seen[key] = true
		in, ok := s.Surveys.Get(c.InstrumentID, c.Version)
		if !ok {
			continue // an instrument this program no longer ships: nothing to show its texts with
		}
		checks, err := s.languageChecks(ctx, districtID, in)
		if err != nil {
			return nil, err
		}
		out = append(out, checks...)
	}
	return out, nil
}

func (s *Service) languageChecks(ctx context.Context, districtID int64, in *survey.Instrument) ([]LanguageCheck, error) {
	var rows []store.Response
	err := s.Store.DB.WithContext(ctx).Model(&store.Response{}).
		Select("responses.language", "responses.answers").
		Joins("JOIN waves ON waves.district_id = responses.district_id AND waves.id = responses.wave_id").
		Where("responses.district_id = ? AND waves.instrument_id = ? AND waves.instrument_version = ? AND responses.language <> ''",
			districtID, in.ID, in.Version).
		Order("waves.opens_at DESC, waves.id DESC").Limit(LanguageCheckLimit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("language checks %s v%d: load responses: %w", in.ID, in.Version, err)
	}
	groups := make([]string, len(rows))
	for i, r := range rows {
		groups[i] = r.Language
	}
	var out []LanguageCheck
	for _, m := range in.Measures {
		idx, rev := measureItems(in, m.ID)
		if len(idx) < 2 {
			continue
		}
		mat := scoring.Matrix{K: in.Scale.Points, Data: make([][]int8, len(rows))}
		for _, i := range idx {
			mat.Items = append(mat.Items, in.Items[i].ID)
		}
		for n, r := range rows {
			mat.Data[n] = answerRow(in, idx, rev, r.Answers)
		}
		chk := LanguageCheck{Instrument: in, Measure: m, Responses: len(rows)}
		res, err := scoring.GroupDIF(mat, groups, ReferenceLanguage)
		switch {
		case errors.Is(err, scoring.ErrDIFNoReference):
			chk.Unchecked = UncheckedNoReference
		case err != nil:
			return nil, fmt.Errorf("language checks %s v%d %s: %w", in.ID, in.Version, m.ID, err)
		default:
			chk.Result = res
			if len(res.Groups) == 0 {
				chk.Unchecked = UncheckedOneLanguage
			}
		}
		out = append(out, chk)
	}
	return out, nil
}
