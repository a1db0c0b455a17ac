package wave

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/credential"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// PageSize is how many questions one page shows: few enough for a phone screen without scrolling far.
const PageSize = 4

// Missing marks a skipped question in an answer string.
const Missing byte = '-'

// Session is one respondent's pass through a survey, by personal link or by class code.
type Session struct {
	Wave       store.Wave
	Instrument *survey.Instrument
	SchoolID   int64
	Owner      string            // draft key: "i:<invitation>" or "c:<wave>:<browser key>"
	Invitation *store.Invitation // nil for open links
	Code       string            // the class or school code of an open link
	ClassID    *int64            // the code's class, if it was made for one
	Draft      store.Draft       // zero UpdatedAt when nothing is saved yet
	Submitted  bool
}

// Pages is the number of question pages.
func (s *Session) Pages() int { return (len(s.Instrument.Items) + PageSize - 1) / PageSize }

// PageItems returns the item indexes on page p (0-based).
func (s *Session) PageItems(p int) []int {
	var idx []int
	for i := p * PageSize; i < (p+1)*PageSize && i < len(s.Instrument.Items); i++ {
		idx = append(idx, i)
	}
	return idx
}

// Answer returns the saved answer to item i, or -1.
func (s *Session) Answer(i int) int {
	a := s.Draft.Answers
	if i >= len(a) || a[i] == Missing {
		return -1
	}
	return int(a[i] - '0')
}

// ByToken opens a personal link. For a used link it returns the session along with ErrUsed, so the
// caller can still show the thank-you page to the person who just submitted. The invitation, the
// person's opt-out and the saved draft come back in one query: every respondent request starts here.
// The token's route names its district (#19 line 3), so the query names it too; a token made
// before routes (credential.Legacy) is looked up in every district, as it was then.
func (s *Service) ByToken(ctx context.Context, token string) (*Session, error) {
	db := s.Store.DB.WithContext(ctx)
	var row tokenRow
	route, isToken := TokenRoute(token)
	if !isToken {
		if !IsPersonalCode(NormalizeCode(token)) {
			return nil, ErrUnknown
		}
		// A printed slip's personal code, typed at /j: an extra token of the invitation.
		token = NormalizeCode(token)
	}
	hash := HashToken(token)
	var res *gorm.DB
	if !isToken {
		// A typed code names no district: slip_code_districts (a reference table on Citus) does.
		found, err := s.codeHome(db, "s:"+string(hash), slipCodeDistrictQuery, hash, func(district int64) (bool, error) {
			row = tokenRow{}
			res = db.Raw(extraTokenQuery, district, hash).Scan(&row)
			return res.Error == nil && res.RowsAffected > 0, res.Error
		})
		if err != nil {
			return nil, fmt.Errorf("look up token: %w", err)
		}
		if !found {
			return nil, ErrUnknown
		}
	} else {
		var district int64 // 0: a legacy token, looked for in every district
		if route != credential.Legacy {
			var err error
			if district, err = s.Store.DistrictOfRouteIn(db, route); errors.Is(err, store.ErrUnknownRoute) {
				return nil, ErrUnknown
			} else if err != nil {
				return nil, fmt.Errorf("look up token: %w", err)
			}
		}
		lookup := func(query, legacy string) *gorm.DB {
			if district == 0 {
				return db.Raw(legacy, hash).Scan(&row)
			}
			return db.Raw(query, district, hash).Scan(&row)
		}
		res = lookup(tokenQuery, legacyTokenQuery)
		if res.Error == nil && res.RowsAffected == 0 {
			// An extra link of the same invitation (an SMS reminder's; see internal/sms).
			res = lookup(extraTokenQuery, legacyExtraTokenQuery)
		}
		if res.Error != nil {
			return nil, fmt.Errorf("look up token: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil, ErrUnknown
		}
	}
	inv := row.Invitation
	sess, err := s.sessionWithDraft(db, inv.DistrictID, inv.WaveID, inv.SchoolID, "i:"+strconv.FormatInt(inv.ID, 10), row.Draft.draft())
	if err != nil {
		return nil, err
	}
	return s.invitationSession(sess, inv, row.OptedOut)
}

// tokenRow is an invitation found by a token, with its person's opt-out and its saved draft.
type tokenRow struct {
	store.Invitation
	OptedOut bool
	Draft    draftRow `gorm:"embedded"`
}

// invitationSession finishes opening a personal invitation's session: used (ErrUsed), opted out
// (ErrOptedOut), or open unless the wave is not (checkOpen), in that order.
func (s *Service) invitationSession(sess *Session, inv store.Invitation, optedOut bool) (*Session, error) {
	sess.Invitation = &inv
	if inv.CompletedAt != nil {
		sess.Submitted = true
		return sess, ErrUsed
	}
	if optedOut {
		return sess, ErrOptedOut
	}
	return sess, checkOpen(sess.Wave, s.Store.Now())
}

// ByCode opens a class or school code for one browser, identified by a random key in its cookie.
// The code and this browser's draft come back in one query.
func (s *Service) ByCode(ctx context.Context, code, browserKey string) (*Session, error) {
	code = NormalizeCode(code)
	if len(code) != 10 || len(browserKey) < 16 {
		return nil, ErrUnknown
	}
	var row struct {
		store.WaveCode
		Draft draftRow `gorm:"embedded"`
	}
	db := s.Store.DB.WithContext(ctx)
	// A typed code names no district: code_districts (a reference table on Citus) does, so the
	// code's own lookup goes to its district only (#19 line 3).
	found, err := s.codeHome(db, "c:"+code, codeDistrictQuery, code, func(district int64) (bool, error) {
		row.WaveCode, row.Draft = store.WaveCode{}, draftRow{}
		res := db.Raw(codeQuery, browserKey, district, code).Scan(&row)
		return res.Error == nil && res.RowsAffected > 0, res.Error
	})
	if err != nil {
		return nil, fmt.Errorf("look up code: %w", err)
	}
	if !found {
		return nil, ErrUnknown
	}
	wc := row.WaveCode
	sess, err := s.sessionWithDraft(db, wc.DistrictID, wc.WaveID, wc.SchoolID, "c:"+strconv.FormatInt(wc.WaveID, 10)+":"+browserKey, row.Draft.draft())
	if err != nil {
		return nil, err
	}
	if sess.Wave.Mode != store.ModeAnonymous {
		return nil, ErrUnknown
	}
	sess.Code, sess.ClassID = wc.Code, wc.ClassID
	if sess.Draft.Submitted {
		sess.Submitted = true
		return sess, ErrUsed
	}
	if err := checkOpen(sess.Wave, s.Store.Now()); err != nil {
		return sess, err
	}
	if sess.Draft.UpdatedAt.IsZero() {
		// A new respondent is told now, not after answering, that the code is full. One who
		// already saved answers goes on: Submit checks again.
		full, err := s.codeFull(db, sess.Wave, wc)
		if err != nil {
			return nil, err
		}
		if full {
			return sess, ErrCodeFull
		}
	}
	return sess, nil
}

// The link lookups are written out in SQL: they start every respondent request, and gorm's
// query builder (parsing the select list column by column) cost more than the query itself.
// Each brings the saved draft along, LEFT JOINed as d, in the same round trip.
const (
	// A token names its district (district_id, then hash); one made before routes does not
	// (legacy…, hash only): it is looked for in every district, as before the upgrade.
	tokenQuery       = tokenSelect + " WHERE i.district_id = ? AND i.token_hash = ? LIMIT 1"
	legacyTokenQuery = tokenSelect + " WHERE i.token_hash = ? LIMIT 1"
	tokenSelect      = "SELECT i.*, p.survey_opt_out AS opted_out, " + draftColumns + " FROM invitations i" +
		" JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id " + invitationDraftJoin
	extraTokenQuery       = extraTokenSelect + " WHERE t.district_id = ? AND t.token_hash = ? LIMIT 1"
	legacyExtraTokenQuery = extraTokenSelect + " WHERE t.token_hash = ? LIMIT 1"
	extraTokenSelect      = "SELECT i.*, p.survey_opt_out AS opted_out, " + draftColumns + " FROM invitation_tokens t" +
		" JOIN invitations i ON i.district_id = t.district_id AND i.id = t.invitation_id" +
		" JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id " + invitationDraftJoin
	// A class code's district, then the code in it; a browser's draft is "c:<wave>:<browser key>".
	codeDistrictQuery = "SELECT district_id FROM code_districts WHERE code = ? LIMIT 1"
	// A printed slip's personal code's district, by the code's hash; the code is then an extra
	// token of its invitation (extraTokenQuery).
	slipCodeDistrictQuery = "SELECT district_id FROM slip_code_districts WHERE token_hash = ? LIMIT 1"
	codeQuery             = "SELECT wc.*, " + draftColumns + " FROM wave_codes wc" +
		" LEFT JOIN drafts d ON d.district_id = wc.district_id AND d.owner = 'c:' || CAST(wc.wave_id AS TEXT) || ':' || ?" +
		" WHERE wc.district_id = ? AND wc.code = ? LIMIT 1"
)

// invitationDraftJoin finds a personal link's draft ("i:<invitation>") next to its invitation.
const invitationDraftJoin = "LEFT JOIN drafts d ON d.district_id = i.district_id AND d.owner = 'i:' || CAST(i.id AS TEXT)"

// draftColumns are a LEFT JOINed draft (alias d) as the nullable fields of draftRow.
const draftColumns = "d.district_id AS draft_district_id, d.owner AS draft_owner, d.wave_id AS draft_wave_id, " +
	"d.school_id AS draft_school_id, d.answers AS draft_answers, d.comment AS draft_comment, d.page AS draft_page, " +
	"d.language AS draft_language, d.submitted AS draft_submitted, d.updated_at AS draft_updated_at"

// draftRow is embedded with `gorm:"embedded"` under an exported field name: gorm skips the
// fields of an unexported embedded type.
type draftRow struct {
	DraftDistrictID *int64
	DraftOwner      *string
	DraftWaveID     *int64
	DraftSchoolID   *int64
	DraftAnswers    *string
	DraftComment    *string
	DraftPage       *int
	DraftLanguage   *string
	DraftSubmitted  *bool
	DraftUpdatedAt  *time.Time
}

// draft is the joined draft, or an empty one (zero UpdatedAt) when nothing is saved yet.
func (r draftRow) draft() *store.Draft {
	if r.DraftOwner == nil {
		return &store.Draft{}
	}
	d := &store.Draft{Owner: *r.DraftOwner}
	set(&d.DistrictID, r.DraftDistrictID)
	set(&d.WaveID, r.DraftWaveID)
	set(&d.SchoolID, r.DraftSchoolID)
	set(&d.Answers, r.DraftAnswers)
	set(&d.Comment, r.DraftComment)
	set(&d.Page, r.DraftPage)
	set(&d.Language, r.DraftLanguage)
	set(&d.Submitted, r.DraftSubmitted)
	set(&d.UpdatedAt, r.DraftUpdatedAt)
	return d
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (s *Service) session(db *gorm.DB, districtID, waveID, schoolID int64, owner string) (*Session, error) {
	return s.sessionWithDraft(db, districtID, waveID, schoolID, owner, nil)
}

// sessionWithDraft builds a session, reading through db; draft is the already-loaded draft (an
// empty one when there is none), or nil to load it here.
func (s *Service) sessionWithDraft(db *gorm.DB, districtID, waveID, schoolID int64, owner string, draft *store.Draft) (*Session, error) {
	w, err := s.cachedWave(db, districtID, waveID)
	if err != nil {
		return nil, err
	}
	in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
	if !ok {
		return nil, fmt.Errorf("wave %d uses instrument %s v%d, which this program does not carry", w.ID, w.InstrumentID, w.InstrumentVersion)
	}
	sess := &Session{Wave: w, Instrument: in, SchoolID: schoolID, Owner: owner}
	if draft != nil {
		sess.Draft = *draft
		return sess, nil
	}
	err = db.Where("district_id = ? AND owner = ?", districtID, owner).First(&sess.Draft).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("load saved answers: %w", err)
	}
	return sess, nil
}

// MarkOpened records the first time a personal link was opened (for response-rate funnels).
func (s *Service) MarkOpened(ctx context.Context, sess *Session) error {
	if sess.Invitation == nil || sess.Invitation.OpenedAt != nil {
		return nil
	}
	now := s.coarse(sess.Wave)
	return s.Store.DB.WithContext(ctx).Model(&store.Invitation{}).
		Where("district_id = ? AND id = ? AND opened_at IS NULL", sess.Wave.DistrictID, sess.Invitation.ID).
		Update("opened_at", now).Error
}

// coarse is the time stamped on invitations. In anonymous waves it is the day only, so the moment
// an invitation was used cannot be matched against anything else to find an answer.
func (s *Service) coarse(w store.Wave) time.Time {
	now := s.Store.Now()
	if w.Mode == store.ModeAnonymous {
		return now.Truncate(24 * time.Hour)
	}
	return now
}

// FieldErrors maps item ids to what is wrong with the posted value.
type FieldErrors map[string]error

func (f FieldErrors) Error() string {
	var ids []string
	for id := range f {
		ids = append(ids, id)
	}
	return fmt.Sprintf("%v: items %s", ErrInvalidAnswer, strings.Join(ids, ", "))
}

func (f FieldErrors) Unwrap() error { return ErrInvalidAnswer }

// SavePage validates one page's posted values (item id → "0".."K-1", "" or "skip") and saves them
// with the page reached. Nothing is saved when any value is invalid.
func (s *Service) SavePage(ctx context.Context, sess *Session, page int, values map[string]string, comment *string, nextPage int, lang string) error {
	return s.savePage(s.Store.DB.WithContext(ctx), sess, page, values, comment, nextPage, lang)
}

// SavePageTx is SavePage inside the caller's transaction tx, for a session opened in it with
// ByInvitationTx. It first reads (on PostgreSQL, locks) the invitation and refuses with ErrUsed
// one completed meanwhile: a save racing a submission must not bring back the draft the
// submission deleted, which in an anonymous wave would tie the answers to the person again.
func (s *Service) SavePageTx(ctx context.Context, tx *gorm.DB, sess *Session, page int, values map[string]string, comment *string, nextPage int, lang string) error {
	tx = tx.WithContext(ctx)
	if sess.Invitation != nil {
		used, err := s.invitationUsed(tx, sess.Wave.DistrictID, sess.Invitation.ID)
		if err != nil {
			return err
		}
		if used {
			sess.Submitted = true
			return ErrUsed
		}
	}
	return s.savePage(tx, sess, page, values, comment, nextPage, lang)
}

// invitationUsed reports whether the invitation is completed, as committed now: on PostgreSQL it
// locks the row, so no submission can complete it before tx ends (SQLite's transactions hold the
// whole database from BEGIN IMMEDIATE).
func (s *Service) invitationUsed(tx *gorm.DB, districtID, invitationID int64) (bool, error) {
	var inv store.Invitation
	err := s.forUpdate(tx, "").Select("completed_at").Where("district_id = ? AND id = ?", districtID, invitationID).Take(&inv).Error
	if err != nil {
		return false, fmt.Errorf("check invitation %d: %w", invitationID, err)
	}
	return inv.CompletedAt != nil, nil
}

// forUpdate locks the rows the query reads (of table, if set) until the transaction ends, on
// PostgreSQL. SQLite has no row locks and needs none: its transactions are BEGIN IMMEDIATE (see
// store.Tx), so a writer holds the whole database from the start.
func (s *Service) forUpdate(tx *gorm.DB, table string) *gorm.DB {
	if s.Store.Dialect != config.Postgres {
		return tx
	}
	return tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Table: clause.Table{Name: table}})
}

// savePage is SavePage writing through db.
func (s *Service) savePage(db *gorm.DB, sess *Session, page int, values map[string]string, comment *string, nextPage int, lang string) error {
	if sess.Submitted {
		return ErrUsed
	}
	in := sess.Instrument
	answers := []byte(sess.Draft.Answers)
	for len(answers) < len(in.Items) {
		answers = append(answers, Missing)
	}
	answers = answers[:len(in.Items)]
	bad := FieldErrors{}
	for _, i := range sess.PageItems(page) {
		it := in.Items[i]
		a, ok := decodeAnswer(values[it.ID], in.Scale.Points)
		if !ok {
			bad[it.ID] = fmt.Errorf("%q is not one of the answers", strings.TrimSpace(values[it.ID]))
			continue
		}
		answers[i] = a
	}
	if len(bad) > 0 {
		return bad
	}
	d := sess.Draft
	d.DistrictID, d.Owner, d.WaveID, d.SchoolID = sess.Wave.DistrictID, sess.Owner, sess.Wave.ID, sess.SchoolID
	d.Answers, d.Page, d.Language, d.UpdatedAt = string(answers), nextPage, lang, s.Store.Now()
	if comment != nil && in.Comment.Enabled {
		c := strings.TrimSpace(*comment)
		if len([]rune(c)) > 2000 {
			c = string([]rune(c)[:2000])
		}
		d.Comment = c
	}
	err := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "district_id"}, {Name: "owner"}},
		DoUpdates: clause.AssignmentColumns([]string{"answers", "comment", "page", "language", "updated_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Eq{Column: clause.Column{Table: "drafts", Name: "submitted"}, Value: false}}},
	}).Create(&d).Error
	if err != nil {
		return fmt.Errorf("save answers: %w", err)
	}
	sess.Draft = d
	return nil
}

// decodeAnswer reads one posted answer: "0".."points-1" is that answer, "" or "skip" is Missing;
// anything else is refused (ok false). Pure, so it is fuzzed on its own.
func decodeAnswer(v string, points int) (answer byte, ok bool) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" || v == "skip":
		return Missing, true
	case len(v) == 1 && v[0] >= '0' && int(v[0]-'0') < points:
		return v[0], true
	}
	return 0, false
}

// Submit turns the saved answers into one response, in one short transaction. It is idempotent:
// a double tap, a reload or a replayed POST after the first submission changes nothing and
// returns nil, so the caller shows the thank-you page again.
func (s *Service) Submit(ctx context.Context, sess *Session, lang string) error {
	if sess.Submitted {
		return nil
	}
	if err := checkOpen(sess.Wave, s.Store.Now()); err != nil {
		return err
	}
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error { return s.submit(ctx, tx, sess, lang) })
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	sess.Submitted = true
	return nil
}

// SubmitTx is Submit inside the caller's transaction tx, for a caller that saved the last answers
// in it (SavePageTx): the response is made from exactly the draft tx saw. sess counts as submitted
// from then on, even if the caller later rolls tx back.
func (s *Service) SubmitTx(ctx context.Context, tx *gorm.DB, sess *Session, lang string) error {
	if sess.Submitted {
		return nil
	}
	if err := checkOpen(sess.Wave, s.Store.Now()); err != nil {
		return err
	}
	if err := s.submit(ctx, tx.WithContext(ctx), sess, lang); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	sess.Submitted = true
	return nil
}

// submit claims the invitation (or the open link's draft) and, in tx, stores and scores the
// response (confidential waves) or drops it as a sealed ballot in the ballot box (anonymous
// waves); when someone else claimed it first it stores nothing and returns nil.
func (s *Service) submit(ctx context.Context, tx *gorm.DB, sess *Session, lang string) error {
	w, in := sess.Wave, sess.Instrument
	claimed, err := s.claim(tx, sess)
	if err != nil || !claimed {
		return err
	}
	answers := sess.Draft.Answers
	for len(answers) < len(in.Items) {
		answers += string(Missing)
	}
	resp := store.Response{
		DistrictID: w.DistrictID, ID: store.NewID(), WaveID: w.ID, SchoolID: sess.SchoolID,
		Language: lang, Answers: answers[:len(in.Items)], Comment: sess.Draft.Comment,
	}
	if sess.Invitation == nil {
		resp.Language = "" // chosen by whoever holds a code: stored, like response_language, only for invitations
	}
	if err := s.useCode(tx, sess); err != nil {
		return err
	}
	subgroups, err := s.snapshot(tx, w, sess, lang)
	if err != nil {
		return err
	}
	resp.Subgroups = subgroups
	if w.Mode == store.ModeConfidential && sess.Invitation != nil {
		now := s.Store.Now()
		resp.InvitationID, resp.PersonID, resp.SubmittedAt = &sess.Invitation.ID, &sess.Invitation.PersonID, &now
	}
	if w.Mode == store.ModeAnonymous {
		// Never the response itself: it would share this transaction (xmin), and the row order,
		// with the invitation or draft claimed above. The mixer makes it later (see Mix).
		if err := s.seal(tx, resp); err != nil {
			return err
		}
	} else if err := s.record(ctx, tx, in, []store.Response{resp}); err != nil {
		return err
	}
	if sess.Invitation != nil {
		// The draft becomes an empty "submitted" marker rather than going away: a page save racing
		// this submission (a double tap, a stale tab, a second text) then finds the marker, which
		// SavePage's upsert never overwrites, instead of writing the answers back under the
		// invitation — in an anonymous wave, a link from the answers to the person.
		marker := store.Draft{DistrictID: w.DistrictID, Owner: sess.Owner, WaveID: w.ID, SchoolID: sess.SchoolID, Submitted: true, Language: lang, UpdatedAt: s.coarse(w)}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "district_id"}, {Name: "owner"}},
			DoUpdates: clause.AssignmentColumns([]string{"answers", "comment", "page", "language", "submitted", "updated_at"}),
		}).Create(&marker).Error
	}
	return nil
}

// claim marks the invitation (or the open-link draft) as used; false means someone got there first.
func (s *Service) claim(tx *gorm.DB, sess *Session) (bool, error) {
	w := sess.Wave
	if sess.Invitation != nil {
		res := tx.Model(&store.Invitation{}).Where("district_id = ? AND id = ? AND completed_at IS NULL", w.DistrictID, sess.Invitation.ID).
			Update("completed_at", s.coarse(w))
		return res.RowsAffected == 1, res.Error
	}
	// Open links: the browser's draft row becomes an empty "submitted" marker (its answers move to
	// the response), created if the person submitted without saving any page.
	marker := store.Draft{DistrictID: w.DistrictID, Owner: sess.Owner, WaveID: w.ID, SchoolID: sess.SchoolID, Submitted: true, UpdatedAt: s.coarse(w)}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&marker)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	res = tx.Model(&store.Draft{}).Where("district_id = ? AND owner = ? AND submitted = ?", w.DistrictID, sess.Owner, false).
		Updates(map[string]any{"submitted": true, "answers": "", "comment": "", "updated_at": s.coarse(w)})
	return res.RowsAffected == 1, res.Error
}

// SnapshotKeys lists the person attributes copied onto a response, per audience. Copying (not
// joining) keeps results stable when a roster changes and is the only subgroup path an anonymous
// response has. Grade, role and language come from their own columns.
func SnapshotKeys(audience string) []string {
	switch audience {
	case "student":
		return []string{"gender", "race_ethnicity", "english_learner", "disability", "low_income", "home_language"}
	case "staff":
		return []string{"department", "tenure"}
	}
	return nil
}

// Snapshot is the reporting attributes a person carries onto a response in a wave for audience
// (a family's child grade, which needs the school, is added by the caller).
func Snapshot(audience string, p store.Person) store.Attrs {
	out := store.Attrs{}
	for _, k := range SnapshotKeys(audience) {
		if v := p.Attributes[k]; v != "" {
			out[k] = v
		}
	}
	var k, v string
	switch audience {
	case "student":
		k, v = "grade", p.Grade
	case "staff":
		k, v = "role", p.Role
	case "family":
		k, v = "language", p.PreferredLanguage
	}
	if v != "" {
		out[k] = v
	}
	return out
}

// ChildGrades maps each family invitation of a wave, as (guardian, school), to the grade a family
// response is reported under: the youngest child's at that school, as snapshot records it on
// submission. Invited counts and the demo's simulated answers group families the same way.
func ChildGrades(tx *gorm.DB, districtID, waveID int64) (map[[2]int64]string, error) {
	var rows []struct {
		GuardianID, SchoolID int64
		Grade                string
	}
	// Every child's grade comes back and the youngest is picked here: SQL's MIN orders grades as
	// text, and "03" < "KG".
	err := tx.Raw(`SELECT DISTINCT gl.guardian_id, ps.school_id, c.grade FROM invitations i
		JOIN guardian_links gl ON gl.district_id = i.district_id AND gl.guardian_id = i.person_id
		JOIN people c ON c.district_id = gl.district_id AND c.id = gl.student_id
		JOIN person_schools ps ON ps.district_id = c.district_id AND ps.person_id = c.id AND ps.school_id = i.school_id
		WHERE i.district_id = ? AND i.wave_id = ? AND c.grade <> ''`, districtID, waveID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("child grades: %w", err)
	}
	out := make(map[[2]int64]string, len(rows))
	for _, g := range rows {
		k := [2]int64{g.GuardianID, g.SchoolID}
		out[k] = YoungestGrade([]string{out[k], g.Grade})
	}
	return out, nil
}

// snapshot is the subgroup record a response stores (see snapshotFor): the respondent's roster
// attributes through an invitation, the code's shared ones through a code.
func (s *Service) snapshot(tx *gorm.DB, w store.Wave, sess *Session, lang string) (store.Attrs, error) {
	if sess.Invitation == nil {
		full, err := s.codeAttributes(tx, w, sess)
		if err != nil {
			return nil, err
		}
		return s.snapshotFor(tx, w, sess, full, lang)
	}
	var p store.Person
	if err := tx.Where("district_id = ? AND id = ?", w.DistrictID, sess.Invitation.PersonID).First(&p).Error; err != nil {
		return nil, fmt.Errorf("load respondent attributes: %w", err)
	}
	full := Snapshot(w.Audience, p)
	if w.Audience == "family" {
		// A family with several children at the school is reported under the youngest's grade,
		// youngest by grade order (YoungestGrade), not text order.
		var grades []string
		err := tx.Table("people c").Joins("JOIN guardian_links gl ON gl.district_id = c.district_id AND gl.student_id = c.id").
			Joins("JOIN person_schools ps ON ps.district_id = c.district_id AND ps.person_id = c.id").
			Where("gl.district_id = ? AND gl.guardian_id = ? AND ps.school_id = ? AND c.grade <> ''", w.DistrictID, p.ID, sess.SchoolID).
			Pluck("c.grade", &grades).Error
		if err != nil {
			return nil, fmt.Errorf("load child grade: %w", err)
		}
		if g := YoungestGrade(grades); g != "" {
			full["child_grade"] = g
		}
	}
	return s.snapshotFor(tx, w, sess, full, lang)
}
