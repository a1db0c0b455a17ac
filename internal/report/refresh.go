// Package report owns results: rollups of scored responses by wave × school × measure × subgroup,
// the privacy floor over them, gaps and change, and the read models dashboards, exports and the
// API are drawn from. Nothing leaves this package for a cell the floor hides.
package report

import (
	"context"
	"fmt"
	"log/slog"
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

// Refresh brings every wave's cells up to date: it counts responses scored since the last refresh,
// rebuilds waves marked stale (after a rescore) or never built, and recounts invitations where
// they changed. It returns how many waves it refreshed.
func (s *Service) Refresh(ctx context.Context) (int, error) {
	type due struct{ DistrictID, WaveID int64 }
	var waves []due
	db := s.Store.DB.WithContext(ctx)
	err := db.Raw(`SELECT DISTINCT district_id, wave_id FROM rollup_pending
		UNION SELECT district_id, wave_id FROM rollup_waves WHERE stale
		UNION SELECT w.district_id, w.id FROM waves w WHERE w.status <> ? AND NOT EXISTS
			(SELECT 1 FROM rollup_waves rw WHERE rw.district_id = w.district_id AND rw.wave_id = w.id AND rw.built_at IS NOT NULL)
		UNION SELECT rw.district_id, rw.wave_id FROM rollup_waves rw JOIN waves w ON w.district_id = rw.district_id AND w.id = rw.wave_id
			WHERE w.status = ? AND rw.invitations <> (SELECT count(*) FROM invitations i WHERE i.district_id = rw.district_id AND i.wave_id = rw.wave_id)`,
		store.StatusDraft, store.StatusOpen).Scan(&waves).Error
	if err != nil {
		return 0, fmt.Errorf("find waves to refresh: %w", err)
	}
	for _, w := range waves {
		if err := s.RefreshWave(ctx, w.DistrictID, w.WaveID); err != nil {
			return 0, err
		}
	}
	return len(waves), nil
}

// Run refreshes every interval until ctx ends. Errors are logged, not fatal: the next tick retries.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("refresh results", "err", err)
		} else if n > 0 {
			s.Log.Debug("refreshed results", "waves", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RefreshWave updates one wave's cells in one transaction: incrementally from the responses queued
// since the last refresh, or from all the wave's scores when it is stale or new. The privacy floor
// is then decided again over the whole wave, since one new answer can change what must be hidden.
func (s *Service) RefreshWave(ctx context.Context, districtID, waveID int64) error {
	var w store.Wave
	var d store.District
	db := s.Store.DB.WithContext(ctx)
	if err := db.Where("district_id = ? AND id = ?", districtID, waveID).First(&w).Error; err != nil {
		return store.NotFound(err, fmt.Sprintf("wave %d", waveID))
	}
	if err := db.Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return store.NotFound(err, fmt.Sprintf("district %d", districtID))
	}
	in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
	if !ok {
		return fmt.Errorf("refresh wave %d: instrument %s v%d is not in this program", waveID, w.InstrumentID, w.InstrumentVersion)
	}
	attrs := Attributes(in.Audience, d.Settings)
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		state, err := lockWave(tx, districtID, waveID)
		if err != nil {
			return err
		}
		full := state.Stale || state.BuiltAt == nil
		cs := Cells{}
		if !full {
			if cs, err = loadCells(tx, districtID, waveID); err != nil {
				return err
			}
		}
		if full {
			err = addAllResponses(tx, w, in, attrs, cs)
		} else {
			err = addPendingResponses(tx, w, in, attrs, cs)
		}
		if err != nil {
			return err
		}
		var invitations int64
		if err := tx.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ?", districtID, waveID).Count(&invitations).Error; err != nil {
			return err
		}
		if full || int(invitations) != state.Invitations {
			if err := countInvited(tx, w, attrs, cs); err != nil {
				return err
			}
		}
		Suppress(cs, s.floor(d))
		if err := saveCells(tx, districtID, waveID, cs); err != nil {
			return err
		}
		now := s.Store.Now()
		return tx.Model(&store.RollupWave{}).Where("district_id = ? AND wave_id = ?", districtID, waveID).
			Updates(map[string]any{"stale": false, "invitations": invitations, "built_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("refresh wave %d: %w", waveID, err)
	}
	return nil
}

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
			Invited: c.Invited, Suppressed: c.Suppressed})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("save cells: %w", err)
	}
	return nil
}

// addPendingResponses counts the responses queued for the wave and takes them off the queue.
func addPendingResponses(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, cs Cells) error {
	var ids []int64
	if err := tx.Model(&store.RollupPending{}).Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).
		Pluck("response_id", &ids).Error; err != nil {
		return fmt.Errorf("read queue: %w", err)
	}
	for start := 0; start < len(ids); start += batchSize {
		batch := ids[start:min(start+batchSize, len(ids))]
		var rs []store.Response
		if err := tx.Where("district_id = ? AND id IN ?", w.DistrictID, batch).Find(&rs).Error; err != nil {
			return fmt.Errorf("read responses: %w", err)
		}
		if err := addResponses(tx, w, in, attrs, cs, rs); err != nil {
			return err
		}
	}
	return nil
}

// addAllResponses counts every response of the wave, in id order and batches so memory stays flat.
func addAllResponses(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, cs Cells) error {
	for last := int64(-1); ; {
		var rs []store.Response
		if err := tx.Where("district_id = ? AND wave_id = ? AND id > ?", w.DistrictID, w.ID, last).
			Order("id").Limit(batchSize).Find(&rs).Error; err != nil {
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

// addResponses counts a batch with its scores and removes exactly these responses from the queue:
// one that arrives while a rebuild runs stays queued and is counted once, by the next refresh.
func addResponses(tx *gorm.DB, w store.Wave, in *survey.Instrument, attrs []string, cs Cells, rs []store.Response) error {
	ids := make([]int64, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	var scores []store.Score
	if err := tx.Where("district_id = ? AND response_id IN ?", w.DistrictID, ids).Find(&scores).Error; err != nil {
		return fmt.Errorf("read scores: %w", err)
	}
	byResponse := make(map[int64][]store.Score, len(rs))
	for _, sc := range scores {
		byResponse[sc.ResponseID] = append(byResponse[sc.ResponseID], sc)
	}
	for _, r := range rs {
		cs.Add(in, attrs, Response{School: r.SchoolID, Answers: r.Answers, Groups: r.Subgroups, Scores: byResponse[r.ID]})
	}
	if err := tx.Where("district_id = ? AND response_id IN ?", w.DistrictID, ids).Delete(&store.RollupPending{}).Error; err != nil {
		return fmt.Errorf("dequeue responses: %w", err)
	}
	return nil
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
