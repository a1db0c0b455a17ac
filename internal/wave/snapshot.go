package wave

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/store"
)

// ErrCodeFull: a class or school code has taken as many responses as its roster has people plus
// the margin. Respondents see a friendly page; nothing they saved is lost.
var ErrCodeFull = errors.New("class code has taken all the responses it can")

// DefaultCodeMargin is how many responses beyond its roster a code takes when the deployment sets
// nothing: a new student not yet in the roster, a lost session restarted.
const DefaultCodeMargin = 3

func (s *Service) cohortK() int {
	if s.CohortK > 0 {
		return s.CohortK
	}
	return DefaultCohortK
}

func (s *Service) codeMargin() int {
	switch {
	case s.CodeMargin < 0:
		return 0
	case s.CodeMargin == 0:
		return DefaultCodeMargin
	}
	return s.CodeMargin
}

// responseLanguage is the one subgroup a respondent chooses rather than the roster recording it.
const responseLanguage = "response_language"

// schemeKeys lists, most useful first, the snapshot attributes a district reports for the wave's
// audience, and whether it reports the response language. Only these are ever stored.
func (s *Service) schemeKeys(tx *gorm.DB, w store.Wave) ([]string, bool, error) {
	all := append([]string{primaryKey(w.Audience)}, SnapshotKeys(w.Audience)...)
	if w.Audience == "family" {
		all = []string{"child_grade", "language"}
	}
	if s.ReportedKeys == nil {
		return all, true, nil
	}
	var d store.District
	if err := tx.Where("district_id = ?", w.DistrictID).Take(&d).Error; err != nil {
		return nil, false, fmt.Errorf("load reporting settings: %w", err)
	}
	reported := s.ReportedKeys(w.Audience, d.Settings)
	var keys []string
	for _, k := range reported {
		if slices.Contains(all, k) {
			keys = append(keys, k)
		}
	}
	return keys, slices.Contains(reported, responseLanguage), nil
}

// primaryKey is the attribute that comes from a person's own column rather than Attributes.
func primaryKey(audience string) string {
	switch audience {
	case "student":
		return "grade"
	case "staff":
		return "role"
	}
	return "language"
}

// scheme returns the wave × school's coarsening scheme, computing and storing it from the roster
// on the first submission. Two first submissions racing both compute the same scheme from the
// same roster; the second insert does nothing and both read back the stored one.
func (s *Service) scheme(tx *gorm.DB, w store.Wave, schoolID int64) (Scheme, error) {
	key := [3]int64{w.DistrictID, w.ID, schoolID}
	if v, ok := s.schemes.Load(key); ok {
		return v.(Scheme), nil
	}
	var row store.SnapshotScheme
	err := tx.Where("district_id = ? AND wave_id = ? AND school_id = ?", w.DistrictID, w.ID, schoolID).Take(&row).Error
	if err == nil {
		// Found before this call wrote anything: committed, so safe to keep. One this
		// transaction inserts below is not cached: the transaction may still roll back.
		sc, err := decodeScheme(row.Scheme)
		if err == nil {
			s.schemes.Store(key, sc)
		}
		return sc, err
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return Scheme{}, fmt.Errorf("load snapshot scheme: %w", err)
	}
	keys, lang, err := s.schemeKeys(tx, w)
	if err != nil {
		return Scheme{}, err
	}
	people, err := rosterSnapshots(tx, w, schoolID)
	if err != nil {
		return Scheme{}, err
	}
	sc := CohortScheme(keys, people, s.cohortK())
	sc.Language = lang
	row = store.SnapshotScheme{DistrictID: w.DistrictID, WaveID: w.ID, SchoolID: schoolID, Scheme: sc.encode(), CreatedAt: s.Store.Now().Truncate(24 * time.Hour)}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return Scheme{}, fmt.Errorf("store snapshot scheme: %w", err)
	}
	if err := tx.Where("district_id = ? AND wave_id = ? AND school_id = ?", w.DistrictID, w.ID, schoolID).Take(&row).Error; err != nil {
		return Scheme{}, fmt.Errorf("load snapshot scheme: %w", err)
	}
	return decodeScheme(row.Scheme)
}

// SchemeFor returns the stored scheme of a wave × school, if one was made: for rollups that must
// group invited people the way responses were stored.
func SchemeFor(tx *gorm.DB, districtID, waveID, schoolID int64) (Scheme, bool, error) {
	var row store.SnapshotScheme
	err := tx.Where("district_id = ? AND wave_id = ? AND school_id = ?", districtID, waveID, schoolID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Scheme{}, false, nil
	}
	if err != nil {
		return Scheme{}, false, fmt.Errorf("load snapshot scheme: %w", err)
	}
	sc, err := decodeScheme(row.Scheme)
	return sc, err == nil, err
}

// RosterSnapshots lists the full snapshot of every person of the wave's audience at a school:
// whom a stored snapshot must not single out.
func RosterSnapshots(tx *gorm.DB, w store.Wave, schoolID int64) ([]map[string]string, error) {
	return rosterSnapshots(tx, w, schoolID)
}

func rosterSnapshots(tx *gorm.DB, w store.Wave, schoolID int64) ([]map[string]string, error) {
	if w.Audience == "family" {
		var rows []struct {
			store.Person
			ChildGrade string
		}
		err := audienceAt(tx, w, schoolID, nil).Select("g.*, c.grade AS child_grade").Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("load school roster: %w", err)
		}
		byGuardian := map[int64]map[string]string{}
		var order []int64
		for _, r := range rows {
			snap := byGuardian[r.ID]
			if snap == nil {
				snap = Snapshot(w.Audience, r.Person)
				byGuardian[r.ID] = snap
				order = append(order, r.ID)
			}
			if g := YoungestGrade([]string{snap["child_grade"], r.ChildGrade}); g != "" {
				snap["child_grade"] = g
			}
		}
		out := make([]map[string]string, 0, len(order))
		for _, id := range order {
			out = append(out, byGuardian[id])
		}
		return out, nil
	}
	var people []store.Person
	if err := audienceAt(tx, w, schoolID, nil).Select("p.*").Find(&people).Error; err != nil {
		return nil, fmt.Errorf("load school roster: %w", err)
	}
	out := make([]map[string]string, len(people))
	for i, p := range people {
		out[i] = Snapshot(w.Audience, p)
	}
	return out, nil
}

// audienceAt is the wave's audience (as Invite chooses it: active, not opted out, the wave's
// grades or roles) at one school, and in one class when classID is set. Students and staff are
// "people p"; families are guardians "people g" joined to each active child "people c".
func audienceAt(tx *gorm.DB, w store.Wave, schoolID int64, classID *int64) *gorm.DB {
	if w.Audience == "family" {
		q := tx.Table("people g").
			Joins("JOIN guardian_links gl ON gl.district_id = g.district_id AND gl.guardian_id = g.id").
			Joins("JOIN people c ON c.district_id = gl.district_id AND c.id = gl.student_id AND c.active = ?", true).
			Joins("JOIN person_schools ps ON ps.district_id = c.district_id AND ps.person_id = c.id AND ps.school_id = ?", schoolID).
			Where("g.district_id = ? AND g.kind = ? AND g.active = ? AND g.survey_opt_out = ?", w.DistrictID, store.KindGuardian, true, false)
		if classID != nil {
			q = q.Joins("JOIN enrollments e ON e.district_id = c.district_id AND e.person_id = c.id AND e.class_id = ? AND e.active = ?", *classID, true)
		}
		return q
	}
	kind := store.KindStudent
	if w.Audience == "staff" {
		kind = store.KindStaff
	}
	q := tx.Table("people p").
		Joins("JOIN person_schools ps ON ps.district_id = p.district_id AND ps.person_id = p.id AND ps.school_id = ?", schoolID).
		Where("p.district_id = ? AND p.kind = ? AND p.active = ? AND p.survey_opt_out = ?", w.DistrictID, kind, true, false)
	if g := w.AudienceFilter["grades"]; g != "" && w.Audience == "student" {
		q = q.Where("p.grade IN ?", strings.Split(g, ","))
	}
	if r := w.AudienceFilter["roles"]; r != "" && w.Audience == "staff" {
		q = q.Where("p.role IN ?", strings.Split(r, ","))
	}
	if classID != nil {
		q = q.Joins("JOIN enrollments e ON e.district_id = p.district_id AND e.person_id = p.id AND e.class_id = ? AND e.active = ?", *classID, true)
	}
	return q
}

// codeRoster counts the people a code is for (its class, or its school) within the wave's
// audience, and returns the grade they all share, if they share one.
func codeRoster(tx *gorm.DB, w store.Wave, schoolID int64, classID *int64) (n int, grade string, err error) {
	var rows []struct {
		Grade string
		N     int
	}
	sel, group := "p.grade AS grade, COUNT(DISTINCT p.id) AS n", "p.grade"
	if w.Audience == "family" {
		sel, group = "c.grade AS grade, COUNT(DISTINCT g.id) AS n", "c.grade"
	}
	err = audienceAt(tx, w, schoolID, classID).Select(sel).Group(group).Scan(&rows).Error
	if err != nil {
		return 0, "", fmt.Errorf("count the code's roster: %w", err)
	}
	for _, r := range rows {
		n += r.N
	}
	if w.Audience == "family" && len(rows) > 1 {
		// A guardian with children in two grades is in two rows: count guardians once.
		var total int64
		if err := audienceAt(tx, w, schoolID, classID).Distinct("g.id").Count(&total).Error; err != nil {
			return 0, "", fmt.Errorf("count the code's roster: %w", err)
		}
		n = int(total)
	}
	if len(rows) == 1 && w.Audience == "student" {
		grade = rows[0].Grade
	}
	return n, grade, nil
}

// codeRosterTTL bounds how long a server counts a code's roster from memory: a new respondent's
// first pages ask whether the code is full, and rosters change by import, not by the minute.
const codeRosterTTL = time.Minute

type codeRosterKey struct {
	district, wave, school, class int64
}

type cachedCodeRoster struct {
	n       int
	grade   string
	fetched time.Time
}

// codeRosterCached is codeRoster, remembered for codeRosterTTL.
func (s *Service) codeRosterCached(db *gorm.DB, w store.Wave, schoolID int64, classID *int64) (int, string, error) {
	k := codeRosterKey{w.DistrictID, w.ID, schoolID, 0}
	if classID != nil {
		k.class = *classID
	}
	if v, ok := s.codeRosters.Load(k); ok {
		if c := v.(cachedCodeRoster); time.Since(c.fetched) < codeRosterTTL {
			return c.n, c.grade, nil
		}
	}
	n, grade, err := codeRoster(db, w, schoolID, classID)
	if err != nil {
		return 0, "", err
	}
	s.codeRosters.Store(k, cachedCodeRoster{n: n, grade: grade, fetched: time.Now()})
	return n, grade, nil
}

// codeAttributes are what a code response may carry: only what is the same for everyone the code
// is for. A code made for one class (or a school code in a one-grade wave) carries that grade;
// nothing per person, which a code cannot know.
func (s *Service) codeAttributes(tx *gorm.DB, w store.Wave, sess *Session) (map[string]string, error) {
	_, grade, err := s.codeRosterCached(tx, w, sess.SchoolID, sess.ClassID)
	if err != nil {
		return nil, err
	}
	if grade == "" {
		return map[string]string{}, nil
	}
	return map[string]string{"grade": grade}, nil
}

// useCode takes one of a code's responses in tx, or refuses with ErrCodeFull when the code has
// taken its roster plus the margin. The conditional UPDATE is the check: concurrent submissions
// queue on the row (PostgreSQL) or the database (SQLite), so the cap holds on any number of
// servers.
func (s *Service) useCode(tx *gorm.DB, sess *Session) error {
	if sess.Code == "" {
		return nil
	}
	n, _, err := s.codeRosterCached(tx, sess.Wave, sess.SchoolID, sess.ClassID)
	if err != nil {
		return err
	}
	res := tx.Model(&store.WaveCode{}).Where("district_id = ? AND code = ? AND used < ?", sess.Wave.DistrictID, sess.Code, n+s.codeMargin()).
		Update("used", gorm.Expr("used + 1"))
	if res.Error != nil {
		return fmt.Errorf("count the code's response: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrCodeFull
	}
	return nil
}

// codeFull reports whether a code has no response left to give a new respondent.
func (s *Service) codeFull(db *gorm.DB, w store.Wave, wc store.WaveCode) (bool, error) {
	n, _, err := s.codeRosterCached(db, w, wc.SchoolID, wc.ClassID)
	if err != nil {
		return false, err
	}
	return wc.Used >= n+s.codeMargin(), nil
}

// InvitedSnapshot is what a response by an invited respondent at schoolID stores, given their
// full snapshot (Snapshot, plus child_grade for a family) and the language they answered in: the
// same rule submission applies, for code that writes responses itself (the demo's history).
func (s *Service) InvitedSnapshot(tx *gorm.DB, w store.Wave, schoolID int64, full map[string]string, lang string) (store.Attrs, error) {
	return s.snapshotFor(tx, w, &Session{SchoolID: schoolID, Invitation: &store.Invitation{}}, full, lang)
}

// snapshotFor is what an anonymous or confidential response stores about its respondent: only
// the attributes the district reports, coarsened by the wave × school's scheme so that no stored
// combination is shared by fewer than k rostered people, plus the language the respondent chose
// only when the respondent is roster-verified (an invitation). A code respondent could pick any
// language, and so pad that group with made-up answers until a real one can be subtracted out.
func (s *Service) snapshotFor(tx *gorm.DB, w store.Wave, sess *Session, full map[string]string, lang string) (store.Attrs, error) {
	sc, err := s.scheme(tx, w, sess.SchoolID)
	if err != nil {
		return nil, err
	}
	var out map[string]string
	if sess.Invitation != nil {
		out = sc.Apply(full)
		if sc.Language && lang != "" {
			out[responseLanguage] = lang
		}
	} else {
		// A code knows only the attributes it was made with; the rest stay unrecorded, not "other".
		known := map[string]string{}
		for k, v := range full {
			if keep, ok := sc.Keep[k]; ok {
				if !slices.Contains(keep, v) {
					v = Other
				}
				known[k] = v
			}
		}
		out = known
	}
	return store.Attrs(out), nil
}
