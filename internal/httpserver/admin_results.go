package httpserver

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/export"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// This file holds what the three results views share: who may see which schools and waves, the
// viewer's language, how numbers and groups are written, and the CSV/XLSX download of any table.
// The numbers themselves come from internal/report, already cleared by the privacy floor; nothing
// here computes a figure, and a suppressed row is only ever written as "fewer than N responses".

// errNoResults is a 404 that does not say whether the school or wave exists outside the scope.
var errNoResults = staffErr(http.StatusNotFound, "http_error.no_results", "No such results.")

// districtRow is the school id of the district's own row.
const districtRow int64 = 0

// resultsCtx is what every results view starts from: the viewer, their language, the schools
// and waves they may see, and the chosen wave's data within their schools.
type resultsCtx struct {
	c       echo.Context
	p       *auth.Principal
	d       dash
	schools map[int64]store.School // in scope, by id
	scope   []int64                // their ids
	waves   []store.Wave           // visible waves, newest first
	wd      *report.WaveData       // nil when no wave is visible
	query   url.Values             // the parameters links keep (lang)
	// Staged release: in-scope waves whose results are not yet open to the viewer's role, with
	// the time they open (report.ResultsVisible). They are listed in the wave picker but are not
	// in waves, so no trend, change or default choice uses them; held is the one asked for.
	listed  []store.Wave
	pending map[int64]time.Time
	held    *store.Wave
}

// loadSchoolResults is loadResults for the school in the path (:sid, 0 for the district).
func (s *Server) loadSchoolResults(c echo.Context) (int64, *resultsCtx, error) {
	school, err := strconv.ParseInt(c.Param("sid"), 10, 64)
	if err != nil || school < 0 {
		return 0, nil, errNoResults
	}
	rc, err := s.loadResults(c, school)
	return school, rc, err
}

// loadResults resolves the scope for a view of school (districtRow for the district, or -1 for
// the overview): out-of-scope schools and waves are 404, as for waves.
func (s *Server) loadResults(c echo.Context, school int64) (*resultsCtx, error) {
	ctx := c.Request().Context()
	rc := &resultsCtx{c: c, p: principal(c), schools: map[int64]store.School{}, query: url.Values{}}
	rc.d = s.dashFor(c)
	if q := c.QueryParam("lang"); q != "" && rc.d.lang == q {
		rc.query.Set("lang", q)
	}
	all, err := s.Results.Schools(ctx, rc.p.User.DistrictID)
	if err != nil {
		return nil, fmt.Errorf("results: schools: %w", err)
	}
	for _, sc := range all {
		if rc.p.CanSchool(sc.ID) {
			rc.schools[sc.ID] = sc
			rc.scope = append(rc.scope, sc.ID)
		}
	}
	if _, ok := rc.schools[school]; school > districtRow && !ok {
		return nil, errNoResults
	}
	if rc.waves, err = s.visibleResultWaves(c, rc, school); err != nil {
		return nil, err
	}
	rc.listed, rc.pending = rc.waves, map[int64]time.Time{}
	now := s.Store.Now()
	for _, w := range rc.listed {
		if ok, at := report.ResultsVisible(report.ScheduleOf(w), rc.p.Role(), now); !ok {
			zone, err := s.Results.WaveZone(ctx, w)
			if err != nil {
				return nil, fmt.Errorf("results: %w", err)
			}
			rc.pending[w.ID] = at.In(zone)
		}
	}
	rc.waves = slices.DeleteFunc(slices.Clone(rc.waves), func(w store.Wave) bool { _, held := rc.pending[w.ID]; return held })
	if q := c.QueryParam("wave"); q != "" {
		id, _ := strconv.ParseInt(q, 10, 64)
		if _, ok := rc.pending[id]; ok {
			i := slices.IndexFunc(rc.listed, func(w store.Wave) bool { return w.ID == id })
			rc.held = &rc.listed[i]
			return rc, nil
		}
	}
	if len(rc.waves) == 0 && len(rc.listed) > 0 {
		rc.held = &rc.listed[0] // nothing released yet: say when the newest wave's results come
		return rc, nil
	}
	if school == districtRow && len(rc.waves) == 0 && rc.p.Role() != auth.DistrictAdmin {
		return nil, errNoResults // no wave whose district row is theirs to see
	}
	if rc.wd, err = s.chooseWave(c, rc, school); err != nil || rc.wd == nil {
		return rc, err
	}
	if school > districtRow && !slices.ContainsFunc(rc.wd.Schools, func(sc store.School) bool { return sc.ID == school }) {
		return nil, errNoResults
	}
	if school == districtRow && !rc.wd.DistrictVisible {
		return nil, errNoResults // a wave with a school outside the viewer's scope: see report.WaveData
	}
	rc.d.wd, rc.d.prevOK = rc.wd, rc.previousVisible()
	return rc, nil
}

// visibleResultWaves lists the waves the viewer may see results of, newest first: for a school
// page, the waves that school took part in; for the district's page, the waves whose every school
// is in the viewer's scope (a district row adds them all up); for the overview, the waves touching
// the viewer's schools. A leader never learns of a wave run only at another school.
func (s *Server) visibleResultWaves(c echo.Context, rc *resultsCtx, school int64) ([]store.Wave, error) {
	ctx := c.Request().Context()
	waves, err := s.Results.Waves(ctx, rc.p.User.DistrictID)
	if err != nil {
		return nil, fmt.Errorf("results: waves: %w", err)
	}
	if rc.p.Role() == auth.DistrictAdmin && school <= districtRow {
		return waves, nil
	}
	bySchool, err := s.waveSchoolIDs(ctx, rc.p.User.DistrictID, 0)
	if err != nil {
		return nil, fmt.Errorf("results: waves in scope: %w", err)
	}
	visible := func(w store.Wave) bool {
		ids := bySchool[w.ID]
		switch {
		case school > districtRow:
			return slices.Contains(ids, school)
		case school == districtRow:
			return len(ids) > 0 && rc.p.CanAllSchools(ids)
		}
		return slices.ContainsFunc(ids, rc.p.CanSchool)
	}
	return slices.DeleteFunc(waves, func(w store.Wave) bool { return !visible(w) }), nil
}

// chooseWave loads ?wave= when visible (404 otherwise), else the newest wave whose row for
// school has results to show, else the newest wave; nil when there is none.
func (s *Server) chooseWave(c echo.Context, rc *resultsCtx, school int64) (*report.WaveData, error) {
	candidates := rc.waves[:min(len(rc.waves), 6)]
	if q := c.QueryParam("wave"); q != "" {
		id, err := strconv.ParseInt(q, 10, 64)
		i := slices.IndexFunc(rc.waves, func(w store.Wave) bool { return w.ID == id })
		if err != nil || i < 0 {
			return nil, errNoResults
		}
		candidates = rc.waves[i : i+1]
	}
	var first *report.WaveData
	for _, w := range candidates {
		wd, err := s.loadWave(c, rc, w.ID, school)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoResults
		}
		if err != nil {
			return nil, fmt.Errorf("results: wave %d: %w", w.ID, err)
		}
		if r := wd.Rows(max(school, districtRow), "", ""); len(candidates) == 1 || (len(r) == 1 && !r[0].Suppressed) {
			return wd, nil
		}
		if first == nil {
			first = wd
		}
	}
	return first, nil
}

// loadWave reads a wave's results for a view of school: only that school's cells for a school
// or district page, every school's for the overview (school < districtRow).
func (s *Server) loadWave(c echo.Context, rc *resultsCtx, waveID, school int64) (*report.WaveData, error) {
	if school < districtRow {
		return s.Results.Wave(c.Request().Context(), rc.p.User.DistrictID, waveID, rc.scope)
	}
	return s.Results.WaveOf(c.Request().Context(), rc.p.User.DistrictID, waveID, rc.scope, school)
}

// trend is the school's trend without waves the viewer may not see (the district's trend would
// otherwise show waves run only at other schools).
func (s *Server) trend(rc *resultsCtx, school int64) ([]report.TrendPoint, error) {
	points, err := s.Results.Trend(rc.c.Request().Context(), rc.wd, school)
	if err != nil {
		return nil, fmt.Errorf("results: trend: %w", err)
	}
	return slices.DeleteFunc(points, func(tp report.TrendPoint) bool {
		return !slices.ContainsFunc(rc.waves, func(w store.Wave) bool { return w.ID == tp.Wave.ID })
	}), nil
}

// previousVisible reports whether change since the previous wave may be shown: the previous wave
// must be one the viewer could open.
func (rc *resultsCtx) previousVisible() bool {
	return rc.wd.Previous != nil && slices.ContainsFunc(rc.waves, func(w store.Wave) bool { return w.ID == rc.wd.Previous.ID })
}

// schoolName is a school's name, or the district's row label.
func (rc *resultsCtx) schoolName(id int64) string {
	if id == districtRow {
		return rc.d.T("results.district")
	}
	return rc.schools[id].Name
}

// href builds a results link that keeps the viewer's language and sets params (name, value…).
func (rc *resultsCtx) href(path string, params ...string) string {
	q := url.Values{}
	for k, v := range rc.query {
		q[k] = v
	}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] == "" {
			q.Del(params[i])
			continue
		}
		q.Set(params[i], params[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// heldNotice is what a viewer sees of a wave whose results are not yet open to their role:
// "Results of WAVE on DATE." An export of it is refused (403) with the same sentence.
func (rc *resultsCtx) heldNotice() string {
	return rc.d.T("staged_release.results_on", "Wave", rc.held.Name, "Date", rc.day(rc.pending[rc.held.ID]))
}

// heldError refuses an export of a wave not yet open to the viewer: 403, saying when it opens.
func (rc *resultsCtx) heldError() error {
	return echo.NewHTTPError(http.StatusForbidden, rc.heldNotice())
}

// day writes the day t falls on in the viewer's language ("5 Dec 2026"); pending times are
// already in their wave's zone, where the release dates are whole days.
func (rc *resultsCtx) day(t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + rc.d.T("month."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
}

// option is one entry of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// picker is the GET form choosing the wave (and, on a school page, the breakdown).
type picker struct {
	Action string
	Lang   string
	Waves  []option
	By     []option // nil: no breakdown to choose
	Sort   []option // nil: no order to choose (the overview offers one)
}

func (rc *resultsCtx) picker(action, by string, withBy bool) picker {
	pk := picker{Action: action, Lang: rc.query.Get("lang")}
	for _, w := range rc.listed {
		label := w.Name
		if at, ok := rc.pending[w.ID]; ok {
			label = rc.d.T("staged_release.option", "Wave", w.Name, "Date", rc.day(at))
		}
		selected := (rc.wd != nil && w.ID == rc.wd.Wave.ID) || (rc.held != nil && w.ID == rc.held.ID)
		pk.Waves = append(pk.Waves, option{Value: strconv.FormatInt(w.ID, 10), Label: label, Selected: selected})
	}
	if withBy && rc.wd != nil {
		for _, a := range rc.wd.Attributes {
			pk.By = append(pk.By, option{Value: a, Label: rc.d.attrName(a), Selected: a == by})
		}
	}
	return pk
}

// render shows a results page in the viewer's language, with the language switch.
func (s *Server) renderResults(rc *resultsCtx, page, title string, data any) error {
	c := rc.c
	v := resultsView{Lang: rc.d.lang, Dir: rc.d.l.Dir(), Title: title, User: rc.p, D: data}
	v.CSRF, _ = c.Get("csrf").(string)
	v.Langs = s.langLinks(c, rc.d.lang)
	return s.resultsPages.render(c, http.StatusOK, page, v)
}

// langLinks is a staff page's language switch: this page in every dashboard locale.
func (s *Server) langLinks(c echo.Context, current string) []langLink {
	var out []langLink
	for _, tag := range s.resultsPages.cat.Tags() {
		// A copy: echo hands out the request's own cached values.
		q := maps.Clone(c.QueryParams())
		if q.Has("next") {
			q.Set("next", safeNext(q.Get("next"))) // the sign-in page's rule: a link never carries a foreign next
		}
		q.Set("lang", tag)
		q.Del("format")
		q.Del("table")
		q.Del("notice")
		out = append(out, langLink{Tag: tag, Name: s.resultsPages.cat.Info(tag).Name,
			URL: c.Request().URL.Path + "?" + q.Encode(), Current: tag == current})
	}
	return out
}

// staffLangCookie keeps a staff member's choice of language from page to page (it names a
// language, nothing else).
const staffLangCookie = "tp_lang"

// dashFor picks the viewer's dashboard language: ?lang= (remembered in a cookie when the page is
// rendered), else the remembered choice, else Accept-Language, else English.
func (s *Server) dashFor(c echo.Context) dash {
	cat := s.resultsPages.cat
	tag, ok := cat.Supported(c.QueryParam("lang"))
	if ok {
		s.rememberLang(c, tag)
	} else if ck, err := c.Cookie(staffLangCookie); err == nil {
		tag, ok = cat.Supported(ck.Value)
	}
	if !ok {
		tag = cat.MatchAccept(c.Request().Header.Get("Accept-Language"))
	}
	return dash{l: cat.Localizer(tag), lang: cat.Localizer(tag).Tag(), cat: cat, respondent: s.Locales}
}

// dash writes results for one viewer: their language, the wave's instrument and floor.
type dash struct {
	l          *locale.Localizer
	lang       string
	cat        *locale.Catalog
	respondent *locale.Catalog // language names for language groups
	wd         *report.WaveData
	prevOK     bool // the previous wave is one the viewer may see, so change may be shown
}

// T translates a dashboard message; kv are placeholder names and values.
func (d dash) T(id string, kv ...any) string {
	if len(kv) == 0 {
		return d.l.T(id)
	}
	return d.l.T(id, dict(kv...))
}

func (d dash) has(id string) bool {
	if _, ok := d.cat.Message(d.lang, id); ok {
		return true
	}
	_, ok := d.cat.Message(locale.Default, id)
	return ok
}

// num writes a number with one decimal in the viewer's convention; "—" when unknown.
func (d dash) num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return d.T("results.not_shown")
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if d.lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return strings.Replace(s, "-", "−", 1)
}

// signed writes a difference with its sign.
func (d dash) signed(v float64) string {
	if v > 0 {
		return "+" + d.num(v)
	}
	return d.num(v)
}

// hidden is the only thing ever said about a hidden group: why it is hidden. "Fewer than N
// responses" is said only of a group that is itself small; a big group hidden so that no
// subtraction recovers a smaller one says so (#16 line 2).
func (d dash) hidden(st report.Stat) string {
	if st.Why == report.HiddenProtect {
		return d.T("pooling.hidden_protect")
	}
	return d.T("results.suppressed", "Count", d.wd.Floor)
}

// rowName is a result row's group label; a combined group names the groups it pools when the
// report allows it (each of them meets the floor on its own), else it is just "Combined".
func (d dash) rowName(r report.Row) string {
	if r.Group == report.Combined && len(r.Combines) > 0 {
		names := make([]string, len(r.Combines))
		for i, v := range r.Combines {
			names[i] = d.groupName(r.Attribute, v)
		}
		return d.T("pooling.combined_of", "Groups", strings.Join(names, ", "))
	}
	return d.groupName(r.Attribute, r.Group)
}

// measureName is a measure's name in the viewer's language (English if it has none).
func (d dash) measureName(id string) string {
	for _, m := range d.wd.Instrument.Measures {
		if m.ID == id {
			return measureName(m, d.lang)
		}
	}
	return id
}

// itemText is an item's text in the viewer's language (English if it has none).
func (d dash) itemText(id string) string {
	for _, it := range d.wd.Instrument.Items {
		if it.ID == id {
			return textIn(it.Text, d.lang, id)
		}
	}
	return id
}

func textIn(m map[string]string, lang, fallback string) string {
	if s := m[lang]; s != "" {
		return s
	}
	if s := m[locale.Default]; s != "" {
		return s
	}
	return fallback
}

// attrName is an attribute's name ("Grade × Gender" for a two-way breakdown): see labels.
func (d dash) attrName(a string) string { return d.labels().Attr(a) }

// groupName is a group's label: see labels.
func (d dash) groupName(attr, v string) string { return d.labels().Value(attr, v) }

func (d dash) labels() labels {
	return labels{l: d.l, lang: d.lang, cat: d.cat, respondent: d.respondent}
}

// measure is the instrument's measure id (nil if the wave's instrument has none).
func (d dash) measure(id string) *survey.Measure {
	for i := range d.wd.Instrument.Measures {
		if d.wd.Instrument.Measures[i].ID == id {
			return &d.wd.Instrument.Measures[i]
		}
	}
	return nil
}

// singleItem reports whether a measure is one question: it is shown as % favorable only.
func (d dash) singleItem(id string) bool {
	m := d.measure(id)
	return m != nil && m.SingleItem
}

// cut writes a cut point: whole points without decimals.
func (d dash) cut(v float64) string {
	if v == math.Trunc(v) {
		return strconv.Itoa(int(v))
	}
	return d.num(v)
}

// bandName names a band, "(provisional)" while the district has set no reference values.
func (d dash) bandName(b *report.Band) string {
	name := d.T("band." + strconv.Itoa(b.Index))
	if b.Provisional {
		return d.T("headline.band_provisional", "Band", name)
	}
	return name
}

// bandsNote says, under a table of several measures, that bands marked provisional have no
// reference values behind them; "" when every banded measure has them.
func (d dash) bandsNote() string {
	for _, m := range d.wd.Instrument.Measures {
		if _, ref := d.wd.Cuts(m.ID); ref == nil && !m.SingleItem {
			return d.T("headline.bands_provisional")
		}
	}
	return d.T("headline.bands_set")
}

// bandNote says where one measure's bands come from, with its cut points.
func (d dash) bandNote(measure string) string {
	if d.singleItem(measure) {
		return d.T("headline.single_item")
	}
	cuts, ref := d.wd.Cuts(measure)
	kv := []any{"C1", d.cut(cuts[0]), "C2", d.cut(cuts[1]), "C3", d.cut(cuts[2]), "C4", d.cut(cuts[3])}
	switch {
	case ref == nil:
		return d.T("headline.band_note_provisional", kv...)
	case ref.Source == report.SourceWave:
		return d.T("headline.band_note_wave", append(kv, "Wave", ref.WaveName)...)
	}
	return d.T("headline.band_note_cuts", kv...)
}

// score is one result cell as shown: % favorable with its interval first (the headline), then
// the 0–100 score with its interval and band, then change and gap. A single-item measure has no
// score line and no band: its change and gap are on % favorable, in percentage points.
type score struct {
	Suppressed  bool
	Text        string // the headline, "62.3% favorable (58.1–66.5)", or "fewer than 10 responses"
	ScoreText   string // "score 45.7 (43.1–48.2)"; "" for a single-item measure
	Band        int    // -1 when not shown
	BandName    string
	Change      string
	ChangeClass string // "up", "down" or ""
	Gap         string
	GapClass    string
	Weakest     string // "weakest relationship here", on the overview
}

func (d dash) score(r report.Row, showChange bool) score {
	if r.Suppressed {
		return score{Suppressed: true, Text: d.hidden(r.Stat), Band: -1}
	}
	sc := score{Text: d.favHeadline(r.Stat), Band: -1}
	gapC, changeC := r.Gap, r.Change
	if d.singleItem(r.Measure) {
		gapC, changeC = r.FavGap, r.FavChange
	} else {
		sc.ScoreText = d.T("headline.score", "Mean", d.num(r.Mean), "Low", d.num(r.CILow), "High", d.num(r.CIHigh))
		if r.Band != nil {
			sc.Band, sc.BandName = r.Band.Index, d.bandName(r.Band)
		}
	}
	if showChange {
		sc.Change, sc.ChangeClass = d.change(changeC)
	}
	if gapC != nil && gapC.Flagged {
		if gapC.Diff > 0 {
			sc.Gap, sc.GapClass = d.T("gap.above", "Diff", d.signed(gapC.Diff)), "up"
		} else {
			sc.Gap, sc.GapClass = d.T("gap.below", "Diff", d.signed(gapC.Diff)), "down"
		}
	}
	return sc
}

// favHeadline is a cell's headline: "62.3% favorable (58.1–66.5)".
func (d dash) favHeadline(st report.Stat) string {
	switch {
	case math.IsNaN(st.Favorable):
		return d.T("results.not_shown")
	case math.IsNaN(st.FavLow) || math.IsNaN(st.FavHigh):
		return d.T("headline.fav_bare", "Pct", d.num(st.Favorable))
	}
	return d.T("headline.fav", "Pct", d.num(st.Favorable), "Low", d.num(st.FavLow), "High", d.num(st.FavHigh))
}

// change words the change since the previous wave: a flagged change up or down, or no clear one.
func (d dash) change(c *report.Compare) (string, string) {
	switch {
	case c == nil:
		return d.T("change.na"), ""
	case c.Flagged && c.Diff > 0:
		return d.T("change.up", "Diff", d.signed(c.Diff)), "up"
	case c.Flagged:
		return d.T("change.down", "Diff", d.signed(c.Diff)), "down"
	}
	return d.T("change.none"), ""
}

// rate is a respondent row's response rate: "42% (21 of 50)"; hidden rows say only the floor.
func (d dash) rate(r report.Row) (text string, shown bool) {
	if r.Suppressed {
		return d.hidden(r.Stat), false
	}
	if math.IsNaN(r.Rate) || r.Invited == 0 {
		return d.T("results.not_shown"), true
	}
	return d.T("results.pct", "Pct", d.num(r.Rate)) + " (" + d.T("results.responded_of", "N", r.N, "Invited", r.Invited) + ")", true
}

// exportLink is one download offered under a table; Context (the table's caption) is read out
// to screen readers after the visible label, so every link says what it downloads.
type exportLink struct {
	Label, Context, Href string
}

// exports offers a table (or, with table "", the whole page) as CSV and XLSX.
func (rc *resultsCtx) exports(path, table, caption string, params ...string) []exportLink {
	p := append(slices.Clone(params), "table", table)
	return []exportLink{
		{Label: rc.d.T("export.csv"), Context: caption, Href: rc.href(path, append(p, "format", "csv")...)},
		{Label: rc.d.T("export.xlsx"), Context: caption, Href: rc.href(path, append(p, "format", "xlsx")...)},
	}
}

// wantsExport reports whether the request asks for a download instead of the page.
func wantsExport(c echo.Context) bool { return c.QueryParam("format") != "" }

// sendExport writes the tables the request names (?table=, else all for XLSX and the first for
// CSV) as a download, after recording it in the audit log: no download without its record.
func (s *Server) sendExport(rc *resultsCtx, base string, tables []namedTable) error {
	c := rc.c
	format := c.QueryParam("format")
	if format != "csv" && format != "xlsx" {
		return staffErr(http.StatusBadRequest, "http_error.export_format", "format must be csv or xlsx.")
	}
	if want := c.QueryParam("table"); want != "" {
		tables = slices.DeleteFunc(slices.Clone(tables), func(t namedTable) bool { return t.key != want })
		if len(tables) == 0 {
			return staffErr(http.StatusNotFound, "http_error.no_table", "No such table on this page.")
		}
		base += "-" + want
	}
	if len(tables) == 0 {
		return staffErr(http.StatusNotFound, "http_error.nothing_to_download", "Nothing to download.")
	}
	if format == "csv" {
		tables = tables[:1]
	}
	name := cmp.Or(fileSlug(base), "results") + "." + format
	detail := fmt.Sprintf("%s %s", format, c.Request().URL.RawQuery)
	if err := s.Auth.AuditBy(c.Request().Context(), rc.p, auth.ActionExport, c.Request().URL.Path, detail, c.RealIP()); err != nil {
		return fmt.Errorf("results export: %w", err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	if format == "csv" {
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().WriteHeader(http.StatusOK)
		return export.WriteCSV(c.Response(), tables[0].Table)
	}
	h.Set(echo.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Response().WriteHeader(http.StatusOK)
	ts := make([]export.Table, len(tables))
	for i, t := range tables {
		ts[i] = t.Table
	}
	return export.WriteXLSX(c.Response(), ts...)
}

// namedTable is an export table with the key ?table= selects it by.
type namedTable struct {
	key string
	export.Table
}

// fileSlug keeps a download's name to lowercase ASCII letters, digits and dashes.
func fileSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// resultColumns are the columns of every results export: stable keys, as in the API.
var resultColumns = []string{"school", "measure", "measure_name", "attribute", "group", "group_name", "n", "mean", "se", "ci_low", "ci_high",
	"favorable", "favorable_low", "favorable_high", "gap", "gap_low", "gap_high", "gap_flagged", "change", "change_low", "change_high", "change_flagged",
	"favorable_gap", "favorable_gap_low", "favorable_gap_high", "favorable_gap_flagged",
	"favorable_change", "favorable_change_low", "favorable_change_high", "favorable_change_flagged", "band", "band_provisional", "note"}

// resultRow is one export row of a result: every number when shown; when hidden, the group and
// "fewer than N responses" and no number at all.
func (d dash) resultRow(school string, r report.Row) []export.Cell {
	head := []export.Cell{export.Text(school), export.Text(r.Measure), export.Text(d.measureName(r.Measure)), export.Text(r.Attribute),
		export.Text(r.Group), export.Text(d.rowName(r))}
	if r.Suppressed {
		row := append(head, make([]export.Cell, len(resultColumns)-len(head)-1)...)
		return append(row, export.Text(d.hidden(r.Stat)))
	}
	row := append(head, export.Int(r.N), round(r.Mean), round(r.SE), round(r.CILow), round(r.CIHigh),
		round(r.Favorable), round(r.FavLow), round(r.FavHigh))
	change, favChange := r.Change, r.FavChange
	if !d.prevOK {
		change, favChange = nil, nil
	}
	row = append(row, compareCells(r.Gap)...)
	row = append(row, compareCells(change)...)
	row = append(row, compareCells(r.FavGap)...)
	row = append(row, compareCells(favChange)...)
	if r.Band != nil {
		row = append(row, export.Int(r.Band.Index), export.Text(yesNo(r.Band.Provisional)))
	} else {
		row = append(row, export.Empty(), export.Empty())
	}
	return append(row, export.Empty())
}

func compareCells(c *report.Compare) []export.Cell {
	if c == nil {
		return []export.Cell{export.Empty(), export.Empty(), export.Empty(), export.Empty()}
	}
	return []export.Cell{round(c.Diff), round(c.Low), round(c.High), export.Text(yesNo(c.Flagged))}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// round keeps two decimals in exports: more would suggest precision the data does not have.
func round(v float64) export.Cell { return export.Number(math.Round(v*100) / 100) }

// respondentColumns are the columns of response-rate exports.
var respondentColumns = []string{"school", "attribute", "group", "group_name", "responded", "invited", "rate", "note"}

func (d dash) respondentRow(school string, r report.Row) []export.Cell {
	head := []export.Cell{export.Text(school), export.Text(r.Attribute), export.Text(r.Group), export.Text(d.rowName(r))}
	if r.Suppressed {
		return append(head, export.Empty(), export.Empty(), export.Empty(), export.Text(d.hidden(r.Stat)))
	}
	invited := export.Empty()
	if r.Invited > 0 {
		invited = export.Int(r.Invited)
	}
	return append(head, export.Int(r.N), invited, round(r.Rate), export.Empty())
}

func schoolPath(id int64) string { return "/admin/results/schools/" + id64(id) }

func id64(n int64) string { return strconv.FormatInt(n, 10) }

// rememberLang sets the language cookie once per response: a chosen language stays chosen on the
// next page, whose links do not carry ?lang=.
func (s *Server) rememberLang(c echo.Context, tag string) {
	if c.Get(staffLangCookie) != nil {
		return
	}
	c.Set(staffLangCookie, tag)
	c.SetCookie(&http.Cookie{Name: staffLangCookie, Value: tag, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}
