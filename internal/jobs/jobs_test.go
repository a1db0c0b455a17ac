package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/jobs/jobstest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// counter counts runs per instance and catches two runs of one job at the same time.
type counter struct {
	mu      sync.Mutex
	runs    map[string]int
	running atomic.Int32
	overlap atomic.Bool
}

func (c *counter) job(holder string) jobs.Func {
	return func(ctx context.Context) error {
		if c.running.Add(1) > 1 {
			c.overlap.Store(true)
		}
		defer c.running.Add(-1)
		c.mu.Lock()
		c.runs[holder]++
		c.mu.Unlock()
		return nil
	}
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.runs {
		n += v
	}
	return n
}

// Two instances on one database, with a 5 s and a 1 min job, run each job once per tick in total
// (as one instance would), never both at once.
func TestTwoRunnersRunEachJobOncePerTick(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		clk := jobstest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		prefix := strings.ReplaceAll(t.Name(), "/", "-")
		fast, slow := &counter{runs: map[string]int{}}, &counter{runs: map[string]int{}}
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, holder := range []string{"a", "b"} {
			r := &jobs.Runner{Store: st, Log: quiet(), Clock: clk, Holder: holder}
			list := []jobs.Job{
				{Name: prefix + "-fast", Interval: 5 * time.Second, Run: fast.job(holder)},
				{Name: prefix + "-slow", Interval: time.Minute, Run: slow.job(holder)},
			}
			wg.Add(1)
			go func() { defer wg.Done(); r.Run(ctx, list) }()
		}
		defer func() { stop(); wg.Wait() }()
		// 2 instances × 2 jobs asleep: the first tick (at start) is done everywhere.
		if !clk.WaitForSleepers(4, 10*time.Second) {
			t.Fatalf("runners never went to sleep: %d sleepers", clk.Sleepers())
		}
		for i := 1; i <= 24; i++ { // two minutes in 5 s ticks
			clk.Advance(5 * time.Second)
			if !clk.WaitForSleepers(4, 10*time.Second) {
				t.Fatalf("tick %d: runners never went back to sleep", i)
			}
		}
		if fast.total() != 25 || slow.total() != 3 {
			t.Fatalf("runs: fast %d (%v), slow %d (%v); want 25 and 3, as one instance alone", fast.total(), fast.runs, slow.total(), slow.runs)
		}
		if fast.overlap.Load() || slow.overlap.Load() {
			t.Fatal("a job ran on both instances at once")
		}
		var runs int64
		st.DB.Table("job_leases").Where("name = ?", prefix+"-fast").Select("runs").Scan(&runs)
		if runs != 25 {
			t.Fatalf("job_leases.runs = %d, want 25", runs)
		}
		t.Logf("fast job runs per instance %v, slow %v", fast.runs, slow.runs)
	})
}

// An instance that died holding a lease delays the job by at most the lease: then another runs it.
func TestCrashedHoldersLeaseExpires(t *testing.T) {
	st := testdb.Postgres(t)
	clk := jobstest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	name := "crash-" + fmt.Sprint(store.NewID())
	now := clk.Now().UnixMilli()
	// "dead" took the job a moment ago and never came back.
	if err := st.DB.Exec(`INSERT INTO job_leases (name, holder, lease_until_ms, next_run_ms, runs) VALUES (?, 'dead', ?, ?, 1)`,
		name, now+time.Minute.Milliseconds(), now+5000).Error; err != nil {
		t.Fatal(err)
	}
	c := &counter{runs: map[string]int{}}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	r := &jobs.Runner{Store: st, Log: quiet(), Clock: clk, Holder: "alive", Lease: time.Minute}
	go r.Run(ctx, []jobs.Job{{Name: name, Interval: 5 * time.Second, Run: c.job("alive")}})
	clk.WaitForSleepers(1, 10*time.Second)
	clk.Advance(10 * time.Second) // due, but still leased by "dead"
	clk.WaitForSleepers(1, 10*time.Second)
	if c.total() != 0 {
		t.Fatal("ran while another instance held the lease")
	}
	clk.Advance(time.Minute)
	clk.WaitForSleepers(1, 10*time.Second)
	if c.total() != 1 {
		t.Fatalf("runs after the lease expired = %d, want 1", c.total())
	}
}

// A stop lets a running job finish (within the grace period) and records its failure on its row.
func TestStopLetsARunningJobFinish(t *testing.T) {
	st := testdb.Postgres(t)
	name := "drain-" + fmt.Sprint(store.NewID())
	started, release := make(chan struct{}), make(chan struct{})
	var sawCancel atomic.Bool
	job := func(ctx context.Context) error {
		close(started)
		<-release
		sawCancel.Store(ctx.Err() != nil)
		return errors.New("boom")
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &jobs.Runner{Store: st, Log: quiet(), Grace: time.Minute}
	done := make(chan struct{})
	go func() { r.Run(ctx, []jobs.Job{{Name: name, Interval: time.Hour, Run: job}}); close(done) }()
	<-started
	stop()
	select {
	case <-done:
		t.Fatal("Run returned while its job was still running")
	default:
	}
	close(release)
	<-done
	if sawCancel.Load() {
		t.Fatal("the job's context was cancelled by the stop, within the grace period")
	}
	var row struct {
		LeaseUntilMS int64
		LastError    string
	}
	st.DB.Table("job_leases").Where("name = ?", name).Select("lease_until_ms, last_error").Scan(&row)
	if row.LeaseUntilMS != 0 || row.LastError != "boom" {
		t.Fatalf("row after the run: %+v; want the lease released and the error kept", row)
	}
}

func TestInvalidJobListIsRefused(t *testing.T) {
	r := &jobs.Runner{Log: quiet()}
	f := func(context.Context) error { return nil }
	for _, list := range [][]jobs.Job{
		{{Name: "", Interval: time.Second, Run: f}},
		{{Name: "x", Interval: 0, Run: f}},
		{{Name: "x", Interval: time.Second, Run: f}, {Name: "x", Interval: time.Second, Run: f}},
	} {
		if err := r.Run(context.Background(), list); err == nil {
			t.Errorf("%v accepted", list)
		}
	}
}

// A long run keeps its lease by renewing it, so no other instance starts the job meanwhile; a run
// whose lease was taken from it (its process stalled past the lease) is cancelled.
func TestLongRunRenewsItsLeaseAndALostLeaseCancelsIt(t *testing.T) {
	st := testdb.Postgres(t)
	name := "long-" + fmt.Sprint(store.NewID())
	const lease = 300 * time.Millisecond // renewed every 100 ms (wall time)
	started := make(chan struct{})
	var others atomic.Int32
	var cause atomic.Value
	long := func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		cause.Store(context.Cause(ctx).Error())
		return ctx.Err()
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	a := &jobs.Runner{Store: st, Log: quiet(), Holder: "a", Lease: lease}
	b := &jobs.Runner{Store: st, Log: quiet(), Holder: "b", Lease: lease}
	go a.Run(ctx, []jobs.Job{{Name: name, Interval: 10 * time.Millisecond, Run: long}})
	<-started
	go b.Run(ctx, []jobs.Job{{Name: name, Interval: 10 * time.Millisecond, Run: func(context.Context) error { others.Add(1); return nil }}})
	leaseUntil := func() (until int64, holder string) {
		var row struct {
			LeaseUntilMS int64
			Holder       string
		}
		st.DB.Table("job_leases").Where("name = ?", name).Select("lease_until_ms, holder").Scan(&row)
		return row.LeaseUntilMS, row.Holder
	}
	first, _ := leaseUntil()
	// Wait (polling the row) until the lease has been renewed past three lease lengths.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if until, _ := leaseUntil(); until > first+3*lease.Milliseconds() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease was never renewed")
		}
	}
	if others.Load() != 0 {
		t.Fatal("another instance ran the job while its run held a renewed lease")
	}
	// Another instance takes the lease from under the run: the run's next renewal fails.
	if err := st.DB.Exec("UPDATE job_leases SET holder = 'thief' WHERE name = ?", name).Error; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); cause.Load() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the run was not cancelled after losing its lease")
		}
	}
	if c := cause.Load().(string); !strings.Contains(c, "lease lost") {
		t.Fatalf("run cancelled with %q, want the lost lease", c)
	}
}

// A panicking run is a failed run: it is recorded on the job's row and the job runs again.
func TestPanickingRunIsRecordedAsAFailure(t *testing.T) {
	st := testdb.Postgres(t)
	clk := jobstest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	name := "panic-" + fmt.Sprint(store.NewID())
	var calls atomic.Int32
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	r := &jobs.Runner{Store: st, Log: quiet(), Clock: clk}
	go r.Run(ctx, []jobs.Job{{Name: name, Interval: time.Minute, Run: func(context.Context) error {
		calls.Add(1)
		panic("nil map")
	}}})
	clk.WaitForSleepers(1, 10*time.Second)
	clk.Advance(time.Minute)
	clk.WaitForSleepers(1, 10*time.Second)
	var lastError string
	st.DB.Table("job_leases").Where("name = ?", name).Select("last_error").Scan(&lastError)
	if calls.Load() != 2 || !strings.HasPrefix(lastError, "panic: nil map") {
		t.Fatalf("calls %d, last_error %q; want 2 runs and the panic recorded", calls.Load(), lastError)
	}
}
