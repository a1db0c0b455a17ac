package httpserver

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/surveys"
)

// languageChecksPage is the district's check of its translations: per calibrated measure and
// language, every item's location compared with English, flagged items first with both texts.
type languageChecksPage struct {
	Exports   []languageGroup // every shipped translation, for its download link
	Threshold float64
	MinGroup  int
	Measures  []languageMeasure
}

type languageMeasure struct {
	Instrument string
	Version    int
	MeasureID  string
	Measure    string // its name in the page's language
	Responses  int
	Unchecked  string // measures.Unchecked… code, empty when compared
	Reference  string // endonym of the reference language
	RefN       int
	Languages  []languageGroup
	Skipped    []string // endonyms of languages too small to check (no counts: they may be below the floor)
}

type languageGroup struct {
	Tag, Name, Dir string
	N              int
	Flagged        int
	Items          []languageItem
}

type languageItem struct {
	scoring.DIFItem
	English, Text string
}

// adminLanguageChecks shows the differential item functioning check by response language
// (measures.LanguageChecks) with the texts a reviewer needs next to every flagged item.
func (s *Server) adminLanguageChecks(c echo.Context) error {
	checks, err := s.Measures.LanguageChecks(c.Request().Context(), principal(c).User.DistrictID)
	if err != nil {
		return err
	}
	lang := s.dashFor(c).lang
	page := languageChecksPage{Threshold: scoring.DIFThreshold, MinGroup: scoring.DIFMinGroup}
	for _, tag := range s.Locales.Tags() {
		if tag != measures.ReferenceLanguage {
			info := s.Locales.Info(tag)
			page.Exports = append(page.Exports, languageGroup{Tag: tag, Name: info.Name, Dir: info.Dir})
		}
	}
	for _, chk := range checks {
		in := chk.Instrument
		text := map[string]map[string]string{}
		for _, it := range in.Items {
			text[it.ID] = it.Text
		}
		lm := languageMeasure{Instrument: in.ID, Version: in.Version, MeasureID: chk.Measure.ID, Measure: measureName(chk.Measure, lang),
			Responses: chk.Responses, Unchecked: chk.Unchecked}
		if chk.Unchecked != measures.UncheckedNoReference {
			lm.Reference, lm.RefN = s.Locales.Info(chk.Result.Reference).Name, chk.Result.ReferenceN
		}
		for _, tag := range chk.Result.Skipped {
			lm.Skipped = append(lm.Skipped, s.Locales.Info(tag).Name)
		}
		for _, g := range chk.Result.Groups {
			info := s.Locales.Info(g.Group)
			lg := languageGroup{Tag: g.Group, Name: info.Name, Dir: info.Dir, N: g.N}
			// Flagged items first, so the reviewer's list is at the top; the rest in form order.
			for _, first := range []bool{true, false} {
				for _, it := range g.Items {
					if it.Flagged == first {
						lg.Items = append(lg.Items, languageItem{DIFItem: it, English: text[it.ID][chk.Result.Reference], Text: text[it.ID][g.Group]})
					}
				}
			}
			lg.Flagged = len(g.Flagged())
			lm.Languages = append(lm.Languages, lg)
		}
		page.Measures = append(page.Measures, lm)
	}
	return s.adminRender(c, http.StatusOK, "language_checks", s.adminT(c, "language_checks.title"), page)
}

// adminLanguageChecksExport downloads one locale's instrument texts as the CSV a reviewer edits
// (survey.WriteTranslations), with this district's language-check flags in its "check" column;
// `trustpulse survey translations import` takes it back.
func (s *Server) adminLanguageChecksExport(c echo.Context) error {
	tag, ok := s.Locales.Supported(c.QueryParam("locale"))
	if !ok || tag != c.QueryParam("locale") || tag == measures.ReferenceLanguage {
		return staffErr(http.StatusNotFound, "http_error.no_translation", "No such translation.")
	}
	checks, err := s.Measures.LanguageChecks(c.Request().Context(), principal(c).User.DistrictID)
	if err != nil {
		return err
	}
	notes := map[string]string{}
	for _, chk := range checks {
		for _, g := range chk.Result.Groups {
			if g.Group != tag {
				continue
			}
			for _, it := range g.Items {
				if !it.Flagged {
					continue
				}
				key := "language_checks.harder"
				if it.Contrast < 0 {
					key = "language_checks.easier"
				}
				notes[fmt.Sprintf("%s/%d/items/%s/text", chk.Instrument.ID, chk.Instrument.Version, it.ID)] =
					fmt.Sprintf("%s (%+.2f ± %.2f logits)", s.adminT(c, key), it.Contrast, it.SE)
			}
		}
	}
	rows, err := survey.TranslationRows(surveys.FS, tag, notes)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="translations-%s.csv"`, tag))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	return survey.WriteTranslations(c.Response(), rows)
}
