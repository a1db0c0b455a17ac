package success

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
)

func TestLow(t *testing.T) {
	for _, c := range []struct {
		answer  byte
		points  int
		reverse bool
		want    bool
	}{
		{'0', 4, false, true}, {'1', 4, false, true}, {'2', 4, false, false}, {'3', 4, false, false},
		{'3', 4, true, true}, {'0', 4, true, false},
		{'.', 4, false, false}, {'4', 4, false, false}, {'1', 5, false, true}, {'2', 5, false, false},
	} {
		if got := Low(c.answer, c.points, c.reverse); got != c.want {
			t.Errorf("Low(%q, %d, %v) = %v, want %v", c.answer, c.points, c.reverse, got, c.want)
		}
	}
}

func TestWhoReadsTeamLists(t *testing.T) {
	for r, want := range map[auth.Role]bool{auth.DistrictAdmin: true, auth.SchoolLeader: true, auth.Counselor: true, auth.Staff: false, auth.Analyst: false} {
		if CanReadTeam(r) != want {
			t.Errorf("CanReadTeam(%s) = %v", r, !want)
		}
	}
	for r, want := range map[auth.Role]bool{auth.DistrictAdmin: true, auth.SchoolLeader: true, auth.Counselor: false, auth.Staff: false, auth.Analyst: false} {
		if CanStartRound(r) != want {
			t.Errorf("CanStartRound(%s) = %v", r, !want)
		}
	}
}

func TestCheckNoteAndDue(t *testing.T) {
	for _, c := range []struct{ action, note, field string }{
		{"check-in", "", ""}, {"mentor", "weekly with Mr. Lee", ""}, {"", "", "action"}, {"hug", "", "action"},
		{"club", string(make([]rune, 281)), "note"}, {"club", "a\nb", "note"},
	} {
		p := CheckNote(c.action, c.note)
		if f := ""; p != nil && p.Field != c.field || p == nil && c.field != f {
			t.Errorf("CheckNote(%q, %q) = %v, want field %q", c.action, c.note, p, c.field)
		}
	}
	today := time.Date(2026, 12, 3, 23, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want string }{{"2026-12-03", "2026-12-03"}, {" 2027-01-15 ", "2027-01-15"}, {"2026-12-02", ""}, {"12/20/2026", ""}, {"", ""}} {
		got, p := CheckDue(c.in, today)
		if got != c.want || (c.want == "") != (p != nil) || p != nil && p.Field != "due" {
			t.Errorf("CheckDue(%q) = %q, %v", c.in, got, p)
		}
	}
}

// TestRefusalIDs (#16 line 6): every refusal of the package is a message of the staff catalog's
// English file, rendering there exactly as the sentence the package gives; the computed ones
// (the limits' plurals) are asked of the use cases themselves, which refuse before they read the
// database.
func TestRefusalIDs(t *testing.T) {
	const file = "dashboard-refusals-success.en.toml"
	src := refusaltest.Sources(t, file, ".")
	ctx := context.Background()
	s := &Service{}
	admin := Viewer{Role: auth.DistrictAdmin}
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	var ps []*Problem
	add := func(err error) {
		var p *Problem
		if !errors.As(err, &p) {
			t.Errorf("not a refusal: %v", err)
		}
		ps = append(ps, p)
	}
	add(CheckNote("hug", ""))
	add(CheckNote("club", strings.Repeat("x", NoteMax+1)))
	add(CheckNote("club", "a\nb"))
	_, p := CheckDue("soon", today)
	add(p)
	_, p = CheckDue("2026-12-02", today)
	add(p)
	_, err := s.StartRound(ctx, admin, 1, strings.Repeat("x", RoundNameMax+1))
	add(err)
	_, err = s.MyStudents(ctx, admin, 1, strings.Repeat("x", QueryMax+1))
	add(err)
	_, err = s.SaveClaims(ctx, admin, 1, make([]Mark, BatchMax+1))
	add(err)
	_, err = s.Assign(ctx, admin, 1, nil, 1, "2027-01-01", "mapping")
	add(err)
	_, err = s.Assign(ctx, admin, 1, make([]int64, BatchMax+1), 1, "2027-01-01", "mapping")
	add(err)
	_, err = s.ImportIndicators(ctx, admin, "", "q1.csv", strings.NewReader(""))
	add(err)
	refusaltest.AllUsed(t, file, src, refusaltest.Rendered(t, file, ps...))
	if p := ps[1]; p.Msg != "Keep the note to 280 characters: a line, not a case file." {
		t.Errorf("note: %q", p.Msg)
	}
}

// TestUnclaimedFloor: a group below the floor is hidden, and so is its smallest sibling when the
// school's total would otherwise give it away; hidden groups carry no numbers.
func TestUnclaimedFloor(t *testing.T) {
	var students []Student
	add := func(n, unclaimed int, grade, el string) {
		for i := range n {
			students = append(students, Student{Attrs: map[string]string{"grade": grade, "english_learner": el}, Unclaimed: i < unclaimed})
		}
	}
	add(30, 6, "05", "no")
	add(20, 5, "06", "no")
	add(3, 2, "07", "yes")
	got := map[string]Group{}
	for _, g := range Unclaimed(students, []string{"grade", "english_learner", "gender"}, 10) {
		got[g.Attribute+"="+g.Value] = g
	}
	for key, want := range map[string]Group{
		"=":                   {N: 53, Unclaimed: 13},
		"grade=05":            {Attribute: "grade", Value: "05", N: 30, Unclaimed: 6},
		"grade=06":            {Attribute: "grade", Value: "06", Hidden: true}, // protects 07: 53 − 30 − 20 = 3
		"grade=07":            {Attribute: "grade", Value: "07", Hidden: true},
		"english_learner=no":  {Attribute: "english_learner", Value: "no", Hidden: true}, // 53 − 50 = 3
		"english_learner=yes": {Attribute: "english_learner", Value: "yes", Hidden: true},
	} {
		if g := got[key]; g.N != want.N || g.Unclaimed != want.Unclaimed || g.Hidden != want.Hidden {
			t.Errorf("%s: %+v, want %+v", key, g, want)
		}
	}
	if len(got) != 6 {
		t.Errorf("an attribute nobody has was listed: %v", got)
	}
	if len(Unclaimed(nil, []string{"grade"}, 10)) != 0 {
		t.Error("no students: groups")
	}
}
