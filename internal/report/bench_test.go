package report_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/report/reportgen"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/surveys"
)

var big struct {
	once sync.Once
	st   *store.Store
	rep  *report.Service
	d    reportgen.District
	err  error
}

// bigDistrict is 1,000,000 scored responses (20 schools × 12 waves), made once per run, with
// every wave's rollups built by the refresher as a live server would.
func bigDistrict(b *testing.B) (*report.Service, reportgen.District) {
	big.once.Do(func() {
		cat, err := survey.Load(surveys.FS)
		if err != nil {
			big.err = err
			return
		}
		in, _ := cat.Get("student-pulse", 1)
		big.st = testdb.Shared(b)
		start := time.Now()
		big.d, big.err = reportgen.Generate(context.Background(), big.st, in, reportgen.Options{Schools: 20, Waves: 12, Responses: 1_000_000})
		if big.err != nil {
			return
		}
		b.Logf("generated 1,000,000 responses in %v", time.Since(start).Round(time.Millisecond))
		big.rep = &report.Service{Store: big.st, Surveys: cat, Floor: 10}
		start = time.Now()
		_, big.err = big.rep.Refresh(context.Background())
		b.Logf("built rollups of 12 waves in %v", time.Since(start).Round(time.Millisecond))
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
	return big.rep, big.d
}

// p95 reports the 95th percentile of per-operation times as a custom metric.
func p95(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkResultsQuery is the API's rollup query: one school, one wave, broken down by an
// attribute, with the previous wave it is compared against: what GET /api/v1/results reads.
func BenchmarkResultsQuery(b *testing.B) {
	rep, d := bigDistrict(b)
	ctx := context.Background()
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		school := d.Schools[i%len(d.Schools)]
		wd, err := rep.WaveOf(ctx, d.ID, d.Waves[len(d.Waves)-1-i%3], d.Schools, school)
		if err != nil {
			b.Fatal(err)
		}
		if rows := wd.Results(school, "race_ethnicity"); len(rows) == 0 {
			b.Fatal("no rows")
		}
		times = append(times, time.Since(start))
	}
	p95(b, times)
}

// BenchmarkRefreshIncremental weighs 100 newly held responses in a wave of ~83,000 under the
// release rule and, where the rule allows, releases and counts them: one refresher tick with news.
func BenchmarkRefreshIncremental(b *testing.B) {
	rep, d := bigDistrict(b)
	ctx := context.Background()
	w := d.Waves[len(d.Waves)-1]
	db := rep.Store.DB
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// Hold 100 released responses again, as if just submitted (if released they are counted
		// again: fine for timing).
		var ids []int64
		if err := db.Raw(`SELECT response_id FROM response_releases WHERE district_id = ? AND wave_id = ? ORDER BY response_id LIMIT 100 OFFSET ?`,
			d.ID, w, (i*100)%80_000).Scan(&ids).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Exec(`DELETE FROM response_releases WHERE district_id = ? AND response_id IN ?`, d.ID, ids).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Exec(`INSERT INTO rollup_pending (district_id, response_id, wave_id)
			SELECT district_id, id, wave_id FROM responses WHERE district_id = ? AND id IN ? ON CONFLICT DO NOTHING`, d.ID, ids).Error; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := rep.RefreshWave(ctx, d.ID, w); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		// Whatever the rule held back is released again, so every iteration starts alike.
		if err := db.Exec(`INSERT INTO response_releases (district_id, response_id, wave_id, batch)
			SELECT district_id, id, wave_id, 1 FROM responses r WHERE district_id = ? AND id IN ? AND `+
			`NOT EXISTS (SELECT 1 FROM response_releases rr WHERE rr.district_id = r.district_id AND rr.response_id = r.id)`, d.ID, ids).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Exec(`DELETE FROM rollup_pending WHERE district_id = ? AND response_id IN ?`, d.ID, ids).Error; err != nil {
			b.Fatal(err)
		}
		if err := db.Exec(`UPDATE rollup_waves SET held = 0 WHERE district_id = ? AND wave_id = ?`, d.ID, w).Error; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
