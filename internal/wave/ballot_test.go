package wave_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// planted is a comment no other row carries, so its bytes can be looked for in pages and files.
func planted(t *testing.T, i int) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "planted-" + hex.EncodeToString(b[:]) + "-" + strconv.Itoa(i)
}

// submitStaff has n staff of school 0 answer an anonymous staff-pulse wave by personal link, one
// after another, each saving two pages (the first with a planted comment) before submitting; it
// returns the wave and the comments in submission order.
func submitStaff(t *testing.T, w *world, n int) (store.Wave, []string) {
	t.Helper()
	ctx := context.Background()
	for range n {
		w.person(t, store.KindStaff, "", w.schools[0], nil)
	}
	wv := w.wave(t, "staff-pulse", store.ModeAnonymous, []string{"link"})
	issued, err := w.svc.Invite(ctx, w.district, wv.ID)
	must(t, err)
	if len(issued) != n {
		t.Fatalf("issued %d invitations, want %d", len(issued), n)
	}
	var comments []string
	for i, is := range issued {
		sess, err := w.svc.ByToken(ctx, is.Token)
		must(t, err)
		c := planted(t, i)
		digit := strconv.Itoa(i % 4)
		must(t, w.svc.SavePage(ctx, sess, 0, map[string]string{"tt-ideas": digit, "tt-do-well": "1", "tt-hard-time": "2", "tt-follow-through": "3"}, &c, 1, "en"))
		must(t, w.svc.SavePage(ctx, sess, 1, map[string]string{"sl-input": digit, "sl-run-well": "0"}, nil, 2, "en"))
		must(t, w.svc.Submit(ctx, sess, "en"))
		comments = append(comments, c)
	}
	return wv, comments
}

// TestAnonymousAnswersDoNotJoinPeople is the database reader's attack on anonymous answers, on
// both dialects: after the mixer ran, nothing ties a response to the invitation (so the person)
// whose submission made it — no shared transaction id (xmin) with the invitation or the draft,
// no physical order (ctid, rowid) that follows submission order, no time stamp, and no row
// version, dead or alive, nor leftover bytes in the files, that still holds the answers next to
// the invitation.
func TestAnonymousAnswersDoNotJoinPeople(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		const n = 8
		wv, comments := submitStaff(t, w, n)
		// One answer from the other school waits: too few to mix alone, so the ballot box is not
		// empty when it is swept (an empty table's pages would simply be cut off).
		w.person(t, store.KindStaff, "", w.schools[1], nil)
		late, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		if len(late) != 1 {
			t.Fatalf("late invitations %+v", late)
		}
		sess, err := w.svc.ByToken(ctx, late[0].Token)
		must(t, err)
		must(t, w.svc.Submit(ctx, sess, "en"))
		mixed, err := w.svc.Mix(ctx)
		must(t, err)
		if mixed != n {
			t.Errorf("the mixer moved %d ballots, want %d (a school with %d waiting)", mixed, n, n)
		}
		// A sweep cannot drop what an older snapshot (any transaction in the database, such as
		// another test's) may still see; the mixer's next rounds sweep again until it could.
		for try := 0; !w.svc.Swept(); try++ {
			if try == 1000 {
				t.Fatal("the mixer never finished sweeping")
			}
			time.Sleep(10 * time.Millisecond) // other packages' tests write on this server meanwhile
			_, err := w.svc.Mix(ctx)
			must(t, err)
		}

		var rs []store.Response
		order := "rowid"
		if st.Dialect == config.Postgres {
			order = "ctid"
		}
		must(t, st.DB.Where("district_id = ? AND wave_id = ?", w.district, wv.ID).Order(order).Find(&rs).Error)
		if len(rs) != n {
			t.Fatalf("%d responses after mixing, want %d", len(rs), n)
		}
		var got []string
		for _, r := range rs {
			if r.InvitationID != nil || r.PersonID != nil || r.SubmittedAt != nil {
				t.Errorf("anonymous response carries invitation %v, person %v, time %v", r.InvitationID, r.PersonID, r.SubmittedAt)
			}
			got = append(got, r.Comment)
		}
		if want := slices.Clone(comments); !sameSet(got, want) {
			t.Fatalf("responses carry comments %v, want %v", got, want)
		}
		// Physical order: the responses lie in the order of their random ids, which says nothing
		// of who submitted first (today they lie in submission order). That order may by chance
		// be submission order too (1 in 8!), so the test asks only for the ids' order.
		if !slices.IsSortedFunc(rs, func(a, b store.Response) int { return cmpInt(a.ID, b.ID) }) {
			t.Errorf("physical (%s) order of responses is not the order of their random ids: comments in that order %v, submitted %v", order, got, comments)
		}
		// Time stamps: an invitation says only the day it was used.
		var invs []store.Invitation
		must(t, st.DB.Where("district_id = ? AND wave_id = ?", w.district, wv.ID).Find(&invs).Error)
		for _, inv := range invs {
			if inv.CompletedAt == nil || !inv.CompletedAt.Equal(inv.CompletedAt.Truncate(24*time.Hour)) {
				t.Errorf("invitation completed_at %v: want the day only", inv.CompletedAt)
			}
		}
		var ballots int64
		must(t, st.DB.Table("ballots").Where("district_id = ?", w.district).Count(&ballots).Error)
		if ballots != 1 {
			t.Errorf("%d ballots left after mixing, want the other school's one", ballots)
		}

		if st.Dialect == config.Postgres {
			postgresReader(t, st, w.district, comments)
		} else {
			sqliteReader(t, st, comments)
		}
	})
}

// postgresReader joins responses to invitations and drafts by transaction id and looks for the
// planted comments in every row version (pageinspect) of the tables a submission touches.
func postgresReader(t *testing.T, st *store.Store, district int64, comments []string) {
	t.Helper()
	for _, q := range []string{
		"SELECT count(*) FROM responses r JOIN invitations i ON i.xmin = r.xmin WHERE r.district_id = ? AND i.district_id = r.district_id",
		"SELECT count(*) FROM responses r JOIN drafts d ON d.xmin = r.xmin WHERE r.district_id = ? AND d.district_id = r.district_id",
		"SELECT count(*) FROM scores s JOIN invitations i ON i.xmin = s.xmin WHERE s.district_id = ? AND i.district_id = s.district_id",
		"SELECT count(*) FROM responses r JOIN invitations i ON i.xmax = r.xmin AND i.xmax <> '0' WHERE r.district_id = ? AND i.district_id = r.district_id",
	} {
		var n int64
		must(t, st.DB.Raw(q, district).Scan(&n).Error)
		if n != 0 {
			t.Errorf("%s: %d rows: responses join invitations by transaction id", q, n)
		}
	}
	must(t, st.DB.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect").Error)
	for _, rel := range []string{"drafts", "ballots", "invitations"} {
		for _, c := range comments {
			var versions int64
			must(t, st.DB.Raw(`SELECT count(*) FROM generate_series(0, (pg_relation_size(?::regclass) / current_setting('block_size')::int)::int - 1) b,
				heap_page_items(get_raw_page(?, b)) h WHERE h.t_data IS NOT NULL AND position(convert_to(?, 'UTF8') IN h.t_data) > 0`, rel, rel, c).Scan(&versions).Error)
			if versions != 0 {
				t.Errorf("%s: %d row versions (live or dead) still hold the answers with comment %s", rel, versions, c)
			}
			var pages int64
			must(t, st.DB.Raw(`SELECT count(*) FROM generate_series(0, (pg_relation_size(?::regclass) / current_setting('block_size')::int)::int - 1) b
				WHERE position(convert_to(?, 'UTF8') IN get_raw_page(?, b)) > 0`, rel, c, rel).Scan(&pages).Error)
			// VACUUM does not zero the free space of a page it prunes: a raw read of the drafts'
			// file may still find a submitted draft's bytes until the space is reused (README,
			// "what remains"). The ballot box itself is rewritten, so nothing is left there.
			if pages != 0 && rel != "drafts" {
				t.Errorf("%s: %d pages still hold the bytes of comment %s in their free space", rel, pages, c)
			}
		}
	}
}

// sqliteReader reads the database file and its WAL for the planted comments: each must be in the
// file once (its response), nowhere else (a draft's old cell, a ballot's freed page, a WAL frame).
func sqliteReader(t *testing.T, st *store.Store, comments []string) {
	t.Helper()
	var file string
	must(t, st.DB.Raw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file).Error)
	main, err := os.ReadFile(file)
	must(t, err)
	wal, _ := os.ReadFile(file + "-wal")
	for _, c := range comments {
		if n := bytes.Count(main, []byte(c)); n != 1 {
			t.Errorf("database file holds comment %s %d times, want once (its response)", c, n)
		}
		if n := bytes.Count(wal, []byte(c)); n != 0 {
			t.Errorf("WAL holds comment %s %d times, want 0", c, n)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Mixers on several servers at once move each ballot once: four run together over one school's
// twenty ballots, and there are twenty responses, none twice, and no ballot left.
func TestConcurrentMixersMixEachBallotOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		const n = 20
		wv, comments := submitStaff(t, w, n)
		must(t, w.svc.SetStatus(ctx, w.district, wv.ID, store.StatusClosed)) // every ballot is due
		errs := make(chan error, 4)
		start := make(chan struct{})
		for range 4 {
			go func() {
				<-start
				_, err := w.svc.Mix(ctx)
				errs <- err
			}()
		}
		close(start)
		for range 4 {
			must(t, <-errs)
		}
		var got []string
		must(t, st.DB.Model(&store.Response{}).Where("district_id = ? AND wave_id = ?", w.district, wv.ID).Pluck("comment", &got).Error)
		var left int64
		must(t, st.DB.Model(&store.Ballot{}).Where("district_id = ?", w.district).Count(&left).Error)
		if !sameSet(got, comments) || left != 0 {
			t.Fatalf("responses %v (want each of %v once), %d ballots left", got, comments, left)
		}
	})
}

// mixAll closes the wave and runs the mixer, which then takes every ballot of it however few.
func mixAll(t *testing.T, w *world, waveID int64) {
	t.Helper()
	must(t, w.svc.SetStatus(context.Background(), w.district, waveID, store.StatusClosed))
	_, err := w.svc.Mix(context.Background())
	must(t, err)
}

var _ = wave.PageSize

// TestSweepWaitsForAnOlderSnapshot: a transaction that took its snapshot before the mixer ran
// (another request, a report, a backup) keeps the deleted ballots "recently dead", so the ballot
// box's rewrite must copy them. The sweep then is not done, and the next rounds sweep again once
// the snapshot is gone; only then are the ballots' bytes gone from the file. (The old code trusted
// reltuples, in which VACUUM FULL does not count recently dead tuples: it called the sweep done
// with eight ballots' bytes still in the file.)
func TestSweepWaitsForAnOlderSnapshot(t *testing.T) {
	st := testdb.Postgres(t)
	ctx := context.Background()
	w := newWorld(t, st)
	const n = 8
	wv, comments := submitStaff(t, w, n)
	w.person(t, store.KindStaff, "", w.schools[1], nil)
	late, err := w.svc.Invite(ctx, w.district, wv.ID)
	must(t, err)
	sess, err := w.svc.ByToken(ctx, late[0].Token)
	must(t, err)
	must(t, w.svc.Submit(ctx, sess, "en"))
	sqlDB, err := st.DB.DB()
	must(t, err)
	reader, err := sqlDB.Conn(ctx)
	must(t, err)
	defer reader.Close()
	_, err = reader.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ")
	must(t, err)
	var seen int
	// The snapshot is taken by reading another table: no lock on the ballot box, so its rewrite runs.
	must(t, reader.QueryRowContext(ctx, "SELECT count(*) FROM schools").Scan(&seen))
	if mixed, err := w.svc.Mix(ctx); err != nil || mixed != n {
		t.Fatalf("mixed %d, %v", mixed, err)
	}
	if w.svc.Swept() {
		t.Fatal("the sweep says done while an older snapshot keeps the mixed ballots in the ballot box")
	}
	_, err = reader.ExecContext(ctx, "COMMIT")
	must(t, err)
	for try := 0; !w.svc.Swept(); try++ {
		if try == 1000 {
			t.Fatal("the mixer never finished sweeping")
		}
		time.Sleep(10 * time.Millisecond) // other packages' tests write on this server meanwhile
		_, err := w.svc.Mix(ctx)
		must(t, err)
	}
	must(t, st.DB.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect").Error)
	for _, c := range comments {
		var pages int64
		must(t, st.DB.Raw(`SELECT count(*) FROM generate_series(0, (pg_relation_size('ballots') / current_setting('block_size')::int)::int - 1) b
			WHERE position(convert_to(?, 'UTF8') IN get_raw_page('ballots', b)) > 0`, c).Scan(&pages).Error)
		if pages != 0 {
			t.Errorf("ballots: %d pages still hold the bytes of comment %s", pages, c)
		}
	}
}
