package sms

import (
	"context"
	"slices"
	"testing"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestAnswerByTextLeavesNoLink is the database reader's attack on answers given by text in an
// anonymous wave: each family's last text is applied in one transaction with its sms_inbound row
// and the invitation's claim. After the mixer ran (default batches: the five families of the
// school make one), no response shares a transaction id (xmin) with an inbound text, an
// invitation or a draft, and responses do not lie in the order the families finished.
func TestAnswerByTextLeavesNoLink(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		const n = 5
		f := answeringFixture(t, st, 7400, n, store.ModeAnonymous, nil)
		f.svc.Waves.Mixing = wave.MixPolicy{}
		var finished []string // answers, in the order the families sent their last text
		for i := range n {
			ph := phoneOf(7400 + i)
			f.text(t, ph, "ok")
			answers := []byte("--------")
			for j := range answers {
				d := (i+j)%4 + 1
				f.text(t, ph, string(rune('0'+d)))
				answers[j] = byte('0' + d - 1)
			}
			finished = append(finished, string(answers))
		}
		mixed, err := f.svc.Waves.Mix(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if mixed != n {
			t.Fatalf("mixed %d ballots, want %d", mixed, n)
		}
		order := "rowid"
		if st.Dialect == config.Postgres {
			order = "ctid"
		}
		var rs []store.Response
		if err := st.DB.Where("district_id = ? AND wave_id = ?", f.district, f.wave).Order(order).Find(&rs).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.Answers)
		}
		if len(rs) != n {
			t.Fatalf("responses %v, want %d", got, n)
		}
		// The order of the random ids, which may by chance be the order they finished in.
		if !slices.IsSortedFunc(rs, func(a, b store.Response) int { return compare(a.ID, b.ID) }) {
			t.Errorf("responses lie (%s) as %v, finished %v: want the order of their random ids", order, got, finished)
		}
		if st.Dialect != config.Postgres {
			return
		}
		for _, q := range []string{
			"SELECT count(*) FROM responses r JOIN sms_inbound s ON s.xmin = r.xmin WHERE r.district_id = ? AND s.district_id = r.district_id",
			"SELECT count(*) FROM responses r JOIN invitations i ON i.xmin = r.xmin WHERE r.district_id = ? AND i.district_id = r.district_id",
			"SELECT count(*) FROM responses r JOIN drafts d ON d.xmin = r.xmin WHERE r.district_id = ? AND d.district_id = r.district_id",
		} {
			var k int64
			if err := st.DB.Raw(q, f.district).Scan(&k).Error; err != nil {
				t.Fatal(err)
			}
			if k != 0 {
				t.Errorf("%s: %d: a response shares its transaction with the texts that made it", q, k)
			}
		}
	})
}

func compare(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
