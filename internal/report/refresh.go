// Package report owns results: rollups of scored responses by wave × school × measure × subgroup,
// the privacy floor over them, gaps and change, and the read models dashboards, exports and the
// API are drawn from. Nothing leaves this package for a cell the floor hides.
package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Service keeps the rollups current and answers questions about them.
type Service struct {
	Store   *store.Store
	Surveys *survey.Catalog
	// Floor is the deployment's privacy floor; a district may only raise it.
	Floor int
	Log   *slog.Logger
}

// DefaultFloor is the minimum group size when nothing else is set.
const DefaultFloor = 10

// floor is the privacy floor for a district: the stricter of the deployment's and the district's,
// never below 5.
func (s *Service) floor(d store.District) int {
	return max(s.Floor, d.MinGroupSize, 5)
}

const batchSize = 1000

// ErrWaveFailed marks the error of a wave whose results could not be built; Refresh has already
// logged it and recorded it on the wave for its admins.
var ErrWaveFailed = errors.New("results of a wave could not be built")

// RefreshJob is Refresh as the periodic job serve runs: a wave that fails to build is recorded on
// its refresh-state row and logged once by Refresh, so the job itself does not fail for it (the
// runner would log it again on every tick); any other error fails the run.
func (s *Service) RefreshJob(ctx context.Context) (int, error) {
	n, err := s.Refresh(ctx)
	var rest []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if !errors.Is(e, ErrWaveFailed) {
				rest = append(rest, e)
			}
		}
		return n, errors.Join(rest...)
	}
	if errors.Is(err, ErrWaveFailed) {
		return n, nil
	}
	return n, err
}

// Refresh brings every wave's cells up to date: it weighs the responses held since the last
// release, rebuilds waves marked stale (after a rescore or a settings change) or never built, and
// recounts invitations where they changed. It returns how many waves' results changed. One wave that fails does not stop the others: its
// error is logged, recorded on the wave (the wave page shows it) and returned joined with the
// others' after every wave was tried.
//
// It works district by district: every statement names its district.
func (s *Service) Refresh(ctx context.Context) (int, error) {
	ids, err := s.Store.DistrictIDs(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, d := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		changed, err := s.refreshDistrict(ctx, d)
		n += changed
		errs = append(errs, err...)
	}
	return n, errors.Join(errs...)
}

// refreshDistrict is Refresh for one district; it returns the errors of its waves one by one.
func (s *Service) refreshDistrict(ctx context.Context, district int64) (int, []error) {
	type due struct{ DistrictID, WaveID int64 }
	var waves []due
	db := s.Store.DB.WithContext(ctx)
	err := db.Raw(`SELECT DISTINCT district_id, wave_id FROM rollup_pending WHERE district_id = ?
		UNION SELECT district_id, wave_id FROM rollup_waves WHERE district_id = ? AND (stale OR held > 0)
		UNION SELECT w.district_id, w.id FROM waves w WHERE w.district_id = ? AND w.status <> ? AND NOT EXISTS
			(SELECT 1 FROM rollup_waves rw WHERE rw.district_id = w.district_id AND rw.wave_id = w.id AND rw.built_at IS NOT NULL)
		UNION SELECT rw.district_id, rw.wave_id FROM rollup_waves rw JOIN waves w ON w.district_id = rw.district_id AND w.id = rw.wave_id
			WHERE rw.district_id = ? AND w.status = ? AND rw.invitations <> (SELECT count(*) FROM invitations i WHERE i.district_id = rw.district_id AND i.wave_id = rw.wave_id)`,
		district, district, district, store.StatusDraft, district, store.StatusOpen).Scan(&waves).Error
	if err != nil {
		return 0, []error{fmt.Errorf("find waves to refresh: %w", err)}
	}
	var errs []error
	n := 0
	for _, w := range waves {
		changed, err := s.refreshWave(ctx, w.DistrictID, w.WaveID)
		if err == nil {
			if changed {
				n++
			}
			continue
		}
		if ctx.Err() != nil {
			return n, append(errs, ctx.Err())
		}
		s.recordFailure(ctx, w.DistrictID, w.WaveID, err)
		errs = append(errs, fmt.Errorf("%w: %w", ErrWaveFailed, err))
	}
	return n, errs
}

// recordFailure logs a wave's build failure and keeps it on the wave's state row, where the wave
// page shows it, until the wave builds again. It is logged as an error once per distinct failure,
// not on every tick of the refresher.
func (s *Service) recordFailure(ctx context.Context, districtID, waveID int64, cause error) {
	msg := cause.Error()
	var prev []string
	db := s.Store.DB.WithContext(ctx)
	_ = db.Model(&store.RollupWave{}).Where("district_id = ? AND wave_id = ?", districtID, waveID).Pluck("error", &prev).Error
	if len(prev) == 1 && prev[0] == msg {
		s.log().Debug("results of a wave still fail to build", "district", districtID, "wave", waveID, "err", cause)
	} else {
		s.log().Error("results of a wave failed to build; the other waves go on", "district", districtID, "wave", waveID, "err", cause)
	}
	now := s.Store.Now()
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "district_id"}, {Name: "wave_id"}},
		DoUpdates: clause.Assignments(map[string]any{"error": msg, "failed_at": now})}).
		Create(&store.RollupWave{DistrictID: districtID, WaveID: waveID, Stale: true, Error: msg, FailedAt: &now}).Error
	if err != nil {
		s.log().Error("record a wave's build failure", "wave", waveID, "err", err)
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// RefreshWave updates one wave's cells in one transaction. A stale or new wave is rebuilt from
// all its released responses; then the responses held since the last release are weighed by
// the district's release rule (DecideRelease) and, if it allows, released as one batch and
// counted. The privacy floor is then decided again over the whole wave, since new answers can
// change what must be hidden. Nothing is written when nothing changed.
func (s *Service) RefreshWave(ctx context.Context, districtID, waveID int64) error {
	_, err := s.refreshWave(ctx, districtID, waveID)
	return err
}

// refreshWave is RefreshWave, reporting whether the wave's cells changed.
func (s *Service) refreshWave(ctx context.Context, districtID, waveID int64) (bool, error) {
	var w store.Wave
	var d store.District
	db := s.Store.DB.WithContext(ctx)
	if err := db.Where("district_id = ? AND id = ?", districtID, waveID).First(&w).Error; err != nil {
		return false, store.NotFound(err, fmt.Sprintf("wave %d", waveID))
	}
	if err := db.Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return false, store.NotFound(err, fmt.Sprintf("district %d", districtID))
	}
	in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
	if !ok {
		return false, fmt.Errorf("refresh wave %d: instrument %s v%d is not in this program", waveID, w.InstrumentID, w.InstrumentVersion)
	}
	zone, err := s.waveZone(ctx, w)
	if err != nil {
		return false, fmt.Errorf("refresh wave %d: %w", waveID, err)
	}
	attrs := Attributes(in.Audience, d.Settings)
	policy := ReleasePolicyOf(d.Settings)
	if idle, err := s.idle(ctx, w, policy, zone); err != nil || idle {
		return false, err
	}
	changed := false
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		state, err := lockWave(tx, districtID, waveID)
		if err != nil {
			return err
		}
		full := state.Stale || state.BuiltAt == nil
		cs := Cells{}
		if full {
			err = addReleasedResponses(tx, w, in, attrs, cs)
		} else {
			cs, err = loadCells(tx, districtID, waveID)
		}
		if err != nil {
			return err
		}
		now := s.Store.Now()
		rel, err := s.release(tx, w, in, attrs, policy, zone, state, full, now, cs)
		if err != nil {
			return err
		}
		var invitations int64
		if err := tx.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ?", districtID, waveID).Count(&invitations).Error; err != nil {
			return err
		}
		recount := full || int(invitations) != state.Invitations
		update := map[string]any{"held": rel.held, "held_due": rel.due}
		if rel.released {
			update["release_batch"], update["released_at"] = state.ReleaseBatch+1, now
		}
		if !full && !rel.released && !recount {
			// Nothing shown changes: keep the cells as they are and only note the decision.
			return tx.Model(&store.RollupWave{}).Where("district_id = ? AND wave_id = ?", districtID, waveID).Updates(update).Error
		}
		if recount {
			if err := countInvited(tx, w, attrs, cs); err != nil {
				return err
			}
		}
		changed = true
		SuppressPooled(cs, s.floor(d))
		if err := saveCells(tx, districtID, waveID, cs); err != nil {
			return err
		}
		update["stale"], update["invitations"], update["built_at"], update["error"], update["failed_at"] = false, invitations, now, "", nil
		return tx.Model(&store.RollupWave{}).Where("district_id = ? AND wave_id = ?", districtID, waveID).Updates(update).Error
	})
	if err != nil {
		return false, fmt.Errorf("refresh wave %d: %w", waveID, err)
	}
	return changed, nil
}

// idle reports, without locking or writing anything, that a wave's last decision still stands:
// it is built, not stale, its held responses and the schedule's answer are as they were, and its
// invitations did not change. A wave whose held batch cannot be released yet is due on every tick
// (its responses stay queued); this keeps such ticks to a few reads. A race with another refresher
// at worst leaves the work to the next tick, where the locked path decides it.
func (s *Service) idle(ctx context.Context, w store.Wave, p ReleasePolicy, zone *time.Location) (bool, error) {
	db := s.Store.DB.WithContext(ctx)
	var states []store.RollupWave
	if err := db.Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Find(&states).Error; err != nil {
		return false, fmt.Errorf("wave state: %w", err)
	}
	if len(states) == 0 || states[0].Stale || states[0].BuiltAt == nil || states[0].Held == 0 {
		return false, nil
	}
	st := states[0]
	var held, invitations int64
	if err := db.Table("responses r").Where("r.district_id = ? AND r.wave_id = ? AND "+unreleased, w.DistrictID, w.ID).Count(&held).Error; err != nil {
		return false, fmt.Errorf("count held responses: %w", err)
	}
	if err := db.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Count(&invitations).Error; err != nil {
		return false, fmt.Errorf("count invitations: %w", err)
	}
	in := ReleaseInput{Anonymous: w.Mode == store.ModeAnonymous, Closed: w.Status == store.StatusClosed, Now: s.Store.Now(), Zone: zone,
		Opened: w.OpensAt, LastRelease: st.ReleasedAt}
	due := ReleaseDue(p, in) || !in.Anonymous
	return int(held) == st.Held && due == st.HeldDue && int(invitations) == st.Invitations, nil
}

// waveZone is the time zone a daily release time is read in: the wave's schools' (the first by
// name, if they differ).
func (s *Service) waveZone(ctx context.Context, w store.Wave) (*time.Location, error) {
	var zones []string
	if err := s.Store.DB.WithContext(ctx).Table("schools s").Select("s.time_zone").
		Joins("JOIN wave_schools ws ON ws.district_id = s.district_id AND ws.school_id = s.id").
		Where("ws.district_id = ? AND ws.wave_id = ?", w.DistrictID, w.ID).Order("s.name").Limit(1).Pluck("s.time_zone", &zones).Error; err != nil {
		return nil, fmt.Errorf("wave time zone: %w", err)
	}
	if len(zones) == 0 {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(zones[0])
	if err != nil {
		return nil, fmt.Errorf("wave time zone %q: %w", zones[0], err)
	}
	return loc, nil
}

type releaseOutcome struct {
	released bool
	held     int
	due      bool
}

// release weighs the wave's held responses — every response in `responses` without a release
// mark, however it got there — and, if the rule allows, marks them released in the next batch
// and counts them into cs. Unchanged held sets are not weighed again unless the schedule's
// answer changed or the cells were rebuilt (the cells a batch changes depend on the settings).
func (s *Service) release(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, p ReleasePolicy, zone *time.Location,
	state store.RollupWave, full bool, now time.Time, cs Cells) (releaseOutcome, error) {
	var held int64
	if err := tx.Table("responses r").Where("r.district_id = ? AND r.wave_id = ? AND "+unreleased, w.DistrictID, w.ID).Count(&held).Error; err != nil {
		return releaseOutcome{}, fmt.Errorf("count held responses: %w", err)
	}
	input := ReleaseInput{Anonymous: w.Mode == store.ModeAnonymous, Closed: w.Status == store.StatusClosed, Held: int(held),
		FirstRelease: state.ReleaseBatch == 0, Now: now, Zone: zone, Opened: w.OpensAt, LastRelease: state.ReleasedAt}
	due := ReleaseDue(p, input) || !input.Anonymous
	out := releaseOutcome{held: int(held), due: due}
	if held == 0 || (!full && int(held) == state.Held && due == state.HeldDue) {
		return out, nil
	}
	delta := Cells{}
	var ids []int64
	for last := int64(math.MinInt64); ; {
		var rs []store.Response
		if err := tx.Table("responses r").Where("r.district_id = ? AND r.wave_id = ? AND r.id > ? AND "+unreleased, w.DistrictID, w.ID, last).
			Order("r.id").Limit(batchSize).Find(&rs).Error; err != nil {
			return out, fmt.Errorf("read held responses: %w", err)
		}
		if len(rs) == 0 {
			break
		}
		if err := addResponses(tx, w, in, attrs, delta, rs); err != nil {
			return out, err
		}
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		last = rs[len(rs)-1].ID
	}
	input.Held, input.Delta = len(ids), delta
	decision := DecideRelease(p, input)
	if !decision.Release && decision.Reason == ReasonSmallCell {
		// Not all of them: release the part that meets the rule, so one respondent of a rare
		// group does not hold everyone else's answers back until close.
		var err error
		if ids, delta, err = selectHeld(tx, w, in, attrs, p.K); err != nil {
			return out, err
		}
		decision.Release = len(ids) > 0
	}
	if !decision.Release {
		return out, nil
	}
	batch := state.ReleaseBatch + 1
	rows := make([]store.ResponseRelease, len(ids))
	for i, id := range ids {
		rows[i] = store.ResponseRelease{DistrictID: w.DistrictID, ResponseID: id, WaveID: w.ID, Batch: batch}
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return out, fmt.Errorf("release batch %d: %w", batch, err)
	}
	for start := 0; start < len(ids); start += batchSize {
		if err := tx.Where("district_id = ? AND response_id IN ?", w.DistrictID, ids[start:min(start+batchSize, len(ids))]).
			Delete(&store.RollupPending{}).Error; err != nil {
			return out, fmt.Errorf("dequeue released responses: %w", err)
		}
	}
	cs.merge(delta)
	return releaseOutcome{released: true, held: int(held) - len(ids), due: due}, nil
}

// selectHeld reads the wave's held responses and picks, by SelectRelease, the ones a batch may
// release; it returns their ids and what they add to the cells. The held responses of one wave are
// kept in memory for this (they are a day's or a batch's worth; a first release, which may be a
// whole wave's, never comes here).
func selectHeld(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, k int) ([]int64, Cells, error) {
	var held []Response
	var ids []int64
	for last := int64(math.MinInt64); ; {
		var rs []store.Response
		if err := tx.Table("responses r").Where("r.district_id = ? AND r.wave_id = ? AND r.id > ? AND "+unreleased, w.DistrictID, w.ID, last).
			Order("r.id").Limit(batchSize).Find(&rs).Error; err != nil {
			return nil, nil, fmt.Errorf("read held responses: %w", err)
		}
		if len(rs) == 0 {
			break
		}
		batch, err := withScores(tx, w, rs)
		if err != nil {
			return nil, nil, err
		}
		held = append(held, batch...)
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		last = rs[len(rs)-1].ID
	}
	number := map[Key]int{}
	contributions := make([][]int, len(held))
	scratch := Cells{}
	for i, r := range held {
		scratch.Add(in, attrs, r)
		for key := range scratch {
			n, ok := number[key]
			if !ok {
				n = len(number)
				number[key] = n
			}
			contributions[i] = append(contributions[i], n)
		}
		clear(scratch)
	}
	delta := Cells{}
	var out []int64
	for _, i := range SelectRelease(contributions, k) {
		delta.Add(in, attrs, held[i])
		out = append(out, ids[i])
	}
	return out, delta, nil
}

// unreleased is the condition on responses r that they are held: not yet released into results.
const unreleased = `NOT EXISTS (SELECT 1 FROM response_releases rr WHERE rr.district_id = r.district_id AND rr.response_id = r.id)`

// lockWave makes sure the wave has a state row and locks it, so two refreshers (two servers) never
// count the same queued response twice: the second waits, then sees the queue emptied.
func lockWave(tx *gorm.DB, districtID, waveID int64) (store.RollupWave, error) {
	st := store.RollupWave{DistrictID: districtID, WaveID: waveID, Stale: true}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&st).Error; err != nil {
		return st, fmt.Errorf("wave state: %w", err)
	}
	// An update takes the row lock on PostgreSQL; SQLite's write transaction already excludes others.
	if err := tx.Exec("UPDATE rollup_waves SET invitations = invitations WHERE district_id = ? AND wave_id = ?", districtID, waveID).Error; err != nil {
		return st, fmt.Errorf("lock wave state: %w", err)
	}
	err := tx.Where("district_id = ? AND wave_id = ?", districtID, waveID).First(&st).Error
	return st, err
}

func loadCells(tx *gorm.DB, districtID, waveID int64) (Cells, error) {
	var rows []store.RollupCell
	if err := tx.Where("district_id = ? AND wave_id = ?", districtID, waveID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load cells: %w", err)
	}
	cs := make(Cells, len(rows))
	for _, r := range rows {
		k, c := cellOf(r) // its Suppressed flag is decided again before the cells are saved
		cs[k] = c
	}
	return cs, nil
}

func saveCells(tx *gorm.DB, districtID, waveID int64, cs Cells) error {
	if err := tx.Where("district_id = ? AND wave_id = ?", districtID, waveID).Delete(&store.RollupCell{}).Error; err != nil {
		return fmt.Errorf("clear cells: %w", err)
	}
	rows := make([]store.RollupCell, 0, len(cs))
	for k, c := range cs {
		rows = append(rows, store.RollupCell{DistrictID: districtID, WaveID: waveID, SchoolID: k.School, MeasureID: k.Measure,
			ItemID: k.Item, Attribute: k.Attribute, Value: k.Value, N: c.N, Sum: c.Sum, SumSq: c.SumSq, Favorable: c.Favorable,
			Answered: c.Answered, C0: c.Cats[0], C1: c.Cats[1], C2: c.Cats[2], C3: c.Cats[3], C4: c.Cats[4],
			Invited: c.Invited, Suppressed: c.Suppressed, Hidden: string(c.Why)})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("save cells: %w", err)
	}
	return nil
}

// addReleasedResponses counts every released response of the wave, in id order and batches so
// memory stays flat. Held responses are weighed afterwards by release.
func addReleasedResponses(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, cs Cells) error {
	for last := int64(math.MinInt64); ; {
		var rs []store.Response
		if err := tx.Table("responses r").Select("r.*").
			Joins("JOIN response_releases rr ON rr.district_id = r.district_id AND rr.response_id = r.id").
			Where("r.district_id = ? AND r.wave_id = ? AND r.id > ?", w.DistrictID, w.ID, last).
			Order("r.id").Limit(batchSize).Find(&rs).Error; err != nil {
			return fmt.Errorf("read responses: %w", err)
		}
		if len(rs) == 0 {
			return nil
		}
		if err := addResponses(tx, w, in, attrs, cs, rs); err != nil {
			return err
		}
		last = rs[len(rs)-1].ID
	}
}

// addResponses counts a batch of responses with their scores into cs.
func addResponses(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, cs Cells, rs []store.Response) error {
	batch, err := withScores(tx, w, rs)
	if err != nil {
		return err
	}
	for _, r := range batch {
		cs.Add(in, attrs, r)
	}
	return nil
}

// withScores reads a batch of responses' scores and returns what a rollup needs of each.
func withScores(tx *gorm.DB, w store.Wave, rs []store.Response) ([]Response, error) {
	ids := make([]int64, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	var scores []store.Score
	if err := tx.Where("district_id = ? AND response_id IN ?", w.DistrictID, ids).Find(&scores).Error; err != nil {
		return nil, fmt.Errorf("read scores: %w", err)
	}
	// A measure with reference values is counted into the bands the district set, not the
	// instrument's starting ones the score was stored with (see reference.go).
	cuts, err := referenceCuts(tx, w.DistrictID, w.InstrumentID)
	if err != nil {
		return nil, err
	}
	for i := range scores {
		if c, ok := cuts[scores[i].MeasureID]; ok {
			scores[i].Category = BandOf(c, scores[i].Score)
		}
	}
	byResponse := make(map[int64][]store.Score, len(rs))
	for _, sc := range scores {
		byResponse[sc.ResponseID] = append(byResponse[sc.ResponseID], sc)
	}
	out := make([]Response, len(rs))
	for i, r := range rs {
		out[i] = Response{School: r.SchoolID, Answers: r.Answers, Groups: r.Subgroups, Scores: byResponse[r.ID]}
	}
	return out, nil
}

// countInvited sets each group's invited count from the wave's invitations and today's roster
// attributes, taken the same way a submission snapshots them.
func countInvited(tx *gorm.DB, w store.Wave, attrs []string, cs Cells) error {
	for _, c := range cs {
		c.Invited = 0
	}
	type row struct {
		InvitedSchoolID int64
		store.Person
	}
	childGrade := map[[2]int64]string{}
	if w.Audience == "family" {
		var err error
		if childGrade, err = wave.ChildGrades(tx, w.DistrictID, w.ID); err != nil {
			return fmt.Errorf("count invited: %w", err)
		}
	}
	rows, err := tx.Table("invitations i").Select("i.school_id AS invited_school_id, p.*").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("i.district_id = ? AND i.wave_id = ?", w.DistrictID, w.ID).Rows()
	if err != nil {
		return fmt.Errorf("count invited: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		if err := tx.ScanRows(rows, &r); err != nil {
			return fmt.Errorf("count invited: %w", err)
		}
		g := wave.Snapshot(w.Audience, r.Person)
		if cg := childGrade[[2]int64{r.ID, r.InvitedSchoolID}]; cg != "" {
			g["child_grade"] = cg
		}
		cs.AddInvited(attrs, r.InvitedSchoolID, g)
	}
	return rows.Err()
}
