package roster

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// An uploaded roster is imported by a background job, never inside the request that brought it:
// a large district's import takes minutes, and a request has 30 s. The upload is stored in the
// database in chunks (so any instance can claim the job, without a shared disk) and deleted when
// the job ends; the job row keeps the progress the roster page shows, and the outcome.

// chunkSize is how much of an upload one roster_job_chunks row holds.
const chunkSize = 1 << 20

// maxAttempts: a job whose worker died (its lease ran out) is claimed again, up to this many
// times in all; then it is failed, as the file itself is the likely cause.
const maxAttempts = 3

// defaultLease is how long a claim holds without news from its worker. Progress renews it; on
// SQLite the import's write transaction holds the database, so the writing phase cannot renew
// it and the lease must outlast the longest write.
const defaultLease = 15 * time.Minute

// Upload is one roster file to import in the background.
type Upload struct {
	DistrictID int64
	Source     string // the uploaded file's name
	// AllowMassDeactivation is the uploader's confirmation (the page's checkbox).
	AllowMassDeactivation bool
	Audit                 Actor
}

// Enqueue stores an uploaded roster zip and queues its import, in one transaction: the job is
// claimable only once all of the file is stored. maxSize bounds what is read from r.
func Enqueue(ctx context.Context, s *store.Store, up Upload, r io.Reader, maxSize int64) (store.RosterJob, error) {
	job := store.RosterJob{DistrictID: up.DistrictID, ID: store.NewID(), Status: store.JobQueued, Source: up.Source,
		AllowMassDeactivation: up.AllowMassDeactivation, UserID: up.Audit.UserID, Actor: up.Audit.Actor, IP: up.Audit.IP,
		CreatedAt: s.Now()}
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&job).Error; err != nil {
			return fmt.Errorf("queue roster job: %w", err)
		}
		buf := make([]byte, chunkSize)
		lr := io.LimitReader(r, maxSize+1)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(lr, buf)
			if n > 0 {
				job.Size += int64(n)
				if job.Size > maxSize {
					return fmt.Errorf("roster upload: the file is larger than %s", sizeText(maxSize))
				}
				chunk := store.RosterJobChunk{DistrictID: job.DistrictID, JobID: job.ID, Seq: seq, Data: buf[:n]}
				if err := tx.Create(&chunk).Error; err != nil {
					return fmt.Errorf("store roster upload: %w", err)
				}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read roster upload: %w", err)
			}
		}
		return tx.Model(&job).Update("size", job.Size).Error
	})
	if err != nil {
		return store.RosterJob{}, err
	}
	return job, nil
}

// FindJob returns one of a district's jobs.
func FindJob(ctx context.Context, s *store.Store, districtID, id int64) (store.RosterJob, error) {
	var j store.RosterJob
	err := s.DB.WithContext(ctx).Where("district_id = ? AND id = ?", districtID, id).First(&j).Error
	return j, store.NotFound(err, "roster job")
}

// JobProgress is Progress as the job row last recorded it.
func JobProgress(j store.RosterJob) Progress {
	return Progress{Phase: j.Phase, Done: j.Done, Total: j.Total}
}

// Jobs claims and runs queued roster imports; any number of instances may run it.
type Jobs struct {
	Store *store.Store
	Log   *slog.Logger
	// MassDeactivationShare is TRUSTPULSE_MASS_DEACTIVATION_SHARE.
	MassDeactivationShare float64
	// Lease is how long a claim holds without progress; 0 means defaultLease.
	Lease time.Duration
	// Limits bound each import (zero: DefaultLimits).
	Limits Limits

	// turn picks the district each RunOnce starts at.
	turn atomic.Uint64
}

// RunImports runs queued imports until ctx ends, looking for new ones every interval.
func (j *Jobs) RunImports(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if log != nil {
		j.Log = log
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			ran, err := j.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				j.log().Error("roster job", "err", err)
			}
			if !ran || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (j *Jobs) log() *slog.Logger {
	if j.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return j.Log
}

func (j *Jobs) lease() time.Duration {
	if j.Lease > 0 {
		return j.Lease
	}
	return defaultLease
}

// RunOnce claims one job, if any is waiting, and runs it to its end. ran says whether there was
// one. It looks district by district (every statement names its district, so on a database
// sharded by district each goes to one shard), starting at the next district in turn so that
// one district's queue of uploads does not hold up the others.
func (j *Jobs) RunOnce(ctx context.Context) (ran bool, err error) {
	ids, err := j.Store.DistrictIDs(ctx)
	if err != nil {
		return false, err
	}
	start := j.turn.Add(1)
	for i := range ids {
		if ctx.Err() != nil {
			return false, nil
		}
		job, ok, err := j.claimIn(ctx, ids[(start+uint64(i))%uint64(len(ids))])
		if err != nil {
			return false, err
		}
		if ok {
			j.run(ctx, job)
			return true, nil
		}
	}
	return false, nil
}

// claimIn fails the district's jobs that ran out of attempts, then claims its oldest job that
// is waiting. A district with nothing waiting costs one read.
func (j *Jobs) claimIn(ctx context.Context, district int64) (store.RosterJob, bool, error) {
	s := j.Store
	// Read first, outside a transaction: on SQLite a write transaction every poll would queue
	// behind (and hold up) answer submissions for nothing.
	var waiting int64
	if err := s.DB.WithContext(ctx).Model(&store.RosterJob{}).Where("district_id = ? AND (status = ? OR (status = ? AND lease_until < ?))",
		district, store.JobQueued, store.JobRunning, s.Now()).Limit(1).Count(&waiting).Error; err != nil {
		return store.RosterJob{}, false, fmt.Errorf("look for roster jobs: %w", err)
	}
	if waiting == 0 {
		return store.RosterJob{}, false, nil // the common case, without a write transaction
	}
	if err := j.giveUp(ctx, district); err != nil {
		return store.RosterJob{}, false, err
	}
	return j.claim(ctx, district)
}

// giveUp fails the district's jobs whose lease ran out maxAttempts times, and drops their files.
func (j *Jobs) giveUp(ctx context.Context, district int64) error {
	s := j.Store
	var stale []store.RosterJob
	if err := s.DB.WithContext(ctx).Where("district_id = ? AND status = ? AND lease_until < ? AND attempts >= ?",
		district, store.JobRunning, s.Now(), maxAttempts).Find(&stale).Error; err != nil {
		return fmt.Errorf("find stale roster jobs: %w", err)
	}
	for _, st := range stale {
		why := newReason("stopped", "the import stopped %d times without finishing; nothing was imported", "Count", st.Attempts)
		kept := JobProblems{Reason: why}.encode()
		if err := s.Tx(ctx, func(tx *gorm.DB) error { return finishTx(tx, st, store.JobFailed, why.Msg, kept, nil, s.Now()) }); err != nil {
			return err
		}
	}
	return nil
}

// claim takes the district's oldest queued job, or a running one whose worker went silent.
// Instances claim side by side without taking the same job (store.ClaimIDs). The district is
// named in the UPDATE and in its subquery, so on Citus the claim goes to one shard.
func (j *Jobs) claim(ctx context.Context, district int64) (store.RosterJob, bool, error) {
	s := j.Store
	now := s.Now()
	var jobs []store.RosterJob
	err := s.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Raw(`UPDATE roster_jobs SET status = ?, attempts = attempts + 1, lease_until = ?, started_at = ?, phase = '', done = 0, total = 0
			WHERE district_id = ? AND `+s.ClaimIDs(`SELECT id FROM roster_jobs
				WHERE district_id = ? AND (status = ? OR (status = ? AND lease_until < ? AND attempts < ?))
				ORDER BY created_at LIMIT 1`)+`
			RETURNING *`, store.JobRunning, now.Add(j.lease()), now, district, district, store.JobQueued, store.JobRunning, now, maxAttempts).Scan(&jobs).Error
	})
	if err != nil {
		return store.RosterJob{}, false, fmt.Errorf("claim roster job: %w", err)
	}
	if len(jobs) == 0 {
		return store.RosterJob{}, false, nil
	}
	return jobs[0], true, nil
}

// run imports the job's file and records the outcome. A failed import is an outcome, not an
// error of the worker: it is on the job row for the roster page.
func (j *Jobs) run(ctx context.Context, job store.RosterJob) {
	s, log := j.Store, j.log().With("roster_job", job.ID, "district_id", job.DistrictID)
	status, msg, probs, importID, err := j.importJob(ctx, job, log)
	if ctx.Err() != nil {
		// Stopped (SIGTERM): the import rolled back; queue the job again for the next worker.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.DB.WithContext(bg).Model(&store.RosterJob{}).Where("district_id = ? AND id = ? AND attempts = ?", job.DistrictID, job.ID, job.Attempts).
			Updates(map[string]any{"status": store.JobQueued, "attempts": gorm.Expr("attempts - 1"), "lease_until": nil}).Error; err != nil {
			log.Error("requeue roster job", "err", err)
		}
		return
	}
	if err != nil {
		why := newReason("could_not_run", "the import could not run: %s", "Err", err)
		status, msg, probs = store.JobFailed, why.Msg, JobProblems{Reason: why}.encode()
		log.Error("roster job", "err", err)
	}
	if err := s.Tx(ctx, func(tx *gorm.DB) error { return finishTx(tx, job, status, msg, probs, importID, s.Now()) }); err != nil {
		log.Error("finish roster job", "err", err)
	}
}

// importJob copies the upload to a temporary file (a zip is read at random), then imports it.
// A failed import's problems, or the reason it failed, come back as probs too, its JobProblems as
// JSON, for the page to word.
func (j *Jobs) importJob(ctx context.Context, job store.RosterJob, log *slog.Logger) (status, msg string, probs *string, importID *int64, err error) {
	s := j.Store
	var d store.District
	if err := s.DB.WithContext(ctx).Where("district_id = ?", job.DistrictID).First(&d).Error; err != nil {
		return "", "", nil, nil, fmt.Errorf("find district: %w", err)
	}
	f, err := os.CreateTemp("", "trustpulse-roster-job-*.zip")
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("roster job: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	rows, err := s.DB.WithContext(ctx).Model(&store.RosterJobChunk{}).Select("data").
		Where("district_id = ? AND job_id = ?", job.DistrictID, job.ID).Order("seq").Rows()
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("read roster upload: %w", err)
	}
	var size int64
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return "", "", nil, nil, fmt.Errorf("read roster upload: %w", err)
		}
		n, err := f.Write(b)
		size += int64(n)
		if err != nil {
			rows.Close()
			return "", "", nil, nil, fmt.Errorf("copy roster upload: %w", err)
		}
	}
	if err := rows.Close(); err != nil {
		return "", "", nil, nil, fmt.Errorf("read roster upload: %w", err)
	}
	opt := Options{DistrictSlug: d.Slug, Source: job.Source, Log: log, Limits: j.Limits, MassDeactivationShare: j.MassDeactivationShare,
		AllowMassDeactivation: job.AllowMassDeactivation, Audit: Actor{UserID: job.UserID, Actor: job.Actor, IP: job.IP},
		Progress: j.recorder(ctx, job, log)}
	// The roster page takes a OneRoster export or the simple CSV template, told apart by their files.
	if zr, zerr := zip.NewReader(f, size); zerr == nil {
		opt.Format = ZipFormat(zr)
	}
	res, err := ImportZip(ctx, s, f, size, opt)
	var ierr *ImportError
	var mass *MassDeactivationError
	switch {
	case errors.As(err, &ierr):
		lines := ReportTotal(ierr.Problems, ierr.Total, MaxListed, "problems")
		msg := fmt.Sprintf("%d problems; nothing was imported\n%s", max(ierr.Total, len(ierr.Problems)), strings.Join(lines, "\n"))
		return store.JobFailed, msg, keptProblems(ierr.Problems, ierr.Total).encode(), nil, nil
	case errors.As(err, &mass):
		why := mass.Reason()
		return store.JobFailed, why.Msg, JobProblems{Reason: why}.encode(), nil, nil
	case errors.Is(err, zip.ErrFormat):
		why := newReason("not_zip", "the file is not a zip file: upload the OneRoster export, or the simple CSV template's files, as a .zip")
		return store.JobFailed, why.Msg, JobProblems{Reason: why}.encode(), nil, nil
	case err != nil:
		return "", "", nil, nil, err
	}
	return store.JobSucceeded, res.Summary(), nil, &res.ImportID, nil
}

// recorder writes progress to the job row each time the percentage moves, renewing the lease.
// On SQLite the writing phase runs in the import's transaction, which holds the only write lock:
// a progress write then would wait for it, so that phase is shown as it starts (the importer says
// so before its transaction begins) and not updated.
func (j *Jobs) recorder(ctx context.Context, job store.RosterJob, log *slog.Logger) func(Progress) {
	s := j.Store
	last := Progress{Phase: "-"}
	lastPct := -1
	return func(p Progress) {
		pct := p.Percent()
		if p.Phase == last.Phase && pct == lastPct {
			return
		}
		first := p.Phase != last.Phase
		last, lastPct = p, pct
		if s.Dialect == config.SQLite && p.Phase == PhaseWriting && !first {
			return // the import's transaction holds SQLite's write lock (see above)
		}
		err := s.DB.WithContext(ctx).Model(&store.RosterJob{}).Where("district_id = ? AND id = ? AND attempts = ?", job.DistrictID, job.ID, job.Attempts).
			Updates(map[string]any{"phase": p.Phase, "done": p.Done, "total": p.Total, "lease_until": s.Now().Add(j.lease())}).Error
		if err != nil && ctx.Err() == nil {
			log.Warn("roster job progress", "err", err)
		}
	}
}

// finishTx records a job's outcome and deletes its stored upload. The attempt in the condition
// keeps a worker whose lease ran out (and whose job was claimed again) from writing over the
// newer attempt. probs is a failed job's problems or reason (see JobProblems), nil for a job that
// succeeded.
func finishTx(tx *gorm.DB, job store.RosterJob, status, msg string, probs *string, importID *int64, now time.Time) error {
	res := tx.Model(&store.RosterJob{}).Where("district_id = ? AND id = ? AND attempts = ?", job.DistrictID, job.ID, job.Attempts).
		Updates(map[string]any{"status": status, "message": msg, "problems_json": probs, "import_id": importID, "finished_at": now, "lease_until": nil})
	if res.Error != nil {
		return fmt.Errorf("finish roster job: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil // claimed again by another worker; that attempt decides
	}
	if err := tx.Where("district_id = ? AND job_id = ?", job.DistrictID, job.ID).Delete(&store.RosterJobChunk{}).Error; err != nil {
		return fmt.Errorf("delete roster upload: %w", err)
	}
	return nil
}
