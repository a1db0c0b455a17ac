package email

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// BenchmarkEnqueue10000 queues the invitation mails of a 10,000-person staff wave in one
// transaction (what opening the wave does), on PostgreSQL.
func BenchmarkEnqueue10000(b *testing.B) {
	st := testdb.Postgres(b)
	f := newFixture(b, st, 10000, store.StatusDraft, nil)
	// A draft queues nothing; give the invitations the email channel and tokens as opening does.
	var w store.Wave
	if err := st.DB.Where("district_id = ? AND id = ?", f.district, f.wave).First(&w).Error; err != nil {
		b.Fatal(err)
	}
	w.Status = store.StatusOpen
	if len(f.issued) != 10000 {
		b.Fatalf("%d invitations", len(f.issued))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := st.DB.Where("district_id = ?", f.district).Delete(&store.EmailMessage{}).Error; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var n int
		err := st.Tx(ctx, func(tx *gorm.DB) error {
			var err error
			n, err = f.svc.EnqueueTx(ctx, tx, w, f.issued)
			return err
		})
		if err != nil || n != 10000 {
			b.Fatalf("queued %d, %v", n, err)
		}
	}
}
