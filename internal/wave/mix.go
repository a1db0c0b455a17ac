package wave

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// The ballot box and the mixer. An anonymous submission cannot write its response: the
// transaction that claims the invitation stamps its id (xmin on PostgreSQL) on every row it
// writes, rows land in the order they come, and the draft's old versions keep the answers under
// the invitation until vacuumed — each a link from the answers to the person for anyone who reads
// the database, its WAL or a backup. So submit drops a sealed ballot (answers, subgroup snapshot,
// language, comment; no invitation, person, owner or time beyond the minute) in the same durable
// step as the claim, and the mixer, later and in transactions of its own, moves ballots into
// responses a batch at a time: fresh random ids, written in the order of those ids, scored, the
// ballots deleted, and the dead row versions they and the drafts leave vacuumed away.

// Defaults of MixPolicy.
const (
	DefaultMixMinBatch = 5
	DefaultMixMaxDelay = time.Hour
	DefaultMixMaxBatch = 500
)

// MixPolicy decides when the ballots waiting for one school of a wave are mixed. Batches are per
// school because a response carries its school: a batch of one school's single ballot would say
// whose it is to anyone who saw which one invitation of the school was used meanwhile.
type MixPolicy struct {
	// MinBatch: a school's ballots are mixed once this many wait (0: DefaultMixMinBatch).
	MinBatch int
	// MaxDelay: ... or once the oldest has waited this long, however few (0: DefaultMixMaxDelay).
	// A ballot is linked to its invitation until it is mixed, so waiting longer than this to
	// gather a batch would protect it less, not more.
	MaxDelay time.Duration
	// MaxBatch bounds one mixing transaction (0: DefaultMixMaxBatch).
	MaxBatch int
}

func (p MixPolicy) withDefaults() MixPolicy {
	if p.MinBatch <= 0 {
		p.MinBatch = DefaultMixMinBatch
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMixMaxDelay
	}
	if p.MaxBatch <= 0 {
		p.MaxBatch = DefaultMixMaxBatch
	}
	p.MaxBatch = max(p.MaxBatch, p.MinBatch)
	return p
}

// ballotGroup is what waits in the ballot box for one school of one wave.
type ballotGroup struct {
	DistrictID, WaveID, SchoolID int64
	N                            int
	Overdue                      int // how many have waited MaxDelay
	Status                       string
	ClosesAt                     time.Time
}

// mixDue says whether a group is mixed now, and whether every ballot of it goes even if fewer
// than MinBatch are left (forced): always when the wave has ended (nothing more will come), when
// MinBatch wait, or when the oldest has waited MaxDelay.
func mixDue(g ballotGroup, p MixPolicy, now time.Time) (due, forced bool) {
	switch {
	case g.N == 0:
		return false, false
	case g.Status == store.StatusClosed || !now.Before(g.ClosesAt):
		return true, true
	case g.Overdue > 0:
		return true, true
	}
	return g.N >= p.MinBatch, false
}

// seal drops the response r (not yet stored) into the ballot box in tx.
func (s *Service) seal(tx *gorm.DB, r store.Response) error {
	b := store.Ballot{
		DistrictID: r.DistrictID, ID: store.NewID(), WaveID: r.WaveID, SchoolID: r.SchoolID,
		Language: r.Language, Answers: r.Answers, Comment: r.Comment, Subgroups: r.Subgroups,
		SealedAt: s.Store.Now().Truncate(time.Minute),
	}
	if err := tx.Create(&b).Error; err != nil {
		return fmt.Errorf("seal ballot: %w", err)
	}
	return nil
}

// record stores and scores responses in tx, in the order given.
func (s *Service) record(ctx context.Context, tx *gorm.DB, in *survey.Instrument, rs []store.Response) error {
	if len(rs) == 0 {
		return nil
	}
	if err := tx.Create(&rs).Error; err != nil {
		return fmt.Errorf("store response: %w", err)
	}
	if s.Scorer == nil {
		return nil
	}
	for i := range rs {
		if err := s.Scorer.ScoreResponse(ctx, tx, in, &rs[i]); err != nil {
			return fmt.Errorf("score response: %w", err)
		}
	}
	return nil
}

// Mix moves the ballots that are due (see MixPolicy) into scored responses, a batch per
// transaction, and then sweeps what they leave behind; it returns how many it moved. Any number
// of servers may run it at once: on PostgreSQL each batch claims its ballots FOR UPDATE SKIP
// LOCKED, so a ballot is mixed by one of them, once (SQLite has one writer at a time).
//
// It works district by district; the sweep, which is about the tables' files, comes after.
func (s *Service) Mix(ctx context.Context) (int, error) {
	total := 0
	err := s.Store.EachDistrict(ctx, 0, func(district int64) error {
		n, err := s.mixDistrict(ctx, district)
		total += n
		return err
	})
	if err != nil {
		return total, err
	}
	// A sweep that could not finish (SQLite readers holding the WAL) is tried again next round.
	if total > 0 || s.sweepPending.Swap(false) {
		done, err := s.sweep(ctx)
		if !done || err != nil {
			s.sweepPending.Store(true)
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// mixDistrict mixes the district's ballots that are due.
func (s *Service) mixDistrict(ctx context.Context, district int64) (int, error) {
	p := s.Mixing.withDefaults()
	var groups []ballotGroup
	err := s.Store.DB.WithContext(ctx).Table("ballots b").
		Select("b.district_id, b.wave_id, b.school_id, COUNT(*) AS n, SUM(CASE WHEN b.sealed_at <= ? THEN 1 ELSE 0 END) AS overdue, w.status, w.closes_at",
			s.Store.Now().Add(-p.MaxDelay)).
		Joins("JOIN waves w ON w.district_id = b.district_id AND w.id = b.wave_id").
		Where("b.district_id = ?", district).
		Group("b.district_id, b.wave_id, b.school_id, w.status, w.closes_at").Scan(&groups).Error
	if err != nil {
		return 0, fmt.Errorf("mix ballots: %w", err)
	}
	now, total := s.Store.Now(), 0
	for _, g := range groups {
		due, forced := mixDue(g, p, now)
		if !due {
			continue
		}
		n, err := s.mixGroup(ctx, g, p, forced)
		total += n
		if err != nil {
			return total, fmt.Errorf("mix ballots of wave %d: %w", g.WaveID, err)
		}
	}
	return total, nil
}

// mixGroup mixes a group's ballots, MaxBatch per transaction; unless forced, it stops when fewer
// than MinBatch are left to it (another server may be mixing the rest).
func (s *Service) mixGroup(ctx context.Context, g ballotGroup, p MixPolicy, forced bool) (int, error) {
	w, err := s.cachedWave(s.Store.DB.WithContext(ctx), g.DistrictID, g.WaveID)
	if err != nil {
		return 0, err
	}
	in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
	if !ok {
		return 0, fmt.Errorf("wave %d uses instrument %s v%d, which this program does not carry", w.ID, w.InstrumentID, w.InstrumentVersion)
	}
	total := 0
	for {
		n, err := s.mixBatch(ctx, g, in, p, forced)
		total += n
		if err != nil || n < p.MaxBatch {
			return total, err
		}
	}
}

// mixBatch moves up to MaxBatch ballots of a group into responses in one transaction.
func (s *Service) mixBatch(ctx context.Context, g ballotGroup, in *survey.Instrument, p MixPolicy, forced bool) (int, error) {
	n := 0
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		q := tx.Where("district_id = ? AND wave_id = ? AND school_id = ?", g.DistrictID, g.WaveID, g.SchoolID).
			Order("id").Limit(p.MaxBatch)
		if s.Store.Dialect == config.Postgres {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked})
		}
		var ballots []store.Ballot
		if err := q.Find(&ballots).Error; err != nil {
			return fmt.Errorf("claim ballots: %w", err)
		}
		if len(ballots) == 0 || len(ballots) < p.MinBatch && !forced {
			return nil
		}
		rs, ids := mixResponses(ballots)
		if err := s.record(ctx, tx, in, rs); err != nil {
			return err
		}
		if err := tx.Where("district_id = ? AND id IN ?", g.DistrictID, ids).Delete(&store.Ballot{}).Error; err != nil {
			return fmt.Errorf("empty the ballot box: %w", err)
		}
		if s.Store.Dialect == config.Postgres {
			// The sweep must outwait what began before this deletion, and only that.
			var xid string
			if err := tx.Raw("SELECT pg_current_xact_id()::text").Scan(&xid).Error; err != nil {
				return fmt.Errorf("mixing transaction id: %w", err)
			}
			if x, err := strconv.ParseUint(xid, 10, 64); err == nil {
				for old := s.mixXid.Load(); x > old && !s.mixXid.CompareAndSwap(old, x); old = s.mixXid.Load() {
				}
			}
		}
		n = len(ballots)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// mixResponses turns ballots into responses with fresh random ids, sorted by those ids: the
// order they are written in, so the order they lie in, is then a random shuffle of the batch.
// ids are the ballots' ids, to delete them.
func mixResponses(ballots []store.Ballot) (rs []store.Response, ids []int64) {
	rs = make([]store.Response, len(ballots))
	ids = make([]int64, len(ballots))
	for i, b := range ballots {
		rs[i] = store.Response{DistrictID: b.DistrictID, ID: store.NewID(), WaveID: b.WaveID, SchoolID: b.SchoolID,
			Language: b.Language, Answers: b.Answers, Comment: b.Comment, Subgroups: b.Subgroups}
		ids[i] = b.ID
	}
	slices.SortFunc(rs, func(a, b store.Response) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return rs, ids
}

// sweep removes what mixed ballots leave behind in the files. On PostgreSQL a deleted ballot, and
// the old versions of a submitted draft (the answers under "i:<invitation>"), stay in their pages
// as dead tuples until vacuumed: VACUUM them now (SKIP_LOCKED: a server already vacuuming a table
// does it for us). On SQLite the connection pragma secure_delete zeroes deleted content, and a
// TRUNCATE checkpoint copies the WAL into the file and empties it, old page images included.
func (s *Service) sweep(ctx context.Context) (done bool, err error) {
	db := s.Store.DB.WithContext(ctx)
	if s.Store.Dialect == config.Postgres {
		// The ballot box is rewritten (FULL): a plain VACUUM leaves the bytes of the tuples it
		// prunes, headers with their xmin included, in the page's free space. It holds only the
		// ballots still waiting, so the rewrite is short; SKIP_LOCKED never waits for the lock
		// (and so never holds up a submission queued behind it).
		// A rewrite gives the table a new file; the same file after it means it was skipped
		// (a submission held the table), and the next round tries again.
		// A snapshot older than the mixing (another request, a report, a backup) can still see
		// the deleted ballots: the rewrite must then copy them, and VACUUM FULL does not count
		// such recently dead tuples in reltuples, so they are looked for here instead. A snapshot
		// taken after this point cannot see them (the mixing has committed), so asking before the
		// rewrite is enough. Sessions of other roles show their xmin only to members of
		// pg_read_all_stats (README, Database roles).
		var older int64
		mixed := s.mixXid.Load()
		if err := db.Raw(olderSnapshotsQuery, strconv.FormatUint(mixed, 10), strconv.FormatUint(mixed, 10)).Scan(&older).Error; err != nil {
			return false, fmt.Errorf("vacuum the ballot box: %w", err)
		}
		var before, after int64
		if err := db.Raw("SELECT pg_relation_filenode('ballots')").Scan(&before).Error; err != nil {
			return false, fmt.Errorf("vacuum the ballot box: %w", err)
		}
		if err := db.Exec("VACUUM (FULL, SKIP_LOCKED) ballots").Error; err != nil {
			return false, fmt.Errorf("vacuum the ballot box: %w", err)
		}
		if err := db.Raw("SELECT pg_relation_filenode('ballots')").Scan(&after).Error; err != nil {
			return false, fmt.Errorf("vacuum the ballot box: %w", err)
		}
		// More tuples than live rows after the rewrite (ballots sealed meanwhile, counted before
		// the plain VACUUM below recounts) means: again later.
		var kept float64
		var live int64
		if err := db.Raw("SELECT reltuples FROM pg_class WHERE oid = 'ballots'::regclass").Scan(&kept).Error; err != nil {
			return false, fmt.Errorf("vacuum the ballot box: %w", err)
		}
		if err := db.Model(&store.Ballot{}).Count(&live).Error; err != nil {
			return false, fmt.Errorf("vacuum the ballot box: %w", err)
		}
		// Plain VACUUM of the ballot box too: when the rewrite was skipped (a submission held
		// the table), the dead tuples at least go (their bytes wait for the next rewrite).
		if err := db.Exec("VACUUM (SKIP_LOCKED) ballots, drafts, sms_inbound").Error; err != nil {
			return false, fmt.Errorf("vacuum after mixing: %w", err)
		}
		done := older == 0 && after != before && int64(kept) <= live
		if done {
			s.mixXid.CompareAndSwap(mixed, 0) // a newer mixing since keeps its own id
		}
		return done, nil
	}
	var busy, frames, copied int
	if err := db.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Row().Scan(&busy, &frames, &copied); err != nil {
		return false, fmt.Errorf("checkpoint after mixing: %w", err)
	}
	return busy == 0, nil
}

// olderSnapshotsQuery counts what may hold the horizon back to before the mixing transaction
// (its xid8 as text is the parameter; 0 when unknown, e.g. a sweep left over from before a
// restart: then before now): other sessions of this database with a snapshot whose xmin is at or
// before it; a write transaction older than it in ANY database of the cluster (its xid is in every
// snapshot taken while it runs, VACUUM's own included, so it holds this database's horizon back
// too: seen in tests); older prepared transactions; replication slots (hot_standby_feedback).
// Transactions begun after the mixing committed hold nothing back that matters here.
const olderSnapshotsQuery = `WITH m AS (SELECT CASE WHEN ?::xid8 = '0'::xid8 THEN pg_current_xact_id()::xid ELSE ?::xid8::xid END AS x)
SELECT (SELECT count(*) FROM pg_stat_activity, m WHERE pid <> pg_backend_pid()
          AND (datname = current_database() AND backend_xmin IS NOT NULL AND age(backend_xmin) >= age(m.x)
               OR backend_xid IS NOT NULL AND age(backend_xid) > age(m.x)))
     + (SELECT count(*) FROM pg_prepared_xacts, m WHERE age(transaction) > age(m.x))
     + (SELECT count(*) FROM pg_replication_slots, m WHERE xmin IS NOT NULL AND age(xmin) >= age(m.x))`

// Swept reports whether the last sweep finished: false while a ballot box rewrite was skipped or
// kept ballots an older snapshot could still see, or SQLite's WAL could not be emptied; the next
// Mix sweeps again.
func (s *Service) Swept() bool { return !s.sweepPending.Load() }

// RunMixer calls Mix every interval until ctx ends.
func (s *Service) RunMixer(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Mix(ctx); err != nil && ctx.Err() == nil {
			log.Error("mix anonymous ballots", "err", err)
		} else if n > 0 {
			log.Info("mixed anonymous ballots", "ballots", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
