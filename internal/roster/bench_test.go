package roster_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/roster/rostergen"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// BenchmarkImportLargeDistrict imports a generated district of 100,000 students, 10,000 staff and
// 150,000 guardians into PostgreSQL: the first import into an empty district, then the same
// files again (every row compared, nothing changed). Goal: each at most 60 s and 500 MB.
//
//	go test -run '^$' -bench ImportLargeDistrict -benchtime 1x -benchmem ./internal/roster/
//
// peak-heap-MB samples the Go heap in use every 10 ms; -benchmem's B/op counts all allocation.
func BenchmarkImportLargeDistrict(b *testing.B) {
	dir := b.TempDir()
	st, err := rostergen.Write(dir, rostergen.Large(2026))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %+v", st)
	s := testdb.Postgres(b)
	for _, phase := range []string{"first", "again"} {
		b.Run(phase, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				slug := fmt.Sprintf("large-%d", i)
				if phase == "again" {
					b.StopTimer()
					if _, err := roster.Import(context.Background(), s, dir, roster.Options{DistrictSlug: slug}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				} else {
					slug = fmt.Sprintf("large-first-%d-%d", time.Now().UnixNano(), i)
				}
				runtime.GC()
				peak := samplePeakHeap()
				res, err := roster.Import(context.Background(), s, dir, roster.Options{DistrictSlug: slug, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
				mb := peak()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(mb, "peak-heap-MB")
				b.Logf("%s: %s (created %d, updated %d, %d warnings)", phase, res.Summary(), res.PeopleCreated, res.PeopleUpdated, len(res.Warnings))
			}
		})
	}
}

// samplePeakHeap watches the heap until the returned func is called, which returns the peak in MB.
func samplePeakHeap() func() float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var live uint64
		for {
			metrics.Read(sample)
			if v := sample[1].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			if v := sample[0].Value.Uint64(); v > live {
				live = v
				fmt.Println("live MB", v>>20)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(stop)
		wg.Wait()
		return float64(peak.Load()) / (1 << 20)
	}
}
