package success

import (
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
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
		if f, _ := CheckNote(c.action, c.note); f != c.field {
			t.Errorf("CheckNote(%q, %q) field %q, want %q", c.action, c.note, f, c.field)
		}
	}
	today := time.Date(2026, 12, 3, 23, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want string }{{"2026-12-03", "2026-12-03"}, {" 2027-01-15 ", "2027-01-15"}, {"2026-12-02", ""}, {"12/20/2026", ""}, {"", ""}} {
		got, msg := CheckDue(c.in, today)
		if got != c.want || (c.want == "") != (msg != "") {
			t.Errorf("CheckDue(%q) = %q, %q", c.in, got, msg)
		}
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
