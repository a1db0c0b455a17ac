package throttle_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/jobs/jobstest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/throttle"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func TestChunkIsAboutATenthOfASecond(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		burst int
		want  int
	}{{1, 1, 1}, {5, 5, 1}, {20, 20, 2}, {100, 100, 10}, {100, 4, 4}, {0.2, 1, 1}} {
		b := throttle.Bucket{Rate: tc.rate, Burst: tc.burst}
		if got := b.Chunk(); got != tc.want {
			t.Errorf("rate %v burst %d: chunk %d, want %d", tc.rate, tc.burst, got, tc.want)
		}
	}
}

// Four senders on two "instances" (two Stores on one database) drawing from one bucket never get
// more than burst + rate × elapsed tokens in total, and the bucket wastes nothing while they wait.
func TestSendersOnTwoInstancesShareOneRate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		other := st
		if st.Dialect == "postgres" {
			other = testdb.Postgres(t)
		}
		clk := jobstest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		start := clk.Now()
		const rate, burst = 20.0, 20
		key := throttle.Key{DistrictID: store.NewID(), Channel: "sms"}
		var taken atomic.Int64
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			s := st
			if i%2 == 1 {
				s = other
			}
			b := &throttle.Bucket{Store: s, Rate: rate, Burst: burst, Now: clk.Now, After: clk.After}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, err := b.Wait(ctx, key, 5)
					if err != nil {
						return
					}
					taken.Add(int64(n))
				}
			}()
		}
		defer func() { stop(); wg.Wait() }()
		for step := 0; step <= 100; step++ {
			if step > 0 {
				clk.Advance(50 * time.Millisecond)
			}
			if !clk.WaitForSleepers(4, 10*time.Second) {
				t.Fatalf("step %d: senders never all waited", step)
			}
			elapsed := clk.Now().Sub(start).Seconds()
			limit := burst + rate*elapsed
			if got := float64(taken.Load()); got > limit || got < limit-4*2 {
				t.Fatalf("after %.2fs: %v tokens taken, want between %v and %v", elapsed, got, limit-8, limit)
			}
		}
		t.Logf("%d tokens in 5 s at rate 20 burst 20", taken.Load())
	})
}

func TestReturnedTokensAreReusedUpToTheBurst(t *testing.T) {
	st := testdb.Postgres(t)
	clk := jobstest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	b := &throttle.Bucket{Store: st, Rate: 1, Burst: 3, Now: clk.Now, After: clk.After}
	key := throttle.Key{DistrictID: store.NewID(), Channel: "sms"}
	ctx := context.Background()
	if n, err := b.Wait(ctx, key, 10); err != nil || n != 3 {
		t.Fatalf("first take from a full bucket = %d, %v; want the burst, 3", n, err)
	}
	if err := b.Return(ctx, key, 5); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Wait(ctx, key, 10); err != nil || n != 3 {
		t.Fatalf("after returning 5 = %d, %v; want 3 (capped at the burst)", n, err)
	}
}

// The cost of one take (one short transaction on the bucket's row) with 8 senders contending on
// one PostgreSQL row: what bounds a bucket's takes per second. Senders take about 100 ms of the
// rate per take, so a bucket needs only ~10 takes a second under load.
func BenchmarkContendedTake(b *testing.B) {
	st := testdb.Shared(b)
	defer st.Close()
	bucket := &throttle.Bucket{Store: st, Rate: 1e9, Burst: 1e9}
	key := throttle.Key{DistrictID: store.NewID(), Channel: "sms"}
	b.SetParallelism(4) // × GOMAXPROCS (2) = 8 senders
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bucket.Wait(context.Background(), key, 10); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
