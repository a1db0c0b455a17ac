package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/scoring"
)

// scoreCSV returns a valid answer file: n persons × items q1..q<items>, K = 4,
// with some blanks, deterministic.
func scoreCSV(n, items int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("id")
	for i := 1; i <= items; i++ {
		fmt.Fprintf(&b, ",q%d", i)
	}
	b.WriteString("\n")
	for p := 1; p <= n; p++ {
		fmt.Fprintf(&b, "s%03d", p)
		theta := rng.NormFloat64()
		for i := 0; i < items; i++ {
			b.WriteByte(',')
			if rng.Float64() < 0.1 {
				continue
			}
			x := math.Round(1.5 + theta + 0.8*rng.NormFloat64() - 0.2*float64(i))
			fmt.Fprint(&b, int(math.Max(0, math.Min(3, x))))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runScoreCmd runs `score args…` in-process and returns the exit code Run
// would use, stdout, and the error text.
func runScoreCmd(t *testing.T, args ...string) (code int, stdout, msg string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	err := runScore(context.Background(), env, args)
	if err == nil {
		return 0, out.String(), ""
	}
	var exit *ExitError
	if !errors.As(err, &exit) {
		return 1, out.String(), err.Error()
	}
	if exit.Err != nil {
		msg = exit.Err.Error()
	}
	return exit.Code, out.String(), msg
}

func TestScoreCalibrate(t *testing.T) {
	data := writeTemp(t, "answers.csv", scoreCSV(200, 5))
	code, out, msg := runScoreCmd(t, "calibrate", "--csv", data, "--categories", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var got struct {
		NPersons int `json:"n_persons"`
		Items    []struct {
			ID                          string
			Location, SE, Infit, Outfit float64
		} `json:"items"`
		Thresholds        []float64 `json:"thresholds"`
		Alpha             *float64  `json:"alpha"`
		PersonReliability *float64  `json:"person_reliability"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if got.NPersons != 200 || len(got.Items) != 5 || len(got.Thresholds) != 3 || got.Alpha == nil || got.PersonReliability == nil {
		t.Fatalf("unexpected calibration:\n%s", out)
	}
	sum, tsum := 0.0, 0.0
	for i, it := range got.Items {
		if it.ID != fmt.Sprintf("q%d", i+1) {
			t.Errorf("item %d is %q: items must keep the CSV's column order", i, it.ID)
		}
		if !(it.SE > 0 && it.Infit > 0 && it.Outfit > 0) {
			t.Errorf("item %s: %+v", it.ID, it)
		}
		sum += it.Location
	}
	for _, v := range got.Thresholds {
		tsum += v
	}
	if math.Abs(sum) > 1e-9 || math.Abs(tsum) > 1e-9 {
		t.Errorf("locations sum to %g, thresholds to %g", sum, tsum)
	}

	// --out writes the same JSON to a file and nothing to stdout.
	outPath := filepath.Join(t.TempDir(), "params.json")
	code, out2, msg := runScoreCmd(t, "calibrate", "--csv", data, "--categories", "4", "--out", outPath)
	if code != 0 || out2 != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, out2, msg)
	}
	if b, _ := os.ReadFile(outPath); string(b) != out {
		t.Fatalf("--out file differs from stdout output")
	}
}

func TestScorePersons(t *testing.T) {
	data := writeTemp(t, "answers.csv", scoreCSV(200, 5))
	params := filepath.Join(t.TempDir(), "params.json")
	if code, _, msg := runScoreCmd(t, "calibrate", "--csv", data, "--categories", "4", "--out", params); code != 0 {
		t.Fatal(msg)
	}
	// Columns in another order and one item left out; an id with a comma;
	// a person with no answers.
	in := writeTemp(t, "wave2.csv", "id,q3,q1,q2,q4\n\"Lee, A\",3,3,3,3\nb,0,0,0,0\nc,,,,\nd,2,,1,\n")
	code, out, msg := runScoreCmd(t, "persons", "--csv", in, "--params", params)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "id,raw,n_answered,wle,se" || len(recs) != 5 {
		t.Fatalf("output:\n%s", out)
	}
	ids := []string{"Lee, A", "b", "c", "d"}
	for n, id := range ids {
		if recs[n+1][0] != id {
			t.Errorf("row %d id %q, want %q (input order)", n+1, recs[n+1][0], id)
		}
	}
	if got := strings.Join(recs[3], ","); got != "c,0,0,," {
		t.Errorf("person without answers: %q, want empty measure", got)
	}
	if recs[1][1] != "12" || recs[1][2] != "4" || recs[4][1] != "3" || recs[4][2] != "2" {
		t.Errorf("raw/n_answered wrong:\n%s", out)
	}
	// The CLI must give exactly what the package gives for the same answers.
	b, _ := os.ReadFile(params)
	var cal scoring.Calibration
	if err := json.Unmarshal(b, &cal); err != nil {
		t.Fatal(err)
	}
	M := scoring.Missing
	pm, _ := cal.Person([]int8{M, 1, 2, M, M})
	if want := fmt.Sprintf("d,3,2,%.6f,%.6f", pm.WLE, pm.SE); strings.Join(recs[4], ",") != want {
		t.Errorf("got %q, want %q", strings.Join(recs[4], ","), want)
	}
	low, _ := strconvFloat(recs[2][3])
	high, _ := strconvFloat(recs[1][3])
	if !(low < -2 && high > 2) {
		t.Errorf("extreme patterns must get finite, far-apart measures: %v %v", low, high)
	}
}

func strconvFloat(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}

// Every kind of bad input exits 1 with the file, the line (or item) and the problem.
func TestScoreBadInput(t *testing.T) {
	good := scoreCSV(40, 4)
	lines := strings.SplitAfter(good, "\n")
	edit := func(line int, from, to string) string {
		l := append([]string(nil), lines...)
		l[line-1] = strings.Replace(l[line-1], from, to, 1)
		return strings.Join(l, "")
	}
	column := func(col int, value string) string {
		l := append([]string(nil), lines...)
		for i := 1; i < len(l)-1; i++ {
			f := strings.Split(strings.TrimSuffix(l[i], "\n"), ",")
			f[col] = value
			l[i] = strings.Join(f, ",") + "\n"
		}
		return strings.Join(l, "")
	}
	// Find a cell on line 12 to break.
	f12 := strings.Split(strings.TrimSuffix(lines[11], "\n"), ",")
	cellLine12 := func(v string) string {
		f := append([]string(nil), f12...)
		f[3] = v
		return edit(12, lines[11], strings.Join(f, ",")+"\n")
	}
	tests := []struct {
		name, content, want string
	}{
		{"not a number", cellLine12("x"), `scores.csv line 12: item q3: "x" is not a number`},
		{"outside the scale", cellLine12("4"), `scores.csv line 12: item q3: 4 is outside 0..3`},
		{"not whole", cellLine12("2.5"), `scores.csv line 12: item q3: "2.5" is not a whole number 0..3`},
		{"ragged row", edit(7, "\n", ",1\n"), `scores.csv line 7: 6 fields, but the header has 5`},
		{"too few persons", strings.Join(lines[:30], ""), `scores.csv: 29 respondents answered at least one item; calibration needs at least 30`},
		{"nobody answered an item", column(2, ""), `scores.csv: item q2: nobody answered it`},
		{"item without variance", column(4, "2"), `scores.csv: item q4: no variance: all 40 answers are 2`},
		{"bad header", "person,q1\n", `scores.csv line 1: the first column must be "id", found "person"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "scores.csv")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, msg := runScoreCmd(t, "calibrate", "--csv", p, "--categories", "4")
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, message %q; want exit 1", code, out, msg)
			}
			if want := strings.ReplaceAll(tt.want, "scores.csv", p); msg != want {
				t.Fatalf("message\n got %s\nwant %s", msg, want)
			}
		})
	}
	// The unedited file calibrates, so each failure above is the edit's doing.
	if code, _, msg := runScoreCmd(t, "calibrate", "--csv", writeTemp(t, "ok.csv", good), "--categories", "4"); code != 0 {
		t.Fatalf("good file: exit %d: %s", code, msg)
	}
}

func TestScorePersonsBadInput(t *testing.T) {
	params := writeTemp(t, "params.json", `{"categories": 4, "items": [{"id": "q1", "location": -0.5}, {"id": "q2", "location": 0.5}], "thresholds": [-1, 0, 1]}`)
	tests := []struct {
		name, csv, params, want string
	}{
		{"unknown column", "id,q1,q9\na,1,2\n", params, `answers.csv line 1: item q9: not in the calibration ` + params},
		{"bad cell", "id,q1,q2\na,1,2\nb,1,7\n", params, `answers.csv line 3: item q2: 7 is outside 0..3`},
		{"wrong threshold count", "id,q1\na,1\n", writeTemp(t, "p2.json", `{"categories": 4, "items": [{"id": "q1"}], "thresholds": [0]}`), `4 categories need 3 thresholds, found 1`},
		{"not JSON", "id,q1\na,1\n", writeTemp(t, "p3.json", `n_persons: 3`), `not a calibration file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "answers.csv")
			if err := os.WriteFile(p, []byte(tt.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, msg := runScoreCmd(t, "persons", "--csv", p, "--params", tt.params)
			want := strings.ReplaceAll(tt.want, "answers.csv", p)
			if code != 1 || !strings.Contains(msg, want) {
				t.Fatalf("exit %d, message %q; want exit 1 and %q", code, msg, want)
			}
		})
	}
}

func TestScoreUsage(t *testing.T) {
	data := writeTemp(t, "a.csv", scoreCSV(40, 3))
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", nil, 2},
		{"unknown subcommand", []string{"frob"}, 2},
		{"calibrate without --csv", []string{"calibrate", "--categories", "4"}, 2},
		{"calibrate without --categories", []string{"calibrate", "--csv", data}, 2},
		{"categories 1", []string{"calibrate", "--csv", data, "--categories", "1"}, 2},
		{"unknown flag", []string{"calibrate", "--csv", data, "--categories", "4", "--bogus"}, 2},
		{"stray argument", []string{"calibrate", "--csv", data, "--categories", "4", "extra"}, 2},
		{"persons without --params", []string{"persons", "--csv", data}, 2},
		{"help", []string{"calibrate", "-h"}, 0},
		{"missing file", []string{"calibrate", "--csv", filepath.Join(t.TempDir(), "nope.csv"), "--categories", "4"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, msg := runScoreCmd(t, tt.args...); code != tt.code {
				t.Fatalf("exit %d (%s), want %d", code, msg, tt.code)
			}
		})
	}
}
