package roster_test

import (
	"context"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/roster/rostergen"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// The demo district goes through the importer cleanly, and importing it again changes nothing.
func TestDemoRosterImportsCleanlyAndIdempotently(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		if _, err := rostergen.Write(dir, rostergen.Demo(rostergen.SchoolYearOf(s.Now()))); err != nil {
			t.Fatal(err)
		}
		opt := roster.Options{DistrictSlug: slug(t)}
		first, err := roster.Import(context.Background(), s, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := first.Summary(), "imported: 2 schools, 640 students, 60 staff, 500 guardians, 693 guardian links"; got != want || len(first.Warnings) != 0 {
			t.Fatalf("%s (want %s), warnings %v", got, want, first.Warnings)
		}
		again, err := roster.Import(context.Background(), s, dir, opt)
		if err != nil || again.Summary() != first.Summary() || again.PeopleCreated+again.PeopleUpdated+again.PeopleDeactivated != 0 {
			t.Fatalf("second import: %v, %+v", err, again)
		}
		d := first.DistrictID
		if n := countWhere(t, s, &store.Class{}, "district_id = ? AND class_type = ?", d, "homeroom"); n < 20 {
			t.Fatalf("%d homerooms", n)
		}
		if n := countWhere(t, s, &store.Enrollment{}, "district_id = ? AND active = ?", d, true); n < 1000 {
			t.Fatalf("%d active enrollments", n)
		}
		if n := countWhere(t, s, &store.Person{}, "district_id = ? AND kind = ? AND preferred_language = ?", d, store.KindGuardian, ""); n != 0 {
			t.Fatalf("%d guardians without a language", n)
		}
		if n := countWhere(t, s, &store.Person{}, "district_id = ? AND kind = ? AND phone LIKE ?", d, store.KindGuardian, "+1%55501%"); n < 450 {
			t.Fatalf("only %d guardians have a normalized phone", n)
		}
	})
}
