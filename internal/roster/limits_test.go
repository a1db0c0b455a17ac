package roster_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// Each limit stops the import with a "file:line: problem" naming it; small limits stand in for
// the defaults so the files stay small (the full-size bombs are in internal/cli).
func TestLimitsGiveFileLineProblems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		long := strings.Repeat("x", 3000)
		cases := []struct {
			name   string
			change files
			lim    roster.Limits
			want   []string
		}{
			{"line", appendTo("users.csv", "u9,,,true,s1,student,u9,,"+long+",Lee,,,,,,,05,,,,,,,,,,"), roster.Limits{MaxLine: 2048},
				[]string{"users.csv:7: the line is longer than 2 KiB, the limit for one CSV record"}},
			{"quoted line breaks count", appendTo("users.csv", `u9,,,true,s1,student,u9,,"`+strings.Repeat("x\n", 1500)+`",Lee,,,,,,,05,,,,,,,,,,`), roster.Limits{MaxLine: 2048},
				[]string{"users.csv:7: the line is longer than 2 KiB, the limit for one CSV record"}},
			{"field", appendTo("users.csv", "u9,,,true,s1,student,u9,,"+long+",Lee,,,,,,,05,,,,,,,,,,"), roster.Limits{MaxField: 1024},
				[]string{`users.csv:7: the "givenName" field is 3000 bytes long; the limit is 1 KiB`, "users.csv:7: givenName is required"}},
			{"total size", files{}, roster.Limits{MaxBytes: 1500},
				[]string{"users.csv:4: the roster files hold more than 1500 bytes decompressed, the import limit"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := problems(t, s, base().with(c.change), roster.Options{DistrictSlug: slug(t), Limits: c.lim})
				if !slices.Equal(got, c.want) {
					t.Fatalf("problems\n%q\nwant\n%q", got, c.want)
				}
			})
		}
	})
}

// A file of many bad rows keeps the first MaxProblems problems and counts the rest.
func TestProblemsKeptAreCapped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		var rows []string
		for i := range 250 {
			rows = append(rows, fmt.Sprintf("x%d,,,true,s1,wizard,,,A,B,,,,,,,,,,,,,,,,,", i))
		}
		_, err := importFiles(t, s, base().with(appendTo("users.csv", rows...)), roster.Options{DistrictSlug: slug(t)})
		var ie *roster.ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v", err)
		}
		if len(ie.Problems) != roster.MaxListed || ie.Total != 250 {
			t.Fatalf("kept %d of %d problems, want %d of 250", len(ie.Problems), ie.Total, roster.MaxListed)
		}
		rep := roster.ReportTotal(ie.Problems, ie.Total, roster.MaxListed, "problems")
		if got, want := rep[len(rep)-1], "… and 150 more problems"; got != want {
			t.Fatalf("last line %q, want %q", got, want)
		}
		if rep[0] != `users.csv:7: role: invalid value "wizard" (want one of administrator, aide, guardian, parent, proctor, relative, student, teacher)` && !strings.HasPrefix(rep[0], "users.csv:7: role") {
			t.Fatalf("first line %q", rep[0])
		}
	})
}

// A bulk import that deactivates more than the allowed share is refused with the numbers, writes
// nothing but its failed history row and audit row, and goes through once confirmed.
func TestMassDeactivationNeedsConfirmation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
		var d store.District
		s.DB.Where("slug = ?", slug(t)).First(&d)
		audits := func() int {
			return countWhere(t, s, &store.AuditEntry{}, "district_id = ? AND action = ?", d.DistrictID, "roster.import")
		}
		// One student left: four of five active people would go.
		users := strings.Split(base()["users.csv"], "\n")
		one := base().with(files{"users.csv": lines(users[0], users[3]), "demographics.csv": "", "enrollments.csv": "",
			"manifest.csv": strings.NewReplacer("file.demographics,bulk", "file.demographics,absent", "file.enrollments,bulk", "file.enrollments,absent").Replace(base()["manifest.csv"])})
		_, err := importFiles(t, s, one, roster.Options{DistrictSlug: slug(t)})
		var mass *roster.MassDeactivationError
		if !errors.As(err, &mass) || mass.Deactivated != 4 || mass.Active != 5 {
			t.Fatalf("err = %v, want a refusal to deactivate 4 of 5", err)
		}
		if !strings.Contains(err.Error(), "would deactivate 4 of 5 active people (more than 20%)") {
			t.Fatalf("message %q", err)
		}
		if n := countWhere(t, s, &store.Person{}, "district_id = ? AND active = ?", d.DistrictID, true); n != 5 {
			t.Fatalf("%d active people after the refusal, want 5", n)
		}
		if n := countWhere(t, s, &store.RosterImport{}, "district_id = ? AND status = ?", d.DistrictID, store.ImportFailed); n != 1 {
			t.Fatalf("%d failed imports recorded, want 1", n)
		}
		if audits() != 2 {
			t.Fatalf("%d audit rows, want 2 (the first import and the refusal)", audits())
		}
		// A higher configured share lets it through; so does the confirmation.
		res := mustImport(t, s, one, roster.Options{DistrictSlug: slug(t), AllowMassDeactivation: true})
		if res.PeopleDeactivated != 4 || audits() != 3 {
			t.Fatalf("confirmed: %d deactivated, %d audit rows", res.PeopleDeactivated, audits())
		}
	})
}

// The import's audit row is written in its transaction: a failure to write it leaves the roster
// untouched.
func TestImportAuditIsInItsTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		_, err := importFiles(t, s, base(), roster.Options{DistrictSlug: slug(t), Audit: roster.Actor{Actor: strings.Repeat("a", 10), IP: "not-an-ip-\x00"}})
		if err == nil {
			var d store.District
			s.DB.Where("slug = ?", slug(t)).First(&d)
			if n := countWhere(t, s, &store.AuditEntry{}, "district_id = ? AND action = ? AND actor = ?", d.DistrictID, "roster.import", "aaaaaaaaaa"); n != 1 {
				t.Fatalf("%d audit rows by the actor, want 1", n)
			}
			return
		}
		if n := countWhere(t, s, &store.District{}, "slug = ?", slug(t)); n != 0 {
			t.Fatalf("the audit row failed (%v) but the district was created", err)
		}
	})
}
