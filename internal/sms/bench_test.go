package sms

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// BenchmarkEnqueue100k queues one wave's 100,000 SMS invitations on PostgreSQL.
// Goal: ≤ 10 s per op. Run: go test -run '^$' -bench Enqueue100k -benchtime 1x ./internal/sms/
func BenchmarkEnqueue100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := testdb.Postgres(b)
		f := newFixture(b, st, n, nil)
		if len(f.issued) != n {
			b.Fatalf("issued %d invitations", len(f.issued))
		}
		b.StartTimer()
		got, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		if err != nil || got != n {
			b.Fatalf("Enqueue = %d, %v", got, err)
		}
	}
}

// BenchmarkSendWorker is the worker's own cost per message against the fake Twilio, pacing
// disabled: claim, checks, twilio-go request, recording. Reports process CPU per message
// (an upper bound: it includes the in-process fake Twilio). Goal: ≤ 1 ms CPU per message.
// Run: go test -run '^$' -bench SendWorker -benchtime 2000x ./internal/sms/
func BenchmarkSendWorker(b *testing.B) {
	ctx := context.Background()
	st := testdb.Postgres(b)
	f := newFixture(b, st, b.N, nil)
	if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
		b.Fatal(err)
	}
	f.svc.BatchSize = 50
	cpu0 := cpuTime()
	b.ResetTimer()
	for {
		n, err := f.svc.SendDue(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
	if got := len(f.fake.requests()); got < b.N {
		b.Fatalf("sent %d of %d", got, b.N)
	}
	var sent int64
	st.DB.Model(&store.SMSMessage{}).Where("district_id = ? AND status = ?", f.district, store.SMSSent).Count(&sent)
	if int(sent) != b.N {
		b.Fatalf("%d of %d recorded sent", sent, b.N)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
