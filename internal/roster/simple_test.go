package roster_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func simpleFiles() files {
	return files{
		"schools.csv": lines(
			"id,name,time_zone",
			"lincoln,Lincoln Elementary,America/Denver",
		),
		"students.csv": lines(
			"id,school,first_name,last_name,grade,gender,race_ethnicity,home_language,english_learner,disability,low_income,survey_opt_out,homeroom",
			"S1,lincoln,Ana,Diaz,3,F,Hispanic,es,yes,no,yes,,Room 12",
			"S2,Lincoln Elementary,Ben,Cole,K,male,white,en,no,no,no,yes,Room 12",
			"S3,lincoln,Cy,Park,05,nonbinary,Two or more,ko,no,yes,no,,Room 14",
		),
		"staff.csv": lines(
			"id,school,first_name,last_name,email,role,department,homeroom",
			"T1,lincoln,Rosa,Lee,rlee@example.org,teacher,Grade 3,Room 12",
			"A1,lincoln,Sam,Ford,sford@example.org,administrator,Office,",
		),
		"guardians.csv": lines(
			"id,first_name,last_name,phone,email,language,student_ids,do_not_text",
			"P1,Maria,Diaz,(617) 555-0111,maria@example.com,es,S1,",
			"P2,Kim,Park,617-555-0112,,,S3,true",
		),
	}
}

func TestSimpleFormat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		opt := roster.Options{DistrictSlug: slug(t), Format: roster.FormatSimple, AllowMassDeactivation: true}
		res := mustImport(t, s, simpleFiles(), opt)
		if got, want := res.Summary(), "imported: 1 schools, 3 students, 2 staff, 2 guardians, 2 guardian links"; got != want {
			t.Fatalf("summary %q, want %q", got, want)
		}
		d := res.DistrictID
		var school store.School
		s.DB.Where("district_id = ?", d).First(&school)
		if school.Name != "Lincoln Elementary" || school.TimeZone != "America/Denver" || school.SourcedID != "lincoln" {
			t.Fatalf("school %+v", school)
		}
		s1 := person(t, s, d, "S1")
		want := store.Attrs{"gender": "female", "race_ethnicity": "hispanic", "home_language": "es", "english_learner": "yes", "disability": "no", "low_income": "yes"}
		if !reflect.DeepEqual(s1.Attributes, want) || s1.Grade != "03" || s1.PreferredLanguage != "es" || *s1.SchoolID != school.ID {
			t.Fatalf("S1 %+v", s1)
		}
		if s2 := person(t, s, d, "S2"); s2.Grade != "KG" || !s2.SurveyOptOut {
			t.Fatalf("S2 %+v", s2)
		}
		if s3 := person(t, s, d, "S3"); s3.Attributes["race_ethnicity"] != "two_or_more" || s3.Attributes["gender"] != "nonbinary" {
			t.Fatalf("S3 %+v", s3)
		}
		if t1 := person(t, s, d, "T1"); t1.Kind != store.KindStaff || t1.Role != "teacher" || t1.Attributes["department"] != "Grade 3" || t1.Email != "rlee@example.org" {
			t.Fatalf("T1 %+v", t1)
		}
		p1, p2 := person(t, s, d, "P1"), person(t, s, d, "P2")
		if p1.Phone != "+16175550111" || p1.PreferredLanguage != "es" || p1.Email != "maria@example.com" || p1.Role != "guardian" {
			t.Fatalf("P1 %+v", p1)
		}
		if !p2.DoNotText || p2.PreferredLanguage != "ko" {
			t.Fatalf("P2 %+v (want do_not_text, and the child's home language)", p2)
		}
		var titles []string
		s.DB.Model(&store.Class{}).Where("district_id = ? AND class_type = ?", d, "homeroom").Order("title").Pluck("title", &titles)
		if !slices.Equal(titles, []string{"Room 12", "Room 14"}) {
			t.Fatalf("homerooms %v", titles)
		}
		if n := countWhere(t, s, &store.Enrollment{}, "district_id = ? AND active = ?", d, true); n != 4 {
			t.Fatalf("%d enrollments, want 4", n)
		}

		// A full import without S2 deactivates S2 (and its homeroom place).
		f := simpleFiles()
		f["students.csv"] = strings.Replace(f["students.csv"], "S2,Lincoln Elementary,Ben,Cole,K,male,white,en,no,no,no,yes,Room 12\n", "", 1)
		res = mustImport(t, s, f, opt)
		if res.Students != 2 || res.PeopleDeactivated != 1 || person(t, s, d, "S2").Active {
			t.Fatalf("without S2: %s, deactivated %d", res.Summary(), res.PeopleDeactivated)
		}
		if n := countWhere(t, s, &store.Enrollment{}, "district_id = ? AND active = ?", d, true); n != 3 {
			t.Fatalf("%d enrollments, want 3", n)
		}
		// A delta with just a new student leaves everyone else alone; staff.csv absent leaves staff alone.
		delta := files{"students.csv": lines(strings.Split(f["students.csv"], "\n")[0], "S4,lincoln,Dee,Ray,4,,,,,,,,")}
		res = mustImport(t, s, delta, roster.Options{DistrictSlug: slug(t), Format: roster.FormatSimple, Mode: roster.ModeDelta})
		if res.Students != 3 || res.Staff != 2 || res.Guardians != 2 {
			t.Fatalf("delta: %s", res.Summary())
		}
		// A full students.csv alone deactivates the students it leaves out, but no staff.
		res = mustImport(t, s, delta, opt)
		if res.Students != 1 || res.Staff != 2 {
			t.Fatalf("full students.csv alone: %s", res.Summary())
		}
	})
}

func TestSimpleFormatProblems(t *testing.T) {
	cases := []struct {
		name    string
		change  files
		problem []string
	}{
		{"id used twice across files", files{"staff.csv": lines("id,school,first_name,last_name", "S1,lincoln,Rosa,Lee")},
			[]string{`staff.csv:2: duplicate id "S1" (first at students.csv:2)`}},
		{"school id used twice", files{"schools.csv": lines("id,name", "lincoln,Lincoln Elementary", "lincoln,Lincoln Middle")},
			[]string{`schools.csv:3: duplicate id "lincoln" (first on line 2)`}},
		{"unknown school", files{"staff.csv": lines("id,school,first_name,last_name", "T1,nowhere,Rosa,Lee")},
			[]string{`staff.csv:2: school: unknown school "nowhere" (not in schools.csv)`}},
		{"unknown student", files{"guardians.csv": lines("id,first_name,last_name,student_ids", "P1,Maria,Diaz,S1;S9")},
			[]string{`guardians.csv:2: student_ids: unknown user "S9"`}},
		{"guardian of a teacher", files{"guardians.csv": lines("id,first_name,last_name,student_ids", "P1,Maria,Diaz,T1")},
			[]string{`guardians.csv:2: student_ids: "T1" is a staff member, not a student`}},
		{"invalid values", files{"students.csv": lines("id,school,first_name,last_name,grade,gender,race_ethnicity,english_learner",
			"S1,lincoln,Ana,Diaz,13th,girl,latin,maybe")}, []string{
			`students.csv:2: grade: invalid value "13th" (want K or 1 … 12)`,
			`students.csv:2: gender: invalid value "girl" (want female, male or nonbinary)`,
			`students.csv:2: race_ethnicity: invalid value "latin" (want hispanic, american_indian, asian, black, pacific_islander, white or two_or_more)`,
			`students.csv:2: english_learner: invalid value "maybe" (want yes or no)`,
		}},
		{"no people files", files{"students.csv": "", "staff.csv": "", "guardians.csv": ""},
			[]string{"students.csv:0: required file is missing (the simple format needs students.csv, staff.csv or guardians.csv)"}},
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := simpleFiles().with(files{"guardians.csv": ""}).with(tc.change)
				got := problems(t, s, f, roster.Options{DistrictSlug: slug(t), Format: roster.FormatSimple})
				if !slices.Equal(got, tc.problem) {
					t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.problem, "\n"))
				}
			})
		}
		// Without schools.csv the school column names schools, which are made as needed.
		f := simpleFiles().with(files{"schools.csv": "", "guardians.csv": ""})
		f["students.csv"] = strings.ReplaceAll(f["students.csv"], ",lincoln,", ",Lincoln Elementary,")
		f["staff.csv"] = strings.ReplaceAll(f["staff.csv"], ",lincoln,", ",Lincoln Elementary;Hill Middle,")
		res := mustImport(t, s, f, roster.Options{DistrictSlug: slug(t) + "-noschools", Format: roster.FormatSimple})
		if res.Schools != 2 || res.Students != 3 {
			t.Fatalf("schools from the school column: %s", res.Summary())
		}
		if _, err := roster.Import(context.Background(), s, f.write(t), roster.Options{Format: roster.FormatSimple}); err == nil || !strings.Contains(err.Error(), "district slug") {
			t.Fatalf("simple format without a district: %v", err)
		}
	})
}
