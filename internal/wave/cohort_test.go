package wave_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// people builds a roster from "grade/gender" style rows, n copies each.
func people(keys []string, rows map[string]int) []map[string]string {
	var out []map[string]string
	for row, n := range rows {
		vals := strings.Split(row, "/")
		for range n {
			p := map[string]string{}
			for i, k := range keys {
				if i < len(vals) && vals[i] != "" {
					p[k] = vals[i]
				}
			}
			out = append(out, p)
		}
	}
	return out
}

func TestCohortScheme(t *testing.T) {
	keys := []string{"grade", "gender", "race"}
	for _, c := range []struct {
		name string
		rows map[string]int
		k    int
		want map[string][]string
	}{
		{"everything common: kept as is",
			map[string]int{"07/f/a": 5, "07/m/a": 5, "08/f/b": 5, "08/m/b": 5}, 5,
			map[string][]string{"grade": {"07", "08"}, "gender": {"f", "m"}, "race": {"a", "b"}}},
		{"a rare value becomes other, and other is folded up to k with the least common value",
			// race c has 2 people: other would hold 2 < 5, so b (5) joins it.
			// Then grade × gender × race leaves 08/m/other with 2, and dropping gender fixes it.
			map[string]int{"07/f/a": 10, "07/m/a": 10, "08/f/b": 5, "08/m/c": 2}, 5,
			map[string][]string{"grade": {"07", "08"}, "race": {"a"}}},
		{"rare values become other when other reaches k on its own",
			map[string]int{"07/f/a": 10, "07/m/a": 10, "07/f/b": 3, "07/f/c": 3}, 5,
			map[string][]string{"grade": {"07"}, "gender": {"f", "m"}, "race": {"a"}}},
		{"the least useful attribute that helps is dropped first",
			// Dropping race or gender both fix 07/f/other and 07/m/other (3 each): race, listed last, goes.
			map[string]int{"07/f/a": 10, "07/m/a": 10, "07/f/b": 3, "07/m/c": 3}, 5,
			map[string][]string{"grade": {"07"}, "gender": {"f", "m"}}},
		{"the most useful attribute stays even when dropping it would expose fewer",
			// Dropping grade alone would fix everything; grade is listed first, so race and then
			// gender go instead.
			map[string]int{"07/f/a": 5, "07/m/a": 5, "08/f/a": 5, "08/m/b": 3, "07/m/b": 3}, 5,
			map[string][]string{"grade": {"07", "08"}}},
		{"a combination below k drops an attribute that makes it fit",
			// grade × gender alone is fine; adding race makes 08/m/b unique-ish.
			map[string]int{"07/f/a": 6, "07/m/a": 6, "08/f/b": 6, "08/m/a": 3, "08/m/b": 3}, 5,
			map[string][]string{"grade": {"07", "08"}, "gender": {"f", "m"}}},
		{"missing values are a value like any other",
			map[string]int{"07//a": 5, "07/f/a": 5, "07/m/a": 5}, 5,
			map[string][]string{"grade": {"07"}, "gender": {"", "f", "m"}, "race": {"a"}}},
		{"a school smaller than k keeps nothing",
			map[string]int{"07/f/a": 2, "07/m/a": 1}, 5,
			map[string][]string{}},
		{"k = 1 keeps everything",
			map[string]int{"07/f/a": 1, "08/m/b": 1}, 1,
			map[string][]string{"grade": {"07", "08"}, "gender": {"f", "m"}, "race": {"a", "b"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			roster := people(keys, c.rows)
			got := wave.CohortScheme(keys, roster, c.k)
			if !reflect.DeepEqual(got.Keep, c.want) {
				t.Fatalf("scheme %v, want %v", got.Keep, c.want)
			}
			// Whatever it keeps, every coarsened combination is shared by k people.
			size := map[string]int{}
			for _, p := range roster {
				size[fmt.Sprint(got.Apply(p))]++
			}
			for combo, n := range size {
				if n < c.k && len(roster) >= c.k {
					t.Fatalf("combination %s shared by %d < %d", combo, n, c.k)
				}
			}
			// Pure: the same roster in another order gives the same scheme.
			rev := append([]map[string]string(nil), roster...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			if again := wave.CohortScheme(keys, rev, c.k); !reflect.DeepEqual(again, got) {
				t.Fatalf("reordered roster gave %v, first %v", again.Keep, got.Keep)
			}
		})
	}
}

func TestSchemeApply(t *testing.T) {
	sc := wave.Scheme{Keep: map[string][]string{"grade": {"07", "08"}, "gender": {"", "f", "m"}}}
	for _, c := range []struct {
		in, want map[string]string
	}{
		{map[string]string{"grade": "07", "gender": "f", "race": "a"}, map[string]string{"grade": "07", "gender": "f"}},
		{map[string]string{"grade": "12", "gender": "x"}, map[string]string{"grade": wave.Other, "gender": wave.Other}},
		{map[string]string{"grade": "08"}, map[string]string{"grade": "08"}}, // "" is kept: stays unrecorded
	} {
		if got := sc.Apply(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Apply(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestYoungestGrade(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"03", "KG"}, "KG"}, // text order would say "03"
		{[]string{"10", "9"}, "9"},
		{[]string{"05", "PK", "KG"}, "PK"},
		{[]string{"IT", "PR"}, "IT"},
		{[]string{"12", "PS"}, "12"},
		{[]string{"UG", "11"}, "11"}, // ungraded sorts after every grade
		{[]string{"", "07"}, "07"},
		{nil, ""},
	} {
		if got := wave.YoungestGrade(c.in); got != c.want {
			t.Errorf("YoungestGrade(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNewCodeHasNoModuloBias: every byte value 0..255 fed once draws each of the 31 characters
// exactly 8 times: bytes 248..255, which a plain % 31 would map onto the first 8 characters, are
// drawn again.
func TestNewCodeHasNoModuloBias(t *testing.T) {
	var all []byte
	for range 10 {
		for v := range 256 {
			all = append(all, byte(v))
		}
	}
	r := bytes.NewReader(all)
	counts := map[rune]int{}
	for range 248 {
		code, err := wave.NewCodeFrom(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range code {
			counts[ch]++
		}
	}
	if len(counts) != 31 {
		t.Fatalf("%d distinct characters, want 31", len(counts))
	}
	for ch, n := range counts {
		if n != 80 {
			t.Fatalf("character %c drawn %d times, want 80 (each exactly 8 per 248 accepted bytes)", ch, n)
		}
	}
	// Only rejected bytes: it keeps drawing, and reports a reader that runs dry.
	if _, err := wave.NewCodeFrom(bytes.NewReader(bytes.Repeat([]byte{255}, 64))); err == nil {
		t.Fatal("a reader of only rejected bytes gave a code")
	}
	if c := wave.NewCode(); len(c) != 10 || strings.Trim(c, "ABCDEFGHJKMNPQRSTUVWXYZ23456789") != "" {
		t.Fatalf("NewCode() = %q", c)
	}
}

// TestYoungestChildGradeByGradeOrder: a family with a child in KG and one in 03 at the same school
// is reported under KG, in ChildGrades (invited counts) and in the stored snapshot alike. Text order
// ('03' < 'KG') chose grade 03.
func TestYoungestChildGradeByGradeOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.svc.CohortK = 1 // one family: nothing to coarsen against here
		kg := w.person(t, store.KindStudent, "KG", w.schools[0], nil)
		third := w.person(t, store.KindStudent, "03", w.schools[0], nil)
		g := w.person(t, store.KindGuardian, "", 0, func(p *store.Person) { p.Phone = "" })
		for _, c := range []int64{kg, third} {
			must(t, st.DB.Create(&store.GuardianLink{DistrictID: w.district, GuardianID: g, StudentID: c}).Error)
		}
		fw := w.wave(t, "family-pulse", store.ModeAnonymous, []string{"link"})
		issued, err := w.svc.Invite(ctx, w.district, fw.ID)
		must(t, err)
		grades, err := wave.ChildGrades(st.DB, w.district, fw.ID)
		must(t, err)
		if got := grades[[2]int64{g, w.schools[0]}]; got != "KG" {
			t.Fatalf("ChildGrades = %q, want KG", got)
		}
		if len(issued) != 1 {
			t.Fatalf("issued %+v", issued)
		}
		sess, err := w.svc.ByToken(ctx, issued[0].Token)
		must(t, err)
		must(t, answerAll(ctx, w.svc, sess, '2', "en"))
		var r store.Response
		must(t, st.DB.Where("wave_id = ?", fw.ID).Take(&r).Error)
		if r.Subgroups["child_grade"] != "KG" {
			t.Fatalf("stored snapshot %v, want child_grade KG", r.Subgroups)
		}
	})
}
