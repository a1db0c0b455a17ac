package httpserver

import (
	"cmp"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/comments"
	"github.com/trustpulse/trustpulse/internal/export"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// commentsPage is the comment reader: what to choose from, and the group's comments.
type commentsPage struct {
	Waves   []commentsOption
	Schools []commentsOption
	Filters []commentsOption // measure bands: "measure:band"
	Langs   []commentsOption
	Floor   int // the district's comment floor
	// The floor form, for district admins.
	CanSetFloor        bool
	MinFloor, MaxFloor int
	Error              string
	Chosen             bool // a wave and a school are chosen: Result is read (and audited)
	Result             comments.Result
	CSVURL             string
	School             string
}

type commentsOption struct {
	Value, Label string
	Band         string // message id of a band filter's band
	Selected     bool
}

// commentWaves lists the waves whose instrument asks for a comment and that touch one of p's
// schools, newest first.
func (s *Server) commentWaves(c echo.Context, p *auth.Principal) ([]store.Wave, error) {
	q := s.Store.DB.WithContext(c.Request().Context()).Where("district_id = ?", p.User.DistrictID)
	if p.Role() != auth.DistrictAdmin {
		q = q.Where("id IN (?)", s.Store.DB.Model(&store.WaveSchool{}).Select("wave_id").Where("district_id = ? AND school_id IN ?", p.User.DistrictID, append([]int64{0}, p.Schools...)))
	}
	var all []store.Wave
	if err := q.Order("opens_at DESC, id").Find(&all).Error; err != nil {
		return nil, err
	}
	var out []store.Wave
	for _, w := range all {
		if in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion); ok && in.Comment.Enabled {
			out = append(out, w)
		}
	}
	return out, nil
}

// adminComments is the comment reader (?wave=&school=&filter=&lang=, ?format=csv to export). A
// school out of the reader's scope, or a wave not at that school, is 404 like a wave that does
// not exist. Each view and export is audited by comments.Read.
func (s *Server) adminComments(c echo.Context) error {
	return s.commentsReader(c, http.StatusOK, "")
}

// commentsReader renders the reader for the query with status and, for the floor form, errMsg.
func (s *Server) commentsReader(c echo.Context, status int, errMsg string) error {
	p := principal(c)
	waves, err := s.commentWaves(c, p)
	if err != nil {
		return err
	}
	rep, err := s.Results.Reporting(c.Request().Context(), p.User.DistrictID)
	if err != nil {
		return err
	}
	d, err := s.district(c)
	if err != nil {
		return err
	}
	pg := commentsPage{Floor: comments.FloorOf(d.Settings, rep.Floor), MinFloor: rep.Floor, MaxFloor: comments.MaxFloor, CanSetFloor: p.Role() == auth.DistrictAdmin, Error: errMsg}
	notFound := staffErr(http.StatusNotFound, "http_error.no_wave_or_school", "No such wave or school.")
	var wave *store.Wave
	wantWave := c.QueryParam("wave")
	for i, w := range waves {
		id := strconv.FormatInt(w.ID, 10)
		sel := id == wantWave || (wantWave == "" && i == 0)
		if sel {
			wave = &waves[i]
		}
		pg.Waves = append(pg.Waves, commentsOption{Value: id, Label: w.Name, Selected: sel})
	}
	if wave == nil {
		if wantWave != "" {
			return notFound
		}
		return s.adminRender(c, status, "comments", s.adminT(c, "admin.title.comments"), pg)
	}
	in, _ := s.Surveys.Get(wave.InstrumentID, wave.InstrumentVersion)
	schools, err := s.waveSchools(c, *wave)
	if err != nil {
		return err
	}
	schools = inScope(p, schools)
	wantSchool := c.QueryParam("school")
	var school *store.School
	for i, sc := range schools {
		id := strconv.FormatInt(sc.ID, 10)
		sel := id == wantSchool || (wantSchool == "" && i == 0)
		if sel {
			school = &schools[i]
		}
		pg.Schools = append(pg.Schools, commentsOption{Value: id, Label: sc.Name, Selected: sel})
	}
	if school == nil && wantSchool != "" || len(schools) == 0 {
		return notFound
	}
	q := comments.Query{WaveID: wave.ID, SchoolID: school.ID, Band: -1}
	filter := c.QueryParam("filter")
	pg.Filters = append(pg.Filters, commentsOption{Value: "", Label: "", Selected: filter == ""})
	for _, m := range in.Measures {
		for band := 0; band < 5; band++ {
			v := m.ID + ":" + strconv.Itoa(band)
			if v == filter {
				q.MeasureID, q.Band = m.ID, band
			}
			pg.Filters = append(pg.Filters, commentsOption{Value: v, Label: measureName(m, s.dashFor(c).lang), Band: "band." + strconv.Itoa(band), Selected: v == filter})
		}
	}
	if filter != "" && q.MeasureID == "" {
		return staffErr(http.StatusBadRequest, "http_error.unknown_filter", "Unknown filter.")
	}
	lang := c.QueryParam("lang")
	pg.Langs = append(pg.Langs, commentsOption{Selected: lang == ""})
	for _, tag := range in.Locales {
		if tag == lang {
			q.Lang = tag
		}
		pg.Langs = append(pg.Langs, commentsOption{Value: tag, Label: s.Locales.Info(tag).Name, Selected: tag == lang})
	}
	if lang != "" && q.Lang == "" {
		return staffErr(http.StatusBadRequest, "http_error.unknown_language", "Unknown language.")
	}
	if wantWave == "" || wantSchool == "" {
		// Nothing chosen yet: the form only, nothing read.
		return s.adminRender(c, status, "comments", s.adminT(c, "admin.title.comments"), pg)
	}
	csv := c.QueryParam("format") == "csv"
	res, err := comments.Read(c.Request().Context(), s.Store, p.User.DistrictID, q, rep.Floor, csv, actor(c, p)) // audited in the same transaction
	if err != nil {
		return err
	}
	if csv {
		t := export.Table{Name: "comments", Columns: []string{"comment"}}
		for _, cm := range res.Comments {
			t.Rows = append(t.Rows, []export.Cell{export.Text(cm)})
		}
		h := c.Response().Header()
		h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": cmp.Or(fileSlug(wave.Name+" "+school.Name), "wave") + "-comments.csv"}))
		h.Set("Cache-Control", "no-store")
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().WriteHeader(http.StatusOK)
		return export.WriteCSV(c.Response(), t)
	}
	pg.Chosen, pg.Result, pg.School = true, res, school.Name
	v := c.QueryParams()
	v.Set("format", "csv")
	pg.CSVURL = "/admin/comments?" + v.Encode()
	return s.adminRender(c, http.StatusOK, "comments", s.adminT(c, "admin.title.comments"), pg)
}

// measureName is a measure's name in language tag (English if it has none there, its ID if it has
// no name at all): the one rule the staff pages name a measure by.
func measureName(m survey.Measure, tag string) string { return textIn(m.Name, tag, m.ID) }

// adminCommentsFloor changes the district's comment floor (district admins; audited).
func (s *Server) adminCommentsFloor(c echo.Context) error {
	p := principal(c)
	rep, err := s.Results.Reporting(c.Request().Context(), p.User.DistrictID)
	if err != nil {
		return err
	}
	floor, convErr := strconv.Atoi(strings.TrimSpace(c.FormValue("floor")))
	if convErr != nil {
		floor = -1
	}
	err = comments.ChangeFloor(c.Request().Context(), s.Store, p.User.DistrictID, floor, rep.Floor, actor(c, p)) // audited in the same transaction
	if r := (*refusal.Error)(nil); errors.Is(err, comments.ErrFloor) && errors.As(err, &r) {
		return s.commentsReader(c, http.StatusUnprocessableEntity, s.adminRefusal(c, r))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/comments?notice=comment-floor")
}
