package roster_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestImportMapsOneRoster(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		fixedClock(s)
		res := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
		if got, want := res.Summary(), "imported: 2 schools, 2 students, 1 staff, 2 guardians, 3 guardian links"; got != want {
			t.Fatalf("summary %q, want %q", got, want)
		}
		if len(res.Warnings) != 0 {
			t.Fatalf("warnings: %v", res.Warnings)
		}
		d := res.DistrictID
		var schools []store.School
		s.DB.Where("district_id = ?", d).Order("sourced_id").Find(&schools)
		if len(schools) != 2 || schools[0].TimeZone != "America/Chicago" || schools[1].TimeZone != roster.DefaultTimeZone || schools[0].Name != "Maple Elementary" {
			t.Fatalf("schools %+v", schools)
		}
		u1 := person(t, s, d, "u1")
		want := store.Attrs{"gender": "female", "race_ethnicity": "hispanic", "age_band": "0-9", "home_language": "es",
			"english_learner": "yes", "disability": "no", "low_income": "yes"}
		if !reflect.DeepEqual(u1.Attributes, want) || u1.Kind != store.KindStudent || u1.Role != "student" || u1.Grade != "04" ||
			u1.PreferredLanguage != "es" || u1.SchoolID == nil || *u1.SchoolID != schools[0].ID || u1.SurveyOptOut || !u1.Active {
			t.Fatalf("u1 = %+v", u1)
		}
		u2 := person(t, s, d, "u2")
		want = store.Attrs{"gender": "male", "race_ethnicity": "two_or_more", "age_band": "13-15", "home_language": "vi",
			"english_learner": "no", "disability": "yes", "low_income": "no"}
		if !reflect.DeepEqual(u2.Attributes, want) || u2.Grade != "10" || u2.Email != "minh@example.org" || u2.PreferredLanguage != "vi" {
			t.Fatalf("u2 = %+v", u2)
		}
		t1 := person(t, s, d, "t1")
		want = store.Attrs{"gender": "nonbinary", "race_ethnicity": "black", "age_band": "40-49", "department": "Mathematics", "tenure": "5-9"}
		if !reflect.DeepEqual(t1.Attributes, want) || t1.Kind != store.KindStaff || t1.Role != "teacher" || t1.Grade != "" {
			t.Fatalf("t1 = %+v", t1)
		}
		g1, g2 := person(t, s, d, "g1"), person(t, s, d, "g2")
		if g1.Kind != store.KindGuardian || g1.Role != "parent" || g1.Phone != "+16175550101" || g1.PreferredLanguage != "es" || len(g1.Attributes) != 0 {
			t.Fatalf("g1 = %+v", g1)
		}
		// g2 states no language: the home language of their one child.
		if g2.Role != "guardian" || g2.Phone != "+16175550102" || g2.PreferredLanguage != "vi" {
			t.Fatalf("g2 = %+v", g2)
		}
		var links []store.GuardianLink
		s.DB.Where("district_id = ?", d).Find(&links)
		got := map[[2]int64]bool{}
		for _, l := range links {
			got[[2]int64{l.GuardianID, l.StudentID}] = true
		}
		if len(links) != 3 || !got[[2]int64{g1.ID, u1.ID}] || !got[[2]int64{g1.ID, u2.ID}] || !got[[2]int64{g2.ID, u2.ID}] {
			t.Fatalf("links %+v", links)
		}
		if n := countWhere(t, s, &store.PersonSchool{}, "district_id = ? AND person_id = ?", d, g1.ID); n != 2 {
			t.Fatalf("g1 belongs to %d schools, want 2", n)
		}
		var classes []store.Class
		s.DB.Where("district_id = ?", d).Order("sourced_id").Find(&classes)
		if len(classes) != 2 || classes[0].ClassType != "homeroom" || classes[0].Title != "Homeroom 4A" || classes[0].SchoolID != schools[0].ID {
			t.Fatalf("classes %+v", classes)
		}
		var enr []store.Enrollment
		s.DB.Where("district_id = ? AND class_id = ?", d, classes[0].ID).Order("role").Find(&enr)
		if len(enr) != 2 || enr[0].Role != "student" || enr[0].PersonID != u1.ID || enr[1].Role != "teacher" || !enr[1].Active {
			t.Fatalf("enrollments of c1 %+v", enr)
		}
		hist, err := roster.Imports(context.Background(), s, d, 10)
		if err != nil || len(hist) != 1 || hist[0].Status != store.ImportSucceeded || hist[0].Students != 2 || hist[0].PeopleCreated != 5 ||
			hist[0].Mode != roster.ModeFull || hist[0].Format != roster.FormatOneRoster || hist[0].ID != res.ImportID {
			t.Fatalf("history %+v, %v", hist, err)
		}
	})
}

// Without --district, the district org names the district: found by slug, or created.
func TestDistrictFromOrgsFile(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ident := fmt.Sprintf("Oak Hills %d", store.NewID())
		f := base().with(files{"orgs.csv": strings.Replace(base()["orgs.csv"], "Maple Grove,", ident+",", 1)})
		res := mustImport(t, s, f, roster.Options{})
		var dist store.District
		if err := s.DB.Where("district_id = ?", res.DistrictID).First(&dist).Error; err != nil {
			t.Fatal(err)
		}
		if want := strings.ReplaceAll(strings.ToLower(ident), " ", "-"); dist.Slug != want || dist.Name != "Maple Grove Schools" {
			t.Fatalf("district %+v, want slug %q", dist, want)
		}
		again := mustImport(t, s, f, roster.Options{})
		if again.DistrictID != res.DistrictID {
			t.Fatalf("second import went to district %d, first to %d", again.DistrictID, res.DistrictID)
		}
	})
}

// The CSV reader: a BOM, CRLF line ends, columns in another order, unknown columns, and quoted
// fields holding commas, quotes and line breaks; line numbers stay physical.
func TestCSVTolerance(t *testing.T) {
	users := "\ufeff" + strings.Join([]string{
		"familyName,Favourite Colour,givenName,role,sourcedId,orgSourcedIds,agentSourcedIds,grades",
		"\"O'Brien, Jr.\",blue,\"Sean \"\"Junior\"\"\",student,u1,s1,,04",
		"Park,\"red,\r\ngreen\r\nand blue\",\"Ji\r\nwoo\",student,u2,s2,,10",
		"Smith,green,Ann,teachr,t1,s1,,",
	}, "\r\n") + "\r\n"
	f := base().with(files{"users.csv": users, "demographics.csv": "", "enrollments.csv": "",
		"manifest.csv": strings.NewReplacer("file.demographics,bulk", "file.demographics,absent", "file.enrollments,bulk", "file.enrollments,absent").Replace(base()["manifest.csv"])})
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		// The bad role is on the row that starts on physical line 7: the quoted line breaks count.
		got := problems(t, s, f, roster.Options{DistrictSlug: slug(t)})
		want := []string{`users.csv:7: role: invalid value "teachr" (want administrator, aide, guardian, parent, proctor, relative, student or teacher)`}
		if !slices.Equal(got, want) {
			t.Fatalf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		fixed := f.with(files{"users.csv": strings.Replace(users, "teachr", "teacher", 1)})
		res := mustImport(t, s, fixed, roster.Options{DistrictSlug: slug(t)})
		u1, u2 := person(t, s, res.DistrictID, "u1"), person(t, s, res.DistrictID, "u2")
		if u1.FamilyName != "O'Brien, Jr." || u1.GivenName != `Sean "Junior"` || u2.GivenName != "Ji\nwoo" || u2.Grade != "10" {
			t.Fatalf("u1 %q %q, u2 %q %q", u1.GivenName, u1.FamilyName, u2.GivenName, u2.Grade)
		}
	})
}

// A failed import leaves every roster table exactly as it was, and records the attempt.
func TestFailedImportChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		fixedClock(s)
		first := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
		d := first.DistrictID
		before := snapshot(t, s, d)
		// Many changes, one bad reference at the end: none of the changes may land.
		broken := base().with(files{
			"users.csv":       strings.NewReplacer("Ana,Garcia", "Anna,Garcia-Lopez", "(617) 555-0101", "(617) 555-0199", ",04,", ",05,").Replace(base()["users.csv"]),
			"orgs.csv":        strings.Replace(base()["orgs.csv"], "Maple High", "Maple High School", 1),
			"enrollments.csv": base()["enrollments.csv"] + "e4,,,c2,s2,u9,student,,,\n",
		})
		got := problems(t, s, broken, roster.Options{DistrictSlug: slug(t)})
		if want := []string{`enrollments.csv:5: userSourcedId: unknown user "u9"`}; !slices.Equal(got, want) {
			t.Fatalf("problems %q, want %q", got, want)
		}
		if after := snapshot(t, s, d); !reflect.DeepEqual(before, after) {
			t.Fatalf("the failed import changed the database:\nbefore %+v\nafter  %+v", before, after)
		}
		hist, _ := roster.Imports(context.Background(), s, d, 10)
		if len(hist) != 2 || hist[0].Status != store.ImportFailed || hist[0].ProblemCount != 1 ||
			hist[0].Problems != `enrollments.csv:5: userSourcedId: unknown user "u9"` {
			t.Fatalf("history %+v", hist)
		}
	})
}

type dbSnapshot struct {
	Counts  map[string]int
	People  []store.Person
	Schools []store.School
	Links   []store.GuardianLink
	Enrolls []store.Enrollment
	Records []store.RosterRecord
}

func snapshot(t *testing.T, s *store.Store, d int64) dbSnapshot {
	t.Helper()
	snap := dbSnapshot{Counts: map[string]int{}}
	for _, m := range []any{&store.District{}, &store.School{}, &store.Person{}, &store.PersonSchool{}, &store.GuardianLink{},
		&store.Class{}, &store.Enrollment{}, &store.RosterRecord{}} {
		var n int64
		if err := s.DB.Model(m).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		snap.Counts[fmt.Sprintf("%T", m)] = int(n)
	}
	s.DB.Where("district_id = ?", d).Order("sourced_id").Find(&snap.People)
	s.DB.Where("district_id = ?", d).Order("sourced_id").Find(&snap.Schools)
	s.DB.Where("district_id = ?", d).Order("guardian_id, student_id").Find(&snap.Links)
	s.DB.Where("district_id = ?", d).Order("class_id, person_id").Find(&snap.Enrolls)
	s.DB.Where("district_id = ?", d).Order("entity, sourced_id").Find(&snap.Records)
	return snap
}

func TestReimportUpsertsAndDeactivates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		fixedClock(s)
		first := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
		d := first.DistrictID
		u1, u2, t1 := person(t, s, d, "u1"), person(t, s, d, "u2"), person(t, s, d, "t1")

		same := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
		if same.PeopleCreated+same.PeopleUpdated+same.PeopleDeactivated != 0 {
			t.Fatalf("re-importing the same files changed people: %+v", same)
		}

		// u1 leaves (absent from the full import), t1 is marked tobedeleted, u2 changes, u3 arrives.
		users := strings.Split(strings.TrimSuffix(base()["users.csv"], "\n"), "\n")
		users = slices.Delete(users, 1, 2) // u1
		users[1] = strings.NewReplacer("Minh,Nguyen", "Minh Anh,Nguyen", ",s2,student,", ",s1,student,").Replace(users[1])
		users[2] = strings.Replace(users[2], "t1,,,", "t1,tobedeleted,,", 1)
		users[3] = strings.Replace(users[3], `"u1,u2"`, "u2", 1)
		users = append(users, "u3,,,true,s1,student,u3,,Sam,Lee,,,,,,,05,,en,,,,,,,,")
		f := base().with(files{
			"users.csv":        lines(users...),
			"demographics.csv": lines(strings.Split(base()["demographics.csv"], "\n")[0], strings.Split(base()["demographics.csv"], "\n")[2]),
			"enrollments.csv":  lines(strings.Split(base()["enrollments.csv"], "\n")[0], strings.Split(base()["enrollments.csv"], "\n")[3]),
		})
		res := mustImport(t, s, f, roster.Options{DistrictSlug: slug(t), AllowMassDeactivation: true})
		if got, want := res.Summary(), "imported: 2 schools, 2 students, 0 staff, 2 guardians, 2 guardian links"; got != want {
			t.Fatalf("summary %q, want %q", got, want)
		}
		if res.PeopleCreated != 1 || res.PeopleDeactivated != 2 {
			t.Fatalf("created %d, deactivated %d; want 1, 2", res.PeopleCreated, res.PeopleDeactivated)
		}
		if p := person(t, s, d, "u1"); p.Active || p.ID != u1.ID || p.GivenName != "Ana" {
			t.Fatalf("u1 after leaving: %+v (want kept, inactive)", p)
		}
		if p := person(t, s, d, "t1"); p.Active || p.ID != t1.ID {
			t.Fatalf("t1 after tobedeleted: %+v", p)
		}
		if p := person(t, s, d, "u2"); p.GivenName != "Minh Anh" || p.ID != u2.ID || !p.Active || *p.SchoolID == *u2.SchoolID {
			t.Fatalf("u2 after update: %+v", p)
		}
		var schools []int64
		s.DB.Model(&store.PersonSchool{}).Where("district_id = ? AND person_id = ?", d, u2.ID).Pluck("school_id", &schools)
		if u1.SchoolID == nil || !slices.Equal(schools, []int64{*u1.SchoolID}) {
			t.Fatalf("u2 moved to s1 but belongs to %v", schools)
		}
		// u2's demographics are in the bulk file; u3 has none.
		if p := person(t, s, d, "u3"); p.Attributes["gender"] != "" || p.Attributes["home_language"] != "en" {
			t.Fatalf("u3 %+v", p)
		}
		if n := countWhere(t, s, &store.GuardianLink{}, "district_id = ? AND student_id = ?", d, u1.ID); n != 0 {
			t.Fatalf("u1 keeps %d guardian links; the full import dropped them", n)
		}
		if n := countWhere(t, s, &store.Enrollment{}, "district_id = ? AND active = ?", d, true); n != 1 {
			t.Fatalf("%d active enrollments, want 1 (u2's)", n)
		}
		if n := countWhere(t, s, &store.Person{}, "district_id = ?", d); n != 6 {
			t.Fatalf("%d people rows, want 6: nobody is deleted", n)
		}
		// A returning student is reactivated with their old id.
		back := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t), AllowMassDeactivation: true})
		if p := person(t, s, d, "u1"); !p.Active || p.ID != u1.ID || back.Students != 2 || back.Staff != 1 {
			t.Fatalf("u1 back: %+v; %s", p, back.Summary())
		}
	})
}

// Delta files change only the records they carry, as OneRoster says.
func TestDeltaImport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		fixedClock(s)
		d := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)}).DistrictID
		manifest := lines("propertyName,value", "oneroster.version,1.1", "file.users,delta", "file.enrollments,delta",
			"file.orgs,absent", "file.classes,absent", "file.demographics,absent", "file.academicSessions,absent")
		delta := files{
			"manifest.csv": manifest,
			"users.csv": lines(
				"sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,givenName,familyName,grades,agentSourcedIds",
				"u4,active,2025-09-01T10:00:00.000Z,true,s2,student,Kai,Lee,11,g2",
				"u2,tobedeleted,2025-09-01T10:00:00.000Z,,,,,,,",
			),
			"enrollments.csv": lines(
				"sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role",
				"e9,active,2025-09-01T10:00:00.000Z,c2,s2,u4,student",
				"e3,tobedeleted,2025-09-01T10:00:00.000Z,c2,s2,u2,student",
			),
		}
		res := mustImport(t, s, delta, roster.Options{DistrictSlug: slug(t)})
		if got, want := res.Summary(), "imported: 2 schools, 2 students, 1 staff, 2 guardians, 2 guardian links"; got != want {
			t.Fatalf("summary %q, want %q", got, want)
		}
		if p := person(t, s, d, "u1"); !p.Active || p.Attributes["gender"] != "female" {
			t.Fatalf("u1, absent from the delta, changed: %+v", p)
		}
		if p := person(t, s, d, "u2"); p.Active {
			t.Fatalf("u2 is still active after tobedeleted")
		}
		u4 := person(t, s, d, "u4")
		if u4.Grade != "11" || countWhere(t, s, &store.GuardianLink{}, "district_id = ? AND student_id = ?", d, u4.ID) != 1 {
			t.Fatalf("u4 %+v", u4)
		}
		// g2's link to u2 stays (a delta row without agents leaves links alone); u2 is inactive.
		if n := countWhere(t, s, &store.GuardianLink{}, "district_id = ?", d); n != 4 {
			t.Fatalf("%d links, want 4", n)
		}
		if n := countWhere(t, s, &store.Enrollment{}, "district_id = ? AND active = ?", d, true); n != 3 {
			t.Fatalf("%d active enrollments, want 3", n)
		}
		hist, _ := roster.Imports(context.Background(), s, d, 1)
		if hist[0].Mode != roster.ModeDelta {
			t.Fatalf("mode %q", hist[0].Mode)
		}
		// In a delta file, status and dateLastModified are required.
		bad := delta.with(files{"users.csv": lines(
			"sourcedId,status,dateLastModified,orgSourcedIds,role,givenName,familyName",
			"u5,,,s2,student,Bo,Lin",
		), "enrollments.csv": "", "manifest.csv": strings.Replace(manifest, "file.enrollments,delta", "file.enrollments,absent", 1)})
		want := []string{"users.csv:2: status is required in a delta file", "users.csv:2: dateLastModified is required in a delta file"}
		if got := problems(t, s, bad, roster.Options{DistrictSlug: slug(t)}); !slices.Equal(got, want) {
			t.Fatalf("problems %q, want %q", got, want)
		}
		// --full makes the same kind of file complete: everyone it leaves out is deactivated.
		full := mustImport(t, s, files{
			"manifest.csv": strings.Replace(manifest, "file.enrollments,delta", "file.enrollments,absent", 1),
			"users.csv": lines(
				"sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,givenName,familyName,grades,agentSourcedIds",
				"u4,active,2025-09-01T10:00:00.000Z,true,s2,student,Kai,Lee,11,",
			),
		}, roster.Options{DistrictSlug: slug(t), Mode: roster.ModeFull, AllowMassDeactivation: true})
		if full.Students != 1 || full.Staff != 0 || full.Guardians != 0 {
			t.Fatalf("--full: %s", full.Summary())
		}
	})
}

// Opt-out and do-not-text flags survive re-imports that do not mention them; only an explicit
// false clears them.
func TestOptOutsPersist(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		users := strings.Split(strings.TrimSuffix(base()["users.csv"], "\n"), "\n")
		// u1: surveyOptOut true; g2: doNotText true.
		users[1] = strings.Replace(users[1], "true,false,true,,,,", "true,false,true,true,,,", 1)
		users[5] = strings.Replace(users[5], ",,,,,,,,,,,", ",,,,,,,,,true,,", 1)
		set := base().with(files{"users.csv": lines(users...)})
		d := mustImport(t, s, set, roster.Options{DistrictSlug: slug(t)}).DistrictID
		check := func(step string, optOut, noText bool) {
			t.Helper()
			if p := person(t, s, d, "u1"); p.SurveyOptOut != optOut {
				t.Fatalf("%s: u1 survey_opt_out = %v, want %v", step, p.SurveyOptOut, optOut)
			}
			if p := person(t, s, d, "g2"); p.DoNotText != noText {
				t.Fatalf("%s: g2 do_not_text = %v, want %v", step, p.DoNotText, noText)
			}
		}
		check("set", true, true)
		mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)}) // columns there, cells blank
		check("blank cells", true, true)
		noCols := strings.NewReplacer(",metadata.surveyOptOut,metadata.doNotText", "").Replace(lines(users...))
		noColsRows := strings.Split(strings.TrimSuffix(noCols, "\n"), "\n")
		for i := 1; i < len(noColsRows); i++ {
			// Drop the two cells the header lost (the 24th and 25th fields).
			cells := splitCSVLine(noColsRows[i])
			cells = slices.Delete(cells, 23, 25)
			noColsRows[i] = strings.Join(cells, ",")
		}
		mustImport(t, s, base().with(files{"users.csv": lines(noColsRows...)}), roster.Options{DistrictSlug: slug(t)})
		check("columns absent", true, true)
		cleared := slices.Clone(users)
		cleared[1] = strings.Replace(cleared[1], "true,false,true,true,,,", "true,false,true,false,,,", 1)
		cleared[5] = strings.Replace(cleared[5], ",,,,,,,,,true,,", ",,,,,,,,,false,,", 1)
		mustImport(t, s, base().with(files{"users.csv": lines(cleared...)}), roster.Options{DistrictSlug: slug(t)})
		check("explicit false", false, false)

	})
}

// splitCSVLine splits one fixture line on commas outside quotes.
func splitCSVLine(l string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range l {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}

func TestZipInput(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f := base()
	names := sortedStrings(slices.Collect(func(yield func(string) bool) {
		for k := range f {
			if !yield(k) {
				return
			}
		}
	}))
	for _, name := range names {
		w, err := zw.Create("export-2025/" + name) // many tools zip the folder, not its files
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "roster.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		res, err := roster.Import(context.Background(), s, path, roster.Options{DistrictSlug: slug(t)})
		if err != nil || res.Students != 2 || res.GuardianLinks != 3 {
			t.Fatalf("zip import: %v, %s", err, res.Summary())
		}
		hist, _ := roster.Imports(context.Background(), s, res.DistrictID, 1)
		if hist[0].Source != "roster.zip" {
			t.Fatalf("source %q", hist[0].Source)
		}
		res, err = roster.ImportZip(context.Background(), s, bytes.NewReader(buf.Bytes()), int64(buf.Len()),
			roster.Options{DistrictSlug: slug(t), Source: "upload.zip"})
		if err != nil || res.PeopleCreated != 0 || res.PeopleUpdated != 0 {
			t.Fatalf("ImportZip again: %v, %+v", err, res)
		}
	})
	notZip := filepath.Join(t.TempDir(), "roster.csv")
	os.WriteFile(notZip, []byte("a,b\n"), 0o644)
	if _, err := roster.Import(context.Background(), testdb.SQLite(t), notZip, roster.Options{}); err == nil || !strings.Contains(err.Error(), "neither a folder nor a zip") {
		t.Fatalf("a CSV file as PATH: %v", err)
	}
}
