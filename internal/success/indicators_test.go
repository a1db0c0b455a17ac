package success

import (
	"errors"
	"strings"
	"testing"
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
