package httpserver

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// referencePage is /admin/results/reference: per survey and measure with bands, where its bands
// come from and a form to set them from a reference wave or cut points, or make them provisional.
type referencePage struct {
	Error       string
	Instruments []referenceInstrument
}

type referenceInstrument struct {
	ID, Name string
	Measures []referenceMeasure
	Waves    []option // the district's waves of this survey that have opened, newest first
}

type referenceMeasure struct {
	ID, Name, Key string // Key: the form's id prefix
	Status        string // where the bands come from now, with the cut points
	Source        string // report.SourceWave, report.SourceCuts or "" (provisional)
	WaveID        string
	Cuts          [4]string
	Starting      string // the survey's starting cut points
}

// adminResultsReference shows the reference values of every measure with bands.
func (s *Server) adminResultsReference(c echo.Context) error {
	pg, err := s.referencePage(c, "")
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "results_reference", s.adminT(c, "reference.title"), pg)
}

// adminResultsReferenceSave sets (or clears) one measure's reference values: report.ChangeReference,
// audited in its transaction, then every wave of the survey is rebuilt in the background.
func (s *Server) adminResultsReferenceSave(c echo.Context) error {
	p := principal(c)
	ch := report.ReferenceChange{InstrumentID: c.FormValue("instrument"), MeasureID: c.FormValue("measure")}
	var formErr string
	switch c.FormValue("source") {
	case "clear":
		ch.Clear = true
	case report.SourceWave:
		id, err := strconv.ParseInt(c.FormValue("wave"), 10, 64)
		if err != nil || id <= 0 {
			formErr = s.adminT(c, "reference.err_wave")
		}
		ch.WaveID = id
	case report.SourceCuts:
		for i := range ch.Cuts {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.Replace(c.FormValue("cut"+strconv.Itoa(i)), ",", ".", 1)), 64)
			if err != nil {
				formErr = s.adminT(c, "reference.err_cuts")
			}
			ch.Cuts[i] = v
		}
	default:
		formErr = s.adminT(c, "reference.err_source")
	}
	var err error
	if formErr == "" {
		err = s.Results.ChangeReference(c.Request().Context(), p.User.DistrictID, ch, actor(c, p))
		if errors.Is(err, report.ErrReference) {
			formErr = strings.TrimPrefix(err.Error(), report.ErrReference.Error()+": ")
			if r := (*refusal.Error)(nil); errors.As(err, &r) {
				formErr = s.adminRefusal(c, r) // in the page's language (dashboard-refusals-report)
			}
		} else if err != nil {
			return err
		}
	}
	if formErr != "" {
		pg, err := s.referencePage(c, formErr)
		if err != nil {
			return err
		}
		return s.adminRender(c, http.StatusUnprocessableEntity, "results_reference", s.adminT(c, "reference.title"), pg)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/results/reference?notice=reference")
}

// referencePage lists every survey of the program with a banded measure, the district's waves of
// it and each measure's reference values.
func (s *Server) referencePage(c echo.Context, errMsg string) (referencePage, error) {
	ctx := c.Request().Context()
	district := principal(c).User.DistrictID
	refs, err := s.Results.References(ctx, district)
	if err != nil {
		return referencePage{}, err
	}
	waves, err := s.Results.Waves(ctx, district)
	if err != nil {
		return referencePage{}, err
	}
	d := s.dashFor(c)
	lb := d.labels()
	pg := referencePage{Error: errMsg}
	var seen []string
	for _, in0 := range s.Surveys.Instruments() {
		if slices.Contains(seen, in0.ID) {
			continue
		}
		seen = append(seen, in0.ID)
		in, _ := s.Surveys.Latest(in0.ID)
		ri := referenceInstrument{ID: in.ID, Name: lb.Instrument(in.ID, in.Version)}
		for _, w := range waves {
			if w.InstrumentID == in.ID && w.Status != store.StatusDraft {
				ri.Waves = append(ri.Waves, option{Value: id64(w.ID), Label: w.Name})
			}
		}
		for _, m := range in.Measures {
			if m.SingleItem {
				continue
			}
			ri.Measures = append(ri.Measures, s.referenceMeasure(c, d, in, m, refs))
		}
		if len(ri.Measures) > 0 {
			pg.Instruments = append(pg.Instruments, ri)
		}
	}
	return pg, nil
}

func (s *Server) referenceMeasure(c echo.Context, d dash, in *survey.Instrument, m survey.Measure, refs []report.Reference) referenceMeasure {
	start := report.InstrumentCuts(m)
	rm := referenceMeasure{ID: m.ID, Name: textIn(m.Name, d.lang, m.ID), Key: in.ID + "-" + m.ID, Starting: cutsLabel(start)}
	cuts := start
	i := slices.IndexFunc(refs, func(r report.Reference) bool { return r.InstrumentID == in.ID && r.MeasureID == m.ID })
	switch {
	case i < 0:
		rm.Status = s.adminT(c, "reference.status_provisional", "Cuts", cutsLabel(start))
	case refs[i].Source == report.SourceWave:
		r := refs[i]
		cuts, rm.Source, rm.WaveID = r.Cuts, r.Source, id64(r.WaveID)
		rm.Status = s.adminT(c, "reference.status_wave", "Wave", r.WaveName, "Cuts", cutsLabel(r.Cuts), "By", r.SetBy, "At", r.SetAt.UTC().Format("2006-01-02"))
	default:
		r := refs[i]
		cuts, rm.Source = r.Cuts, r.Source
		rm.Status = s.adminT(c, "reference.status_cuts", "Cuts", cutsLabel(r.Cuts), "By", r.SetBy, "At", r.SetAt.UTC().Format("2006-01-02"))
	}
	for j, v := range cuts {
		rm.Cuts[j] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return rm
}

// cutsLabel writes four cut points as "35 / 45 / 55 / 65".
func cutsLabel(c [4]float64) string {
	parts := make([]string, len(c))
	for i, v := range c {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(parts, " / ")
}
