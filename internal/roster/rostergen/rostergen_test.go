package rostergen

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func TestSameSeedSameBytes(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := Write(a, Demo(2026)); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(b, Demo(2026)); err != nil {
		t.Fatal(err)
	}
	other := Demo(2026)
	other.Seed++
	if _, err := Write(c, other); err != nil {
		t.Fatal(err)
	}
	fa, fb, fc := readAll(t, a), readAll(t, b), readAll(t, c)
	if len(fa) != 8 {
		t.Fatalf("%d files", len(fa))
	}
	for name := range fa {
		if !bytes.Equal(fa[name], fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if bytes.Equal(fa["users.csv"], fc["users.csv"]) {
		t.Error("another seed gave the same users")
	}
}

// rows reads a generated file as header → column index and rows.
func rows(t *testing.T, dir, name string) (map[string]int, [][]string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]int{}
	for i, h := range all[0] {
		cols[h] = i
	}
	return cols, all[1:]
}

// The demo district has the size and the subgroup mix the product's demo relies on.
func TestDemoDistrictShape(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(dir, Demo(2026))
	if err != nil {
		t.Fatal(err)
	}
	if st.Schools != 2 || st.Students < 600 || st.Staff != 60 || st.Guardians != 500 {
		t.Fatalf("stats %+v", st)
	}
	cols, users := rows(t, dir, "users.csv")
	count := map[string]int{}
	grades := map[string]int{}
	langs := map[string]int{}
	var el, dis, low, students int
	guardiansOf := map[string]int{}
	kidsOf := map[string]int{}
	depts := map[string]bool{}
	for _, u := range users {
		role := u[cols["role"]]
		count[role]++
		switch role {
		case "student":
			students++
			grades[u[cols["grades"]]]++
			langs[u[cols["metadata.homeLanguage"]]]++
			if u[cols["metadata.englishLearner"]] == "true" {
				el++
			}
			if u[cols["metadata.disability"]] == "true" {
				dis++
			}
			if u[cols["metadata.lowIncome"]] == "true" {
				low++
			}
			guardiansOf[u[cols["sourcedId"]]] = len(strings.Split(u[cols["agentSourcedIds"]], ","))
		case "parent", "guardian", "relative":
			kidsOf[u[cols["sourcedId"]]] = len(strings.Split(u[cols["agentSourcedIds"]], ","))
			phone := u[cols["sms"]]
			if phone == "" {
				phone = u[cols["phone"]]
			}
			if phone != "" {
				n, err := phonenumbers.Parse(phone, "US")
				if err != nil || !phonenumbers.IsValidNumber(n) || !strings.Contains(phonenumbers.Format(n, phonenumbers.E164), "55501") {
					t.Errorf("guardian phone %q does not normalize to a 555-01xx number", phone)
				}
			}
		default:
			depts[u[cols["metadata.department"]]] = true
		}
	}
	for _, role := range []string{"teacher", "administrator", "aide", "parent", "guardian"} {
		if count[role] == 0 {
			t.Errorf("no %s", role)
		}
	}
	for g := 3; g <= 12; g++ {
		if code := gradeCode(g); grades[code] < 50 {
			t.Errorf("grade %s has %d students", code, grades[code])
		}
	}
	for _, l := range []string{"en", "es", "zh-Hans", "vi", "ar", "ht", "pt", "so"} {
		if langs[l] == 0 {
			t.Errorf("no student speaks %s at home", l)
		}
	}
	share := func(n int) float64 { return float64(n) / float64(students) }
	for _, c := range []struct {
		name     string
		got      float64
		low, max float64
	}{{"English learners", share(el), 0.10, 0.20}, {"IEP/504", share(dis), 0.10, 0.18}, {"low income", share(low), 0.38, 0.52}} {
		if c.got < c.low || c.got > c.max {
			t.Errorf("%s: %.2f, want %.2f–%.2f", c.name, c.got, c.low, c.max)
		}
	}
	one, two, several := 0, 0, 0
	for _, n := range guardiansOf {
		switch {
		case n == 1:
			one++
		case n == 2:
			two++
		}
	}
	for _, n := range kidsOf {
		if n > 1 {
			several++
		}
	}
	if one+two < students*9/10 || two == 0 || several == 0 {
		t.Errorf("guardians per student: 1: %d, 2: %d of %d; guardians with several children: %d", one, two, students, several)
	}
	if len(depts) < 5 {
		t.Errorf("departments %v", depts)
	}
	dcols, demo := rows(t, dir, "demographics.csv")
	sexes := map[string]int{}
	two_or_more := 0
	for _, d := range demo {
		sexes[d[dcols["sex"]]]++
		if d[dcols["demographicRaceTwoOrMoreRaces"]] == "true" && d[dcols["hispanicOrLatinoEthnicity"]] == "false" {
			two_or_more++
		}
	}
	if sexes["other"] == 0 || sexes["female"] < 250 || sexes["male"] < 250 || two_or_more < 15 {
		t.Errorf("sexes %v, two or more races %d", sexes, two_or_more)
	}
	ccols, classes := rows(t, dir, "classes.csv")
	homerooms := map[[2]string]bool{}
	for _, c := range classes {
		if c[ccols["classType"]] == "homeroom" {
			homerooms[[2]string{c[ccols["schoolSourcedId"]], c[ccols["grades"]]}] = true
		}
	}
	if len(homerooms) != 10 {
		t.Errorf("homerooms cover %d school grades, want 10", len(homerooms))
	}
}

func TestSchoolYearOf(t *testing.T) {
	for in, want := range map[string]int{"2026-06-30": 2026, "2026-07-01": 2027, "2027-01-10": 2027} {
		d, _ := time.Parse(time.DateOnly, in)
		if got := SchoolYearOf(d); got != want {
			t.Errorf("SchoolYearOf(%s) = %d, want %d", in, got, want)
		}
	}
}

func TestLargeLayout(t *testing.T) {
	schools := layout(100000)
	var levels []string
	for _, s := range schools {
		if !slices.Contains(levels, s.Name[strings.LastIndex(strings.TrimSuffix(s.Name, " School"), " ")+1:]) {
			levels = append(levels, s.Name[strings.LastIndex(strings.TrimSuffix(s.Name, " School"), " ")+1:])
		}
	}
	if len(schools) < 100 || len(levels) != 3 {
		t.Fatalf("%d schools, levels %v", len(schools), levels)
	}
}
