package roster_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/roster/rostergen"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// BenchmarkImportLargeDistrict imports a generated district of 100,000 students, 10,000 staff and
// 150,000 guardians (with 215,000 enrollments) into PostgreSQL: "first" into an empty district,
// "again" the same files once more (every row read back and compared; nothing changes). The goal
// is at most 60 s and 500 MB for each:
//
//	go test -run '^$' -bench ImportLargeDistrict -benchtime 1x -benchmem ./internal/roster/
//
// peak-heap-MB is the most heap the import had in use, sampled every 10 ms; B/op counts every
// allocation, freed or not. For the process's resident memory, time the command instead:
// /usr/bin/time -v trustpulse roster import DIR.
func BenchmarkImportLargeDistrict(b *testing.B) {
	dir := b.TempDir()
	if _, err := rostergen.Write(dir, rostergen.Large(rostergen.SchoolYearOf(time.Now()))); err != nil {
		b.Fatal(err)
	}
	s := testdb.Postgres(b)
	for _, phase := range []string{"first", "again"} {
		b.Run(phase, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				slug := fmt.Sprintf("large-%s-%d-%d", phase, i, time.Now().UnixNano())
				if phase == "again" {
					b.StopTimer()
					if _, err := roster.Import(context.Background(), s, dir, roster.Options{DistrictSlug: slug}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				runtime.GC()
				peak := samplePeakHeap()
				res, err := roster.Import(context.Background(), s, dir, roster.Options{DistrictSlug: slug})
				mb := peak()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(mb, "peak-heap-MB")
				b.Logf("%s: %s (people created %d, updated %d; %d warnings)", phase, res.Summary(), res.PeopleCreated, res.PeopleUpdated, len(res.Warnings))
			}
		})
	}
}

// samplePeakHeap watches the heap until the returned func is called, which returns the peak in MB.
func samplePeakHeap() func() float64 {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		close(stop)
		wg.Wait()
		return float64(peak) / (1 << 20)
	}
}
