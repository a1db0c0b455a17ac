package success

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
)

func TestParseIndicators(t *testing.T) {
	good := "\ufeffStudent_Sourced_ID,attendance_rate,chronically_absent,courses_failing,behavior_incidents\n" +
		"s1,95.5,,0,\n\n" +
		"s2,88%,no,1,2\n" +
		"s3,97,yes,0,0\n"
	rows, err := ParseIndicators("q1.csv", strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Chronic || rows[0].Incidents != nil || rows[1].AttendanceRate != 88 || rows[1].Chronic || !rows[2].Chronic ||
		rows[1].CoursesFailing != 1 || *rows[1].Incidents != 2 || rows[1].Line != 4 {
		t.Fatalf("rows: %+v", rows)
	}
	// Without the column, chronic absence is attendance below 90%.
	rows, err = ParseIndicators("q1.csv", strings.NewReader("student_sourced_id,attendance_rate,courses_failing\na,89.9,0\nb,90,0\n"))
	if err != nil || !rows[0].Chronic || rows[1].Chronic {
		t.Fatalf("derived chronic absence: %+v %v", rows, err)
	}
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "q1.csv:1: the file is empty"},
		{"missing column", "student_sourced_id,attendance_rate\n", `q1.csv:1: missing column "courses_failing"`},
		{"unknown column", "student_sourced_id,attendance_rate,courses_failing,gpa\n", `q1.csv:1: unknown column "gpa"`},
		{"no rows", "student_sourced_id,attendance_rate,courses_failing\n", "q1.csv:2: no student rows"},
		{"rate", "student_sourced_id,attendance_rate,courses_failing\ns1,ninety,0\n", `q1.csv:2: attendance_rate "ninety" is not a number`},
		{"rate range", "student_sourced_id,attendance_rate,courses_failing\ns1,101,0\n", "q1.csv:2: attendance_rate 101 is not between 0 and 100"},
		{"failing", "student_sourced_id,attendance_rate,courses_failing\ns1,95,-1\n", `q1.csv:2: courses_failing "-1"`},
		{"yes/no", "student_sourced_id,attendance_rate,chronically_absent,courses_failing\ns1,95,maybe,0\n", `q1.csv:2: chronically_absent "maybe": write yes or no`},
		{"duplicate", "student_sourced_id,attendance_rate,courses_failing\ns1,95,0\ns1,96,0\n", `q1.csv:3: student "s1" is also on line 2`},
		{"empty id", "student_sourced_id,attendance_rate,courses_failing\n,95,0\n", "q1.csv:2: student_sourced_id is empty"},
		{"bad quote", "student_sourced_id,attendance_rate,courses_failing\n\"s1,95,0\n", "q1.csv:2: not valid CSV"},
		{"not utf-8", "student_sourced_id,attendance_rate,courses_failing\n\xff,95,0\n", "q1.csv:1: the file is not UTF-8"},
	} {
		_, err := ParseIndicators("q1.csv", strings.NewReader(c.in))
		var ie *ImportError
		if !errors.As(err, &ie) || len(ie.Problems) == 0 || !strings.HasPrefix(ie.Problems[0].String(), c.want) {
			t.Errorf("%s: %v (%+v), want %q", c.name, err, ie, c.want)
		}
	}
	// Many bad rows: at most 50 listed, all counted... up to the stop.
	var b strings.Builder
	b.WriteString("student_sourced_id,attendance_rate,courses_failing\n")
	for range 200 {
		b.WriteString("x,bad,0\n")
	}
	_, err = ParseIndicators("q1.csv", strings.NewReader(b.String()))
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != maxProblems || ie.Total <= maxProblems {
		t.Fatalf("many problems: %v", err)
	}
}

// TestIndicatorProblemsWorded (#16 line 6): every problem an indicators file can have carries a
// message of locales/dashboard-indicators-problems.en.toml that renders there exactly as the
// problem's English sentence (what the CLI and the page said before), and so does the error's
// summary. The roster check, which needs the database, is rendered in TestIndicatorsImportAndStudents.
func TestIndicatorProblemsWorded(t *testing.T) {
	const file = "dashboard-indicators-problems.en.toml"
	const head = "student_sourced_id,attendance_rate,courses_failing\n"
	var rs []*refusal.Error
	problems := func(in string, want ...string) {
		t.Helper()
		_, err := ParseIndicators("q1.csv", strings.NewReader(in))
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("%q: %v, want an ImportError", in, err)
		}
		var got []string
		for _, p := range ie.Problems {
			got = append(got, p.String())
			rs = append(rs, p.Why)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%q: problems\n%s\nwant\n%s", in, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if ie.Error() != ie.Refusal().Msg {
			t.Errorf("%q: error %q, summary %q", in, ie.Error(), ie.Refusal().Msg)
		}
		rs = append(rs, ie.Refusal())
	}
	problems(strings.Repeat("x", IndicatorsMaxBytes+1), "q1.csv:1: the file is larger than 32 MB; split it by school")
	problems(head+"\xff,95,0\n", "q1.csv:1: the file is not UTF-8 text; save it as CSV UTF-8")
	problems("", "q1.csv:1: the file is empty; the first line must name the columns: student_sourced_id,attendance_rate,chronically_absent,courses_failing")
	problems("student_sourced_id,attendance\"_rate\n", `q1.csv:1: not valid CSV: bare " in non-quoted-field`)
	problems("student_sourced_id,attendance_rate,courses_failing,courses_failing,gpa\n",
		`q1.csv:1: column "courses_failing" appears twice`,
		`q1.csv:1: unknown column "gpa"; the columns are student_sourced_id, attendance_rate, chronically_absent, courses_failing, behavior_incidents`)
	problems("student_sourced_id,attendance_rate\n", `q1.csv:1: missing column "courses_failing"`)
	problems(head, "q1.csv:2: no student rows after the header")
	problems("student_sourced_id,attendance_rate,chronically_absent,courses_failing,behavior_incidents\n"+
		",ninety,maybe,x,-1\n"+
		"s1,101,no,21,1001\n"+
		"s1,95,no,0,\n"+
		"\"s2\"x,95,0\n",
		"q1.csv:2: student_sourced_id is empty",
		`q1.csv:2: attendance_rate "ninety" is not a number; give the percent of days attended, e.g. 93.5`,
		`q1.csv:2: chronically_absent "maybe": write yes or no`,
		`q1.csv:2: courses_failing "x": give a whole number from 0 to 20`,
		`q1.csv:2: behavior_incidents "-1": give a whole number from 0 to 1000, or leave it empty`,
		"q1.csv:3: attendance_rate 101 is not between 0 and 100",
		`q1.csv:3: courses_failing "21": give a whole number from 0 to 20`,
		`q1.csv:3: behavior_incidents "1001": give a whole number from 0 to 1000, or leave it empty`,
		`q1.csv:4: student "s1" is also on line 3; give each student one row`,
		`q1.csv:5: not valid CSV: extraneous or missing " in quoted-field`)
	var b strings.Builder
	b.WriteString(head)
	for i := range IndicatorsMaxRows + 1 {
		fmt.Fprintf(&b, "s%07d,95,0\n", i)
	}
	problems(b.String(), "q1.csv:500002: more than 500000 rows; split the file by school")
	// A CSV error the reader has no name for keeps its English words.
	rs = append(rs, csvProblem(errors.New("unexpected end")), (&ImportError{Total: 1}).Refusal())
	if r := rs[len(rs)-2]; r.Msg != "not valid CSV: unexpected end" {
		t.Errorf("other CSV error: %q", r.Msg)
	}
	ids := refusaltest.Rendered(t, file, rs...)
	// The roster's refusal is rendered with the database; the page words the file and line.
	refusaltest.AllUsed(t, file, ids, []string{"refusal.indicators.not_in_roster", "indicators_problems.at"})
}

func FuzzParseIndicators(f *testing.F) {
	f.Add("student_sourced_id,attendance_rate,courses_failing\ns1,95,0\n")
	f.Add("student_sourced_id,attendance_rate,chronically_absent,courses_failing,behavior_incidents\ns1,\"95\",yes,1,\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ParseIndicators("f.csv", strings.NewReader(in))
		if err == nil && len(rows) == 0 {
			t.Fatal("no error and no rows")
		}
		for _, r := range rows {
			if r.SourcedID == "" || r.AttendanceRate < 0 || r.AttendanceRate > 100 || r.CoursesFailing < 0 {
				t.Fatalf("bad row accepted: %+v", r)
			}
		}
	})
}
