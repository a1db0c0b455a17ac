package roster_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"

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
			{"field past the header", appendTo("users.csv", "u9,,,true,s1,student,u9,,Lee,Lee,,,,,,,05,,,,,,,,,,,"+long), roster.Limits{MaxField: 1024},
				[]string{"users.csv:7: the row has 28 fields; the header has 27", "users.csv:7: field 28 is 3000 bytes long; the limit is 1 KiB"}},
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

// zipOf zips f's files, in name order.
func zipOf(t *testing.T, f files) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedStrings(slices.Collect(maps.Keys(f))) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compressedSize is the size of a zip entry as stored.
func compressedSize(t *testing.T, z []byte, name string) uint64 {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			return f.CompressedSize64
		}
	}
	t.Fatalf("no %s in the zip", name)
	return 0
}

// A zip entry whose declared size breaks a limit is refused before it is read.
func TestZipEntryLimits(t *testing.T) {
	// 2 MiB of blank lines (which CSV skips) compress about a thousand times.
	bomb := base().with(files{"orgs.csv": base()["orgs.csv"] + strings.Repeat("\n", 2<<20)})
	bombZip := zipOf(t, bomb)
	cases := []struct {
		name string
		zip  []byte
		lim  roster.Limits
		want []string
	}{
		{"zip bomb", bombZip, roster.Limits{},
			[]string{fmt.Sprintf("orgs.csv:1: the zip entry expands more than 100 times (%d compressed bytes is %d bytes); refusing a likely zip bomb",
				compressedSize(t, bombZip, "orgs.csv"), len(bomb["orgs.csv"]))}},
		{"entry too big", zipOf(t, base()), roster.Limits{MaxBytes: 1500},
			[]string{fmt.Sprintf("users.csv:1: the zip entry is %d bytes decompressed; the roster files may hold 1500 bytes in all", len(base()["users.csv"]))}},
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := roster.ImportZip(t.Context(), s, bytes.NewReader(c.zip), int64(len(c.zip)), roster.Options{DistrictSlug: slug(t), Limits: c.lim})
				if got := problemLines(t, err); !slices.Equal(got, c.want) {
					t.Fatalf("problems\n%q\nwant\n%q", got, c.want)
				}
			})
		}
	})
}

// trickFS serves files from its MapFS, but a file named in tricks is what its function makes of
// it, given how many times the file was opened before (users.csv is read twice).
type trickFS struct {
	fstest.MapFS
	tricks map[string]func(f fs.File, opened int) fs.File
	opened map[string]int
}

func (t *trickFS) Open(name string) (fs.File, error) {
	f, err := t.MapFS.Open(name)
	if trick, ok := t.tricks[name]; ok && err == nil {
		f = trick(f, t.opened[name])
		t.opened[name]++
	}
	return f, err
}

// trickFile reads from r, and states info when it has one.
type trickFile struct {
	fs.File
	r    io.Reader
	info fs.FileInfo
}

func (f trickFile) Read(p []byte) (int, error) { return f.r.Read(p) }

func (f trickFile) Stat() (fs.FileInfo, error) {
	if f.info != nil {
		return f.info, nil
	}
	return f.File.Stat()
}

// zipInfo states a file as a zip entry of the given header.
type zipInfo struct {
	fs.FileInfo
	h *zip.FileHeader
}

func (z zipInfo) Sys() any { return z.h }

// Problems of reading that a well-formed zip or folder does not show: a zip entry holds more than
// its header says, a file cannot be read.
func TestReadingProblems(t *testing.T) {
	mapFS := func(f files) fstest.MapFS {
		m := fstest.MapFS{}
		for name, content := range f {
			m[name] = &fstest.MapFile{Data: []byte(content)}
		}
		return m
	}
	cases := []struct {
		name   string
		tricks map[string]func(f fs.File, opened int) fs.File
		want   []string
	}{
		{"zip entry grew", map[string]func(fs.File, int) fs.File{"orgs.csv": func(f fs.File, _ int) fs.File {
			st, _ := f.Stat()
			return trickFile{File: f, r: io.MultiReader(f, strings.NewReader(strings.Repeat("\n", 2<<20))),
				info: zipInfo{st, &zip.FileHeader{CompressedSize64: 1000, UncompressedSize64: uint64(st.Size())}}}
		}}, []string{"orgs.csv:1048580: the zip entry expands more than 100 times (1000 compressed bytes grew past 1048870 bytes); refusing a likely zip bomb"}},
		{"read error", map[string]func(fs.File, int) fs.File{"classes.csv": func(f fs.File, _ int) fs.File {
			return trickFile{File: f, r: io.MultiReader(strings.NewReader(base()["classes.csv"]), iotest.ErrReader(errors.New("disk on fire")))}
		}}, []string{"classes.csv:3: read: disk on fire"}},
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				fsys := &trickFS{MapFS: mapFS(base()), tricks: c.tricks, opened: map[string]int{}}
				_, err := roster.ImportFS(t.Context(), s, fsys, roster.Options{DistrictSlug: slug(t)})
				if got := problemLines(t, err); !slices.Equal(got, c.want) {
					t.Fatalf("problems\n%q\nwant\n%q", got, c.want)
				}
			})
		}
	})
}

// An import reads users.csv twice; a file that grows in between is stopped at the size it had.
func TestFileChangedBetweenReadings(t *testing.T) {
	fsys := &trickFS{MapFS: fstest.MapFS{"users.csv": &fstest.MapFile{Data: []byte(base()["users.csv"])}}, opened: map[string]int{},
		tricks: map[string]func(fs.File, int) fs.File{"users.csv": func(f fs.File, opened int) fs.File {
			if opened == 0 {
				return f
			}
			return trickFile{File: f, r: io.MultiReader(f, strings.NewReader("u9,,,true,s1,student,u9,,Lee,Lee,,,,,,,05,,,,,,,,,,\n"))}
		}}}
	ps, err := roster.SecondReadingProblems(fsys, "users.csv")
	if err != nil {
		t.Fatal(err)
	}
	worded(t, ps)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{fmt.Sprintf("users.csv:7: the file changed while it was being imported (it grew past %d bytes)", len(base()["users.csv"]))}
	if !slices.Equal(got, want) {
		t.Fatalf("problems\n%q\nwant\n%q", got, want)
	}
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
