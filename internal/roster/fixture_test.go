package roster_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestMain(m *testing.M) {
	code := testdb.Main(m)
	if code == 0 {
		code = everyProblemWorded()
	}
	os.Exit(code)
}

// files is a roster as file name → content; lines are joined with "\n" unless they say otherwise.
type files map[string]string

// base is a small, valid OneRoster 1.1 export: a district, two schools, two students, a teacher,
// two guardians, two homerooms.
func base() files {
	return files{
		"manifest.csv": lines(
			"propertyName,value",
			"manifest.version,1.0",
			"oneroster.version,1.1",
			"file.orgs,bulk",
			"file.users,bulk",
			"file.demographics,bulk",
			"file.classes,bulk",
			"file.enrollments,bulk",
			"file.academicSessions,bulk",
			"file.courses,absent",
		),
		"orgs.csv": lines(
			"sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId,metadata.timeZone",
			"d1,,2025-08-01T12:00:00.000Z,Maple Grove Schools,district,Maple Grove,,",
			"s1,,2025-08-01T12:00:00.000Z,Maple Elementary,school,0001,d1,America/Chicago",
			"s2,,2025-08-01T12:00:00.000Z,Maple High,school,0002,d1,",
		),
		"users.csv": lines(
			"sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,metadata.homeLanguage,metadata.preferredLanguage,metadata.englishLearner,metadata.disability,metadata.lowIncome,metadata.surveyOptOut,metadata.doNotText,metadata.department,metadata.hireDate",
			"u1,,,true,s1,student,u1,,Ana,Garcia,,,,,,g1,04,,es-MX,,true,false,true,,,,",
			"u2,,,true,s2,student,u2,,Minh,Nguyen,,,minh@example.org,,,\"g1,g2\",10,,vi,,false,true,false,false,,,",
			"t1,,,true,s1,teacher,t1,,Rosa,Parks,,,rosa@example.org,,,,,,,,,,,,,Mathematics,2019-08-15",
			"g1,,,false,\"s1,s2\",parent,g1,,Maria,Garcia,,,,(617) 555-0101,,\"u1,u2\",,,,es,,,,,,,",
			"g2,,,false,s2,guardian,g2,,Lan,Nguyen,,,,,617-555-0102,u2,,,,,,,,,,,",
		),
		"demographics.csv": lines(
			"sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity",
			"u1,,,2016-03-04,female,false,false,false,false,true,false,true",
			"u2,,,2010-07-08,male,false,true,false,false,true,false,false",
			"t1,,,1980-01-02,other,false,false,true,false,false,false,false",
		),
		"academicSessions.csv": lines(
			"sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
			"y1,,,2025-26,schoolYear,2025-08-20,2026-06-30,,2026",
		),
		"classes.csv": lines(
			"sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
			"c1,,,Homeroom 4A,04,,HR4A,homeroom,,s1,y1,,,",
			"c2,,,Homeroom 10B,10,,HR10B,homeroom,,s2,y1,,,",
		),
		"enrollments.csv": lines(
			"sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate",
			"e1,,,c1,s1,u1,student,,2025-08-20,",
			"e2,,,c1,s1,t1,teacher,true,2025-08-20,",
			"e3,,,c2,s2,u2,student,,2025-08-20,",
		),
	}
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// with returns a copy of f with some files replaced (an empty content removes the file).
func (f files) with(changes files) files {
	out := maps.Clone(f)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// write puts the files in a new folder and returns its path.
func (f files) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range f {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixedClock pins the store's clock to a day, so age and tenure bands and enrollment end dates
// are stable; it ticks a second per reading, so imports still follow each other in time.
func fixedClock(s *store.Store) {
	var ticks atomic.Int64
	s.Now = func() time.Time {
		return time.Date(2026, time.January, 15, 12, 0, 0, 0, time.UTC).Add(time.Duration(ticks.Add(1)) * time.Second)
	}
}

func importFiles(t *testing.T, s *store.Store, f files, opt roster.Options) (roster.Result, error) {
	t.Helper()
	return roster.Import(context.Background(), s, f.write(t), opt)
}

func mustImport(t *testing.T, s *store.Store, f files, opt roster.Options) roster.Result {
	t.Helper()
	res, err := importFiles(t, s, f, opt)
	if err != nil {
		var ie *roster.ImportError
		if errors.As(err, &ie) {
			t.Fatalf("import failed:\n%s", strings.Join(roster.Report(ie.Problems, 20, "problems"), "\n"))
		}
		t.Fatal(err)
	}
	worded(t, res.Warnings)
	return res
}

// worded checks that every problem's message is in the staff catalog and renders there, in
// English, as exactly the problem's sentence: the roster page words it in the viewer's language
// from its ID and placeholders (issue 16 line 6). Every import these tests make checks its
// problems and warnings so.
func worded(t *testing.T, ps []roster.Problem) {
	t.Helper()
	rs := make([]*refusal.Error, len(ps))
	for i, p := range ps {
		rs[i] = &refusal.Error{ID: p.ID, Data: p.Data, Msg: p.Msg}
	}
	sawWorded(refusaltest.Rendered(t, "dashboard-roster-problems.en.toml", rs...)...)
}

// reasoned checks a failure's reason as worded checks a problem, and that its sentence is msg,
// the English text the job or the history stored beside it.
func reasoned(t *testing.T, r *roster.Reason, id, msg string) {
	t.Helper()
	if r == nil || r.ID != id || r.Msg != msg {
		t.Fatalf("reason %+v, want %s %q", r, id, msg)
	}
	sawWorded(refusaltest.Rendered(t, "dashboard-roster-problems.en.toml", &refusal.Error{ID: r.ID, Data: r.Data, Msg: r.Msg})...)
}

// problems runs an import that must fail and returns its problem lines.
func problems(t *testing.T, s *store.Store, f files, opt roster.Options) []string {
	t.Helper()
	_, err := importFiles(t, s, f, opt)
	return problemLines(t, err)
}

// problemLines checks the problems of a failed import's err as worded does and returns their
// lines.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var ie *roster.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("import error = %v, want *roster.ImportError", err)
	}
	worded(t, ie.Problems)
	var out []string
	for _, p := range ie.Problems {
		out = append(out, p.String())
	}
	return out
}

// slug makes a district slug unique to the test and dialect, as the PostgreSQL database is
// shared by the package's tests.
func slug(t *testing.T) string {
	return strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name()))
}

func person(t *testing.T, s *store.Store, districtID int64, sourcedID string) store.Person {
	t.Helper()
	var p store.Person
	if err := s.DB.Where("district_id = ? AND sourced_id = ?", districtID, sourcedID).First(&p).Error; err != nil {
		t.Fatalf("person %s: %v", sourcedID, err)
	}
	return p
}

func countWhere(t *testing.T, s *store.Store, model any, where string, args ...any) int {
	t.Helper()
	var n int64
	if err := s.DB.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func sortedStrings(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}
