package roster_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/roster/rosterbomb"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func (f files) zip(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range f {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// districtFor imports base() once so the district exists, and returns it.
func districtFor(t *testing.T, s *store.Store) store.District {
	t.Helper()
	mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
	var d store.District
	if err := s.DB.Where("slug = ?", slug(t)).First(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

func enqueue(t *testing.T, s *store.Store, d store.District, data []byte, allow bool) store.RosterJob {
	t.Helper()
	uid := int64(42)
	job, err := roster.Enqueue(context.Background(), s, roster.Upload{DistrictID: d.DistrictID, Source: "upload.zip", AllowMassDeactivation: allow,
		Audit: roster.Actor{UserID: &uid, Actor: "admin@example.org", IP: "192.0.2.1"}}, bytes.NewReader(data), 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// An upload is stored, imported by the worker with its uploader in the audit row, and its file
// is deleted when the job ends.
func TestRosterJobImportsInTheBackground(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := districtFor(t, s)
		changed := base().with(edit("users.csv", 2, "Ana", "Anita"))
		job := enqueue(t, s, d, changed.zip(t), false)
		if job.Status != store.JobQueued || countWhere(t, s, &store.RosterJobChunk{}, "job_id = ?", job.ID) == 0 {
			t.Fatalf("queued job %+v without its file", job)
		}
		j := &roster.Jobs{Store: s}
		ran, err := j.RunOnce(context.Background())
		if err != nil || !ran {
			t.Fatalf("RunOnce = %v, %v", ran, err)
		}
		got, err := roster.FindJob(context.Background(), s, d.DistrictID, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.JobSucceeded || !strings.HasPrefix(got.Message, "imported: 2 schools") || got.ImportID == nil || got.FinishedAt == nil {
			t.Fatalf("job after run: %+v", got)
		}
		if got.Phase == "" || got.Total == 0 {
			t.Fatalf("no progress recorded: %+v", got)
		}
		if n := countWhere(t, s, &store.RosterJobChunk{}, "job_id = ?", job.ID); n != 0 {
			t.Fatalf("%d chunks of the upload left after the job", n)
		}
		if p := person(t, s, d.DistrictID, "u1"); p.GivenName != "Anita" {
			t.Fatalf("u1 given name %q", p.GivenName)
		}
		if n := countWhere(t, s, &store.AuditEntry{}, "district_id = ? AND action = ? AND actor = ? AND ip = ?", d.DistrictID, "roster.import", "admin@example.org", "192.0.2.1"); n != 1 {
			t.Fatalf("%d audit rows by the uploader, want 1", n)
		}
		if ran, _ := j.RunOnce(context.Background()); ran {
			t.Fatal("a second RunOnce found a job")
		}
	})
}

// Problems and the mass-deactivation refusal end the job as failed, with the message the page
// shows; the checkbox's confirmation lets the same file through.
func TestRosterJobFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := districtFor(t, s)
		j := &roster.Jobs{Store: s}
		run := func(data []byte, allow bool) store.RosterJob {
			job := enqueue(t, s, d, data, allow)
			if _, err := j.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, _ := roster.FindJob(context.Background(), s, d.DistrictID, job.ID)
			if n := countWhere(t, s, &store.RosterJobChunk{}, "job_id = ?", job.ID); n != 0 {
				t.Fatalf("%d chunks left", n)
			}
			return got
		}
		seen := map[int64]bool{}
		newImports(t, s, d.DistrictID, seen)
		bad := run(base().with(edit("users.csv", 2, "student", "wizard")).zip(t), false)
		if bad.Status != store.JobFailed || !strings.Contains(bad.Message, "users.csv:2: role: invalid value") {
			t.Fatalf("bad roster: %+v", bad)
		}
		// The job keeps its problems for the page to word (#16 line 6): each with its message and
		// placeholders, read back from the row as they were.
		jp, ok := roster.StoredProblems(bad)
		if !ok || jp.Total != 1 || len(jp.Problems) != 1 {
			t.Fatalf("stored problems %+v, %v", jp, ok)
		}
		if p := jp.Problems[0]; p.File != "users.csv" || p.Line != 2 || p.ID != "roster_problem.invalid_value" ||
			p.Data["Value"] != `"wizard"` || p.Data["Column"] != "role" || !strings.Contains(bad.Message, p.Msg) {
			t.Fatalf("stored problem %+v", p)
		}
		worded(t, jp.Problems)
		// So does the import's history row.
		hist := lastImport(t, s, d.DistrictID, seen)
		if kept, ok := roster.ImportProblems(hist); !ok || hist.Status != store.ImportFailed || kept.Total != 1 || len(kept.Problems) != 1 ||
			kept.Problems[0].ID != "roster_problem.invalid_value" || kept.Problems[0].String() != hist.Problems {
			t.Fatalf("history row %+v kept %+v, %v", hist, kept, ok)
		}
		// A failure that is not a problem list keeps its reason: message and placeholders, its
		// sentence the job's message.
		notZip := run([]byte("just text"), false)
		if notZip.Status != store.JobFailed || !strings.Contains(notZip.Message, "not a zip file") {
			t.Fatalf("not a zip: %+v", notZip)
		}
		if jp, ok := roster.StoredProblems(notZip); !ok || len(jp.Problems) != 0 {
			t.Fatalf("not a zip keeps %+v, %v", jp, ok)
		} else {
			reasoned(t, jp.Reason, "roster_problem.not_zip", notZip.Message)
		}
		users := strings.Split(base()["users.csv"], "\n")
		one := base().with(files{"users.csv": lines(users[0], users[3]), "demographics.csv": "", "enrollments.csv": "",
			"manifest.csv": strings.NewReplacer("file.demographics,bulk", "file.demographics,absent", "file.enrollments,bulk", "file.enrollments,absent").Replace(base()["manifest.csv"])}).zip(t)
		refused := run(one, false)
		if refused.Status != store.JobFailed || !strings.Contains(refused.Message, "would deactivate 4 of 5 active people") {
			t.Fatalf("mass deactivation: %+v", refused)
		}
		jp, ok = roster.StoredProblems(refused)
		if !ok || jp.Reason == nil || jp.Reason.Data["Deactivated"] != "4" || jp.Reason.Data["Count"] != "5" || jp.Reason.Data["Share"] != "20" {
			t.Fatalf("mass deactivation keeps %+v, %v", jp.Reason, ok)
		}
		reasoned(t, jp.Reason, "roster_problem.mass_deactivation", refused.Message)
		hist = lastImport(t, s, d.DistrictID, seen)
		if kept, ok := roster.ImportProblems(hist); !ok || hist.Status != store.ImportFailed || len(kept.Problems) != 0 {
			t.Fatalf("refused history row %+v kept %+v, %v", hist, kept, ok)
		} else {
			reasoned(t, kept.Reason, "roster_problem.mass_deactivation", hist.Problems)
		}
		if ok := run(one, true); ok.Status != store.JobSucceeded || ok.ProblemsJSON != nil {
			t.Fatalf("confirmed: %+v", ok)
		}
		// An import that could not run (here: no temporary file for the upload) keeps the error.
		tmp := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(tmp, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		was, had := os.LookupEnv("TMPDIR")
		os.Setenv("TMPDIR", tmp)
		broken := run(base().zip(t), false)
		if had {
			os.Setenv("TMPDIR", was)
		} else {
			os.Unsetenv("TMPDIR")
		}
		if broken.Status != store.JobFailed || !strings.HasPrefix(broken.Message, "the import could not run: roster job: ") {
			t.Fatalf("could not run: %+v", broken)
		}
		jp, ok = roster.StoredProblems(broken)
		if !ok {
			t.Fatalf("could not run keeps nothing: %+v", broken)
		}
		reasoned(t, jp.Reason, "roster_problem.could_not_run", broken.Message)
	})
}

// newImports is the imports of the district's history not in seen, which it adds them to (the
// history's times are to the second, too coarse to tell the newest).
func newImports(t *testing.T, s *store.Store, district int64, seen map[int64]bool) []store.RosterImport {
	t.Helper()
	hist, err := roster.Imports(context.Background(), s, district, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.RosterImport
	for _, h := range hist {
		if !seen[h.ID] {
			seen[h.ID] = true
			out = append(out, h)
		}
	}
	return out
}

// lastImport is the one import of the history not in seen.
func lastImport(t *testing.T, s *store.Store, district int64, seen map[int64]bool) store.RosterImport {
	t.Helper()
	hist := newImports(t, s, district, seen)
	if len(hist) != 1 {
		t.Fatalf("%d new imports in the history, want 1: %+v", len(hist), hist)
	}
	return hist[0]
}

// Two workers on one database: each job runs once.
func TestRosterJobClaimedOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := districtFor(t, s)
		for range 3 {
			enqueue(t, s, d, base().zip(t), false)
		}
		var mu sync.Mutex
		runs := 0
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j := &roster.Jobs{Store: s}
				for {
					ran, err := j.RunOnce(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if !ran {
						return
					}
					mu.Lock()
					runs++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if runs != 3 {
			t.Fatalf("%d runs for 3 jobs", runs)
		}
		if n := countWhere(t, s, &store.AuditEntry{}, "district_id = ? AND action = ? AND actor = ?", d.DistrictID, "roster.import", "admin@example.org"); n != 3 {
			t.Fatalf("%d imports audited, want 3", n)
		}
	})
}

// A job whose worker went silent is claimed again once its lease runs out, and failed after
// maxAttempts claims.
func TestRosterJobLeaseExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := districtFor(t, s)
		job := enqueue(t, s, d, base().zip(t), false)
		now := time.Now()
		s.Now = func() time.Time { return now }
		// Three claims by workers that die at once.
		for i := 1; i <= 3; i++ {
			if err := s.DB.Model(&store.RosterJob{}).Where("id = ?", job.ID).
				Updates(map[string]any{"status": store.JobRunning, "attempts": i, "lease_until": now.Add(-time.Second)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		j := &roster.Jobs{Store: s}
		if ran, err := j.RunOnce(context.Background()); err != nil || ran {
			t.Fatalf("RunOnce = %v, %v; want no job to run after 3 attempts", ran, err)
		}
		got, _ := roster.FindJob(context.Background(), s, d.DistrictID, job.ID)
		if got.Status != store.JobFailed || !strings.Contains(got.Message, "stopped 3 times") {
			t.Fatalf("job %+v", got)
		}
		if jp, ok := roster.StoredProblems(got); !ok || jp.Reason == nil || jp.Reason.Data["Count"] != "3" {
			t.Fatalf("stopped job keeps %+v, %v", jp, ok)
		} else {
			reasoned(t, jp.Reason, "roster_problem.stopped", got.Message)
		}
		if n := countWhere(t, s, &store.RosterJobChunk{}, "job_id = ?", job.ID); n != 0 {
			t.Fatalf("%d chunks left", n)
		}
		// One silent attempt only: claimed again, and it runs.
		job = enqueue(t, s, d, base().zip(t), false)
		s.DB.Model(&store.RosterJob{}).Where("id = ?", job.ID).Updates(map[string]any{"status": store.JobRunning, "attempts": 1, "lease_until": now.Add(-time.Second)})
		if ran, err := j.RunOnce(context.Background()); err != nil || !ran {
			t.Fatalf("RunOnce = %v, %v", ran, err)
		}
		got, _ = roster.FindJob(context.Background(), s, d.DistrictID, job.ID)
		if got.Status != store.JobSucceeded || got.Attempts != 2 {
			t.Fatalf("reclaimed job %+v", got)
		}
	})
}

// A bomb uploaded through the page fails its job with the limit's problem, like on the command
// line (the worker runs the same reader with the same limits).
func TestRosterJobBomb(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := districtFor(t, s)
		var b bytes.Buffer
		if err := rosterbomb.HugeLineZip(&b, 1024); err != nil {
			t.Fatal(err)
		}
		job := enqueue(t, s, d, b.Bytes(), false)
		if _, err := (&roster.Jobs{Store: s}).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, _ := roster.FindJob(context.Background(), s, d.DistrictID, job.ID)
		if got.Status != store.JobFailed || !strings.Contains(got.Message, "users.csv:1: the zip entry expands more than 100 times") {
			t.Fatalf("bomb job: %+v", got)
		}
	})
}
