// Package jobs runs periodic background work so that each job runs on one instance at a time, and
// once per interval in total, across any number of serve processes sharing one database.
//
// Coordination is a lease row per job (table job_leases), not a PostgreSQL advisory lock:
//   - it works the same on SQLite, the default, where a web and a worker process may share a file;
//   - an advisory lock only keeps two runs apart: N instances would still each run a 5 s job every
//     5 s. The row also holds the schedule (next_run_ms), so the job runs once per interval overall;
//   - it pins no pooled connection for the length of a run and survives transaction poolers;
//   - operators can read who ran what last, and its error, from the row.
//
// Jobs are deployment-wide, so their rows are all in district 0 (every statement names it, as every
// statement on a project table names its district); a job itself works district by district.
//
// A run takes the lease in one UPDATE … WHERE next_run_ms <= now AND lease_until_ms <= now; while it
// lasts its holder renews the lease, and if the holder dies the lease runs out and another instance
// takes the job at its next due time. A run that loses its lease (its process stalled past it) has
// its context cancelled.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Func is one run of a job. An error is logged and recorded on the job's row; the next tick runs
// the job again. ctx is cancelled when the lease is lost or when a stop's grace period is over.
type Func func(ctx context.Context) error

// Job is a periodic job: Run is called once per Interval across all instances.
type Job struct {
	Name     string
	Interval time.Duration
	Run      Func
}

// Clock is the time source of the schedule; tests pass a fake one (see jobstest).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// WallClock is the real clock.
func WallClock() Clock { return wallClock{} }

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Runner runs jobs on this instance, coordinating with every other instance through the database.
type Runner struct {
	Store *store.Store
	Log   *slog.Logger
	// Clock drives the schedule and stamps the lease; nil means the wall clock.
	Clock Clock
	// Holder names this instance on the rows it leases; empty means host:pid:random.
	Holder string
	// Lease is how long a run holds its job before it must renew (every Lease/3, in wall time);
	// 0 means 2 minutes. A crashed instance's job waits at most this long for another instance.
	Lease time.Duration
	// Grace is how long a running job may go on after a stop before its context is cancelled;
	// 0 means 20 seconds.
	Grace time.Duration
	// Observe, when set, is told of every finished run (for metrics).
	Observe func(job string, took time.Duration, err error)
}

// WithGrace returns a context that outlives ctx by grace: it is cancelled grace after ctx is done
// (or when the returned cancel is called). Work that must not be cut short by a stop — a text
// being handed to the provider, a job's transaction — runs in it. grace <= 0 returns ctx itself.
func WithGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	if grace <= 0 {
		return ctx, func() {}
	}
	out, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		timer = time.AfterFunc(grace, cancel)
		mu.Unlock()
	})
	return out, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// Run runs every job's schedule until ctx is done, then waits for running jobs to finish (each
// within Grace). It returns an error only for an invalid job list.
func (r *Runner) Run(ctx context.Context, jobs []Job) error {
	seen := map[string]bool{}
	for _, j := range jobs {
		if j.Name == "" || j.Interval <= 0 || j.Run == nil {
			return fmt.Errorf("job %q: needs a name, a positive interval and a func", j.Name)
		}
		if seen[j.Name] {
			return fmt.Errorf("job %q is listed twice", j.Name)
		}
		seen[j.Name] = true
	}
	if r.Holder == "" {
		r.Holder = defaultHolder()
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, j)
		}()
	}
	wg.Wait()
	return nil
}

func defaultHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

func (r *Runner) clock() Clock {
	if r.Clock == nil {
		return wallClock{}
	}
	return r.Clock
}

func (r *Runner) lease() time.Duration {
	if r.Lease <= 0 {
		return 2 * time.Minute
	}
	return r.Lease
}

func (r *Runner) grace() time.Duration {
	if r.Grace <= 0 {
		return 20 * time.Second
	}
	return r.Grace
}

func (r *Runner) nowMS() int64 { return r.clock().Now().UnixMilli() }

// loop is one job's schedule on this instance: try to take the job when it is due, run it if
// taken, then sleep until it is next due.
func (r *Runner) loop(ctx context.Context, j Job) {
	for ctx.Err() == nil {
		wait, err := r.tick(ctx, j)
		if err != nil && ctx.Err() == nil {
			r.Log.Error("job: schedule", "job", j.Name, "err", err)
			wait = min(j.Interval, 10*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.clock().After(wait):
		}
	}
}

// tick runs the job if it is due and no other instance holds it, and says how long to wait.
func (r *Runner) tick(ctx context.Context, j Job) (time.Duration, error) {
	won, err := r.claim(ctx, j)
	if err != nil {
		return 0, err
	}
	if won {
		r.run(ctx, j)
	}
	var row struct{ NextRunMS, LeaseUntilMS int64 }
	if err := r.Store.DB.WithContext(ctx).Table("job_leases").Select("next_run_ms, lease_until_ms").
		Where("district_id = 0 AND name = ?", j.Name).Take(&row).Error; err != nil {
		return 0, fmt.Errorf("read job %s: %w", j.Name, err)
	}
	now := r.nowMS()
	due := row.NextRunMS
	if due <= now && row.LeaseUntilMS > now {
		// Another instance is still running a late run: look again at its lease's end or in one
		// interval, whichever is sooner.
		due = min(row.LeaseUntilMS, now+j.Interval.Milliseconds())
	}
	if wait := time.Duration(due-now) * time.Millisecond; wait > 0 {
		return wait, nil
	}
	return min(j.Interval, time.Second), nil
}

// claim takes the job for this instance if it is due and not leased, in one statement.
func (r *Runner) claim(ctx context.Context, j Job) (bool, error) {
	db := r.Store.DB.WithContext(ctx)
	now := r.nowMS()
	res := db.Exec(`UPDATE job_leases SET holder = ?, lease_until_ms = ?, next_run_ms = ?, started_ms = ?, runs = runs + 1
		WHERE district_id = 0 AND name = ? AND next_run_ms <= ? AND lease_until_ms <= ?`,
		r.Holder, now+r.lease().Milliseconds(), now+j.Interval.Milliseconds(), now, j.Name, now, now)
	if res.Error != nil {
		return false, fmt.Errorf("claim job %s: %w", j.Name, res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	// A job's first tick ever creates its row (due at once); then the claim is tried again.
	ins := db.Clauses(clause.OnConflict{DoNothing: true}).Table("job_leases").Create(map[string]any{"district_id": 0, "name": j.Name})
	if ins.Error != nil {
		return false, fmt.Errorf("create job %s: %w", j.Name, ins.Error)
	}
	if ins.RowsAffected == 0 {
		return false, nil
	}
	return r.claim(ctx, j)
}

var errLeaseLost = errors.New("job lease lost: another instance may run it now")

// run calls the job with its lease renewed while it lasts, then releases the lease.
func (r *Runner) run(ctx context.Context, j Job) {
	runCtx, cancelGrace := WithGrace(ctx, r.grace())
	defer cancelGrace()
	runCtx, cancel := context.WithCancelCause(runCtx)
	defer cancel(nil)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(r.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if ok, err := r.renew(j); err != nil {
					r.Log.Warn("job: renew lease", "job", j.Name, "err", err)
				} else if !ok {
					cancel(errLeaseLost)
					return
				}
			}
		}
	}()
	start := time.Now()
	err := call(runCtx, j.Run)
	close(done)
	took := time.Since(start)
	if cause := context.Cause(runCtx); err != nil && cause != nil {
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	if err != nil {
		r.Log.Error("job failed", "job", j.Name, "took_ms", took.Milliseconds(), "err", err)
	} else {
		r.Log.Debug("job ran", "job", j.Name, "holder", r.Holder, "took_ms", took.Milliseconds())
	}
	if r.Observe != nil {
		r.Observe(j.Name, took, err)
	}
	if ferr := r.finish(j, err); ferr != nil {
		r.Log.Error("job: release lease", "job", j.Name, "err", ferr)
	}
}

// call runs fn, turning a panic into an error (with its stack) so that one bad run is logged and
// recorded like any failure, as a panicking request is, instead of killing every other job.
func call(ctx context.Context, fn Func) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx)
}

func (r *Runner) renew(j Job) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := r.nowMS()
	res := r.Store.DB.WithContext(ctx).Exec(`UPDATE job_leases SET lease_until_ms = ? WHERE district_id = 0 AND name = ? AND holder = ? AND lease_until_ms > ?`,
		now+r.lease().Milliseconds(), j.Name, r.Holder, now)
	if res.Error != nil {
		return true, res.Error // keep going: the lease may still be ours; the next renewal tells
	}
	return res.RowsAffected == 1, nil
}

// finish releases the lease (if still ours) and records the outcome; the schedule was set by claim.
func (r *Runner) finish(j Job, runErr error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
	}
	return r.Store.DB.WithContext(ctx).Exec(`UPDATE job_leases SET lease_until_ms = 0, finished_ms = ?, last_error = ? WHERE district_id = 0 AND name = ? AND holder = ?`,
		r.nowMS(), msg, j.Name, r.Holder).Error
}

// Counted adapts a "do the work, say how many" function to a Func that logs the count at level
// when there was any work, e.g. jobs.Counted(svc.PurgeEnded, log, slog.LevelInfo, "purged drafts").
func Counted[N int | int64](fn func(context.Context) (N, error), log *slog.Logger, level slog.Level, msg string) Func {
	return func(ctx context.Context) error {
		n, err := fn(ctx)
		if err == nil && n > 0 {
			log.Log(ctx, level, msg, "count", n)
		}
		return err
	}
}
