package roster_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// edit changes one line (1-based, as problems count them) of one base file.
func edit(file string, line int, from, to string) files {
	ls := strings.Split(strings.TrimSuffix(base()[file], "\n"), "\n")
	if !strings.Contains(ls[line-1], from) {
		panic(file + ": line does not contain " + from)
	}
	ls[line-1] = strings.Replace(ls[line-1], from, to, 1)
	return files{file: lines(ls...)}
}

func appendTo(file string, ls ...string) files {
	return files{file: base()[file] + lines(ls...)}
}

// Every fatal problem kind, with the exact line it is reported as.
func TestFatalProblems(t *testing.T) {
	const teacher = "t1,,,true,s1,teacher,t1,,Rosa,Parks,,,,,,,,,,,,,,,,,"
	cases := []struct {
		name    string
		change  files
		noSlug  bool
		problem []string
	}{
		{"manifest missing", files{"manifest.csv": ""}, false,
			[]string{"manifest.csv:0: required file is missing"}},
		{"declared file missing", files{"classes.csv": ""}, false,
			[]string{"manifest.csv:7: file.classes is bulk but classes.csv is missing"}},
		{"orgs file missing", files{"orgs.csv": "", "manifest.csv": strings.Replace(base()["manifest.csv"], "file.orgs,bulk\n", "", 1)}, false,
			[]string{"orgs.csv:0: required file is missing"}},
		{"required column missing", files{"users.csv": strings.Replace(base()["users.csv"], ",role,", ",rolle,", 1)}, false,
			[]string{`users.csv:1: required column "role" is missing`}},
		{"column twice", files{"orgs.csv": strings.Replace(base()["orgs.csv"], ",identifier,", ",name,", 1)}, false,
			[]string{`orgs.csv:1: column "name" appears twice`}},
		{"empty file", files{"classes.csv": "\ufeff"}, false,
			[]string{"classes.csv:1: the file is empty: the header line is missing"}},
		{"duplicate sourcedId", appendTo("users.csv", strings.Replace(teacher, "t1,", "u1,", 1)), false,
			[]string{`users.csv:7: duplicate sourcedId "u1" (first on line 2)`}},
		{"required value empty", edit("users.csv", 2, "Ana,Garcia", ",Garcia"), false,
			[]string{"users.csv:2: givenName is required"}},
		{"unknown org", edit("users.csv", 2, ",s1,", ",s9,"), false,
			[]string{`users.csv:2: orgSourcedIds: unknown org "s9"`}},
		{"unknown parent org", edit("orgs.csv", 4, ",d1,", ",d9,"), false,
			[]string{`orgs.csv:4: parentSourcedId: unknown org "d9"`}},
		{"unknown agent", edit("users.csv", 6, ",u2,", ",u9,"), false,
			[]string{`users.csv:6: agentSourcedIds: unknown user "u9"`}},
		{"agent of the wrong kind", edit("users.csv", 2, ",g1,", ",t1,"), false,
			[]string{`users.csv:2: agentSourcedIds: "t1" is a staff member, not a parent, guardian or relative`}},
		{"guardian's agent not a student", edit("users.csv", 6, ",u2,", ",g1,"), false,
			[]string{`users.csv:6: agentSourcedIds: "g1" is a parent, guardian or relative, not a student`}},
		{"demographics of an unknown user", appendTo("demographics.csv", "u9,,,2015-01-01,male,,,,,,,"), false,
			[]string{`demographics.csv:5: sourcedId: unknown user "u9"`}},
		{"unknown class", edit("enrollments.csv", 2, ",c1,", ",c9,"), false,
			[]string{`enrollments.csv:2: classSourcedId: unknown class "c9"`}},
		{"enrollment of an unknown user", edit("enrollments.csv", 4, ",u2,", ",u9,"), false,
			[]string{`enrollments.csv:4: userSourcedId: unknown user "u9"`}},
		{"class at an unknown school", edit("classes.csv", 2, ",s1,", ",s9,"), false,
			[]string{`classes.csv:2: schoolSourcedId: unknown org "s9"`}},
		{"class at a district", edit("classes.csv", 2, ",s1,", ",d1,"), false,
			[]string{`classes.csv:2: schoolSourcedId: "d1" is a district org, not a school`}},
		{"unknown term", edit("classes.csv", 3, ",y1,", ",y9,"), false,
			[]string{`classes.csv:3: termSourcedIds: unknown academic session "y9"`}},
		{"invalid role", edit("users.csv", 4, ",teacher,", ",teachr,"), false,
			[]string{`users.csv:4: role: invalid value "teachr" (want administrator, aide, guardian, parent, proctor, relative, student or teacher)`}},
		{"invalid org type", edit("orgs.csv", 3, ",school,", ",campus,"), false,
			[]string{`orgs.csv:3: type: invalid value "campus" (want department, district, local, national, school or state)`}},
		{"invalid class type", edit("classes.csv", 2, ",homeroom,", ",lab,"), false,
			[]string{`classes.csv:2: classType: invalid value "lab" (want homeroom or scheduled)`}},
		{"invalid status", edit("users.csv", 3, "u2,,", "u2,deleted,"), false,
			[]string{`users.csv:3: status: invalid value "deleted" (want active or tobedeleted)`}},
		{"invalid grade", edit("users.csv", 3, ",10,", ",14,"), false,
			[]string{`users.csv:3: grades: invalid value "14" (want a CEDS grade: KG, 01 … 12, PK …)`}},
		{"invalid sex", edit("demographics.csv", 2, ",female,", ",woman,"), false,
			[]string{`demographics.csv:2: sex: invalid value "woman" (want male, female, other or unspecified)`}},
		{"invalid race flag", edit("demographics.csv", 2, ",true,false,true", ",true,false,maybe"), false,
			[]string{`demographics.csv:2: hispanicOrLatinoEthnicity: invalid value "maybe" (want true or false)`}},
		{"invalid extension flag", edit("users.csv", 2, "es-MX,,true,", "es-MX,,sometimes,"), false,
			[]string{`users.csv:2: metadata.englishLearner: invalid value "sometimes" (want true or false)`}},
		{"invalid manifest mode", edit("manifest.csv", 5, "bulk", "full"), false,
			[]string{`manifest.csv:5: file.users: invalid value "full" (want absent, bulk or delta)`}},
		{"invalid processing mode", appendTo("manifest.csv", "processingMode,sometimes"), false,
			[]string{`manifest.csv:11: processingMode: invalid value "sometimes" (want bulk or delta)`}},
		{"malformed school year", edit("academicSessions.csv", 2, ",,2026", ",,26/27"), false,
			[]string{`academicSessions.csv:2: schoolYear: malformed year "26/27" (want YYYY)`}},
		{"student's agent a student", edit("users.csv", 2, ",g1,04,", ",u2,04,"), false,
			[]string{`users.csv:2: agentSourcedIds: "u2" is a student, not a parent, guardian or relative`}},
		{"unknown time zone", edit("orgs.csv", 3, "America/Chicago", "Mars/Olympus"), false,
			[]string{`orgs.csv:3: metadata.timeZone: unknown time zone "Mars/Olympus" (want an IANA name such as America/Chicago)`}},
		{"malformed birth date", edit("demographics.csv", 2, "2016-03-04", "2016-02-30"), false,
			[]string{`demographics.csv:2: birthDate: malformed date "2016-02-30" (want YYYY-MM-DD)`}},
		{"malformed hire date", edit("users.csv", 4, "2019-08-15", "15/08/2019"), false,
			[]string{`users.csv:4: metadata.hireDate: malformed date "15/08/2019" (want YYYY-MM-DD)`}},
		{"malformed dateLastModified", edit("orgs.csv", 3, "2025-08-01T12:00:00.000Z", "yesterday"), false,
			[]string{`orgs.csv:3: dateLastModified: malformed date-time "yesterday" (want e.g. 2025-08-15T12:00:00.000Z)`}},
		{"malformed session date", edit("academicSessions.csv", 2, "2026-06-30", "2026-06"), false,
			[]string{`academicSessions.csv:2: endDate: malformed date "2026-06" (want YYYY-MM-DD)`}},
		{"row with an extra field", edit("users.csv", 3, ",false,,,", ",false,,,,"), false,
			[]string{"users.csv:3: the row has 28 fields; the header has 27"}},
		{"malformed CSV", edit("users.csv", 3, "Minh", `Mi"nh`), false,
			[]string{`users.csv:3: malformed CSV: bare " in non-quoted-field`}},
		{"not UTF-8", edit("users.csv", 2, "Garcia", "Garc\xeda"), false,
			[]string{"users.csv:2: the row is not UTF-8 text (save the file as CSV UTF-8)"}},
		{"two district orgs", appendTo("orgs.csv", "d2,,,Other District,district,other,,"), true,
			[]string{"orgs.csv:5: a second district org (the first is on line 2): name the district to import into with --district"}},
		{"district without a slug", edit("orgs.csv", 2, ",Maple Grove,", ",!!!,"), true,
			[]string{`orgs.csv:2: cannot make a district slug from "!!!": name the district with --district`}},
		{"unknown course", files{
			"manifest.csv": edit("manifest.csv", 10, "file.courses,absent", "file.courses,bulk")["manifest.csv"],
			"courses.csv":  lines("sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId", "k1,,,y1,Grade 4,G4,04,s1"),
			"classes.csv":  edit("classes.csv", 2, ",04,,HR4A,", ",04,k9,HR4A,")["classes.csv"],
		}, false,
			[]string{`classes.csv:2: courseSourcedId: unknown course "k9"`}},
		{"no district org", edit("orgs.csv", 2, ",district,", ",local,"), true,
			[]string{"orgs.csv:0: no org of type district: name the district to import into with --district"}},
		{"several at once, in file order", func() files {
			f := edit("users.csv", 4, ",teacher,", ",teachr,")
			f["enrollments.csv"] = edit("enrollments.csv", 2, ",c1,", ",c9,")["enrollments.csv"]
			f["users.csv"] = strings.Replace(f["users.csv"], ",s1,student,", ",s9,student,", 1)
			return f
		}(), false, []string{
			`users.csv:2: orgSourcedIds: unknown org "s9"`,
			`users.csv:4: role: invalid value "teachr" (want administrator, aide, guardian, parent, proctor, relative, student or teacher)`,
			`enrollments.csv:2: classSourcedId: unknown class "c9"`,
		}},
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				opt := roster.Options{DistrictSlug: slug(t)}
				if tc.noSlug {
					opt.DistrictSlug = ""
				}
				got := problems(t, s, base().with(tc.change), opt)
				if !slices.Equal(got, tc.problem) {
					t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.problem, "\n"))
				}
			})
		}
	})
}

// Warnings do not stop the import; the row comes in without the bad field.
func TestWarnings(t *testing.T) {
	f := base().with(files{"users.csv": lines(
		strings.Split(base()["users.csv"], "\n")[0],
		"u1,,,true,s1,student,u1,,Ana,Garcia,,,,,,g1,04,,Klingonese,,true,false,true,,,,",
		"u2,,,true,d1,student,u2,,Minh,Nguyen,,,,,,g1,10,,vi,,,,,,,,",
		"t1,,,true,s1,teacher,t1,,Rosa,Parks,,,,,,,,,,,,,,,,,",
		"g1,,,false,s1,parent,g1,,Maria,Garcia,,,,555-12,(617) 555-0101,\"u1,u2\",,,,es,,,,,,,",
		"x9,tobedeleted,,,,,,,,,,,,,,,,,,,,,,,,,",
	)})
	want := []string{
		`users.csv:2: warning: metadata.homeLanguage: unknown language code "Klingonese" (want a BCP 47 tag such as es, zh-Hans or ar); left empty`,
		`users.csv:3: warning: student "u2" belongs to no school (orgSourcedIds names none); imported without a school`,
		`users.csv:5: warning: sms: cannot read "555-12" as a phone number; imported without a phone`,
		`users.csv:6: warning: user "x9" is marked tobedeleted but is not in the district; ignored`,
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		res := mustImport(t, s, f, roster.Options{DistrictSlug: slug(t)})
		var got []string
		for _, w := range res.Warnings {
			got = append(got, w.String())
		}
		if !slices.Equal(got, want) {
			t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		u1, u2, g1 := person(t, s, res.DistrictID, "u1"), person(t, s, res.DistrictID, "u2"), person(t, s, res.DistrictID, "g1")
		if _, ok := u1.Attributes["home_language"]; ok || u1.PreferredLanguage != "" || u1.Attributes["english_learner"] != "yes" {
			t.Fatalf("u1 %+v", u1)
		}
		if u2.SchoolID != nil || g1.Phone != "" || g1.PreferredLanguage != "es" {
			t.Fatalf("u2 school %v, g1 phone %q", u2.SchoolID, g1.Phone)
		}
		hist, _ := roster.Imports(t.Context(), s, res.DistrictID, 1)
		if hist[0].WarningCount != 4 || hist[0].Warnings != strings.Join(want, "\n") {
			t.Fatalf("recorded warnings %d %q", hist[0].WarningCount, hist[0].Warnings)
		}
		// The history row keeps its warnings for the page to word (#16 line 6), read back from
		// the row as they were.
		kept, ok := roster.ImportProblems(hist[0])
		if !ok || kept.WarningTotal != 4 || len(kept.Warnings) != 4 || kept.Reason != nil || len(kept.Problems) != 0 {
			t.Fatalf("kept warnings %+v, %v", kept, ok)
		}
		for i, w := range kept.Warnings {
			if w.String() != want[i] || !w.Warning || w.ID == "" {
				t.Fatalf("kept warning %d: %+v", i, w)
			}
		}
		if w := kept.Warnings[2]; w.ID != "roster_problem.phone" || w.Data["Value"] != `"555-12"` || w.Data["Column"] != "sms" {
			t.Fatalf("kept phone warning %+v", w)
		}
		worded(t, kept.Warnings)
	})
}

// Each other warning, in an import that goes through.
func TestMoreWarnings(t *testing.T) {
	cases := []struct {
		name   string
		change files
		want   []string
	}{
		{"newer OneRoster version", edit("manifest.csv", 3, "1.1", "1.2"),
			[]string{`manifest.csv:3: warning: oneroster.version is "1.2"; the files are read as OneRoster 1.1`}},
		{"birth date in the future", edit("demographics.csv", 2, "2016-03-04", "2099-03-04"),
			[]string{"demographics.csv:2: warning: birthDate 2099-03-04 is in the future; imported without an age band"}},
		{"staff member at no school", edit("users.csv", 4, ",s1,teacher,", ",d1,teacher,"),
			[]string{`users.csv:4: warning: staff member "t1" belongs to no school (orgSourcedIds names none); imported without a school`}},
		{"deleted user never imported", appendTo("users.csv", "x9,tobedeleted,,,,,,,,,,,,,,,,,,,,,,,,,"),
			[]string{`users.csv:7: warning: user "x9" is marked tobedeleted but is not in the district; ignored`}},
	}
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := mustImport(t, s, base().with(tc.change), roster.Options{DistrictSlug: slug(t)})
				var got []string
				for _, w := range res.Warnings {
					got = append(got, w.String())
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
			})
		}
	})
}

func TestReportCapsAtMax(t *testing.T) {
	var ps []roster.Problem
	for i := range 157 {
		ps = append(ps, roster.Problem{File: "users.csv", Line: i + 2, Msg: "givenName is required"})
	}
	got := roster.Report(ps, roster.MaxListed, "problems")
	if len(got) != 101 || got[0] != "users.csv:2: givenName is required" || got[99] != "users.csv:101: givenName is required" || got[100] != "… and 57 more problems" {
		t.Fatalf("report: %d lines, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	if got := roster.Report(ps[:3], roster.MaxListed, "problems"); len(got) != 3 {
		t.Fatalf("short report %q", got)
	}
}
