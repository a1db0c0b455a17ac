// Package success owns acting on results for named students: relationship mapping rounds (which
// adults know which students), the team's assignments of an adult to a student no adult claims,
// and the follow-up of students who answered a confidential wave with little connection. Every
// list it returns names children, so every read is audited in its own transaction, and who may
// read what is decided here (see CanReadTeam, Viewer.scope).
package success

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// Audit actions of this package.
const (
	ActionRoundStart  = "mapping.round_start"
	ActionRoundClose  = "mapping.round_close"
	ActionMappingView = "mapping.view"   // an adult's own class list (names)
	ActionClaims      = "mapping.claims" // an adult's marks saved
	ActionTeamView    = "team.view"      // the team page's named lists
	ActionAssign      = "student.assign"
	ActionReached     = "followup.reached"
	// The follow-up list reads confidential answers: auth's view.confidential.
	ActionFollowupView = auth.ActionViewConfidential
)

// ConnectionMeasure is the single-item measure the team page and the follow-up list read.
const ConnectionMeasure = "adult-connection"

// Actions a follow-up records: the kinds of student-level action a team takes.
var Actions = []string{"check-in", "mentor", "club", "family-contact", "referral", "something-else"}

// NoteMax bounds a follow-up note: a short line, never a case file.
const NoteMax = 280

// Bounds of the other forms: a round's name, a mapping search, a grading period's name, and the
// students one save or assignment may carry (BatchMax is written "2,000" in the refusals).
const (
	RoundNameMax = 80
	QueryMax     = 60
	PeriodMax    = 60
	BatchMax     = 2000
)

// CanReadTeam is the one rule of who reads a school's named lists (the team page and the
// follow-up list): district admins, and the leaders and counselors of the school. Other staff
// read only the students assigned to them.
func CanReadTeam(r auth.Role) bool { return slices.Contains(TeamRoles, r) }

// TeamRoles are the roles CanReadTeam admits, for the routes that check roles first.
var TeamRoles = []auth.Role{auth.DistrictAdmin, auth.SchoolLeader, auth.Counselor}

// CanStartRound is who starts and closes a school's mapping rounds.
func CanStartRound(r auth.Role) bool { return r == auth.DistrictAdmin || r == auth.SchoolLeader }

// Low reports whether an answer (the stored answer character of an item of in's scale) is in
// the lower half of the scale after reversing — for the adult-connection item on a four-point
// scale, "Not true" or "A little true". A missing answer is not low.
func Low(answer byte, points int, reverse bool) bool {
	if answer < '0' || int(answer-'0') >= points {
		return false
	}
	v := int(answer - '0')
	if reverse {
		v = points - 1 - v
	}
	return v < points/2
}

// ItemIndex finds the (only) item of a measure in an instrument; false when the instrument has
// no such measure.
func ItemIndex(in *survey.Instrument, measure string) (int, survey.Item, bool) {
	for i, it := range in.Items {
		if it.Measure == measure {
			return i, it, true
		}
	}
	return 0, survey.Item{}, false
}

// ClaimStatus names how many adults claim a student: "none", "one" or "several".
func ClaimStatus(adults int) string {
	switch adults {
	case 0:
		return "none"
	case 1:
		return "one"
	}
	return "several"
}

// CheckNote validates a follow-up: a known action and a note of at most NoteMax characters on one
// line. It returns the refusal (its field: action or note), or nil when fine.
func CheckNote(action, note string) *Problem {
	if !slices.Contains(Actions, action) {
		return refusal.New("action", "refusal.success.note_action", "Choose what was done.")
	}
	if utf8.RuneCountInString(note) > NoteMax {
		return refusal.New("note", "refusal.success.note_long", "Keep the note to "+strconv.Itoa(NoteMax)+" characters: a line, not a case file.", "Count", NoteMax)
	}
	if strings.ContainsAny(note, "\r\n") {
		return refusal.New("note", "refusal.success.note_lines", "Keep the note on one line.")
	}
	return nil
}

// CheckDue parses a due date (YYYY-MM-DD) that is not before today (in the school's zone); a
// refusal is of the due field.
func CheckDue(due string, today time.Time) (string, *Problem) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(due))
	if err != nil {
		return "", refusal.New("due", "refusal.success.due_date", "Give a due date as YYYY-MM-DD.")
	}
	if d.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)) {
		return "", refusal.New("due", "refusal.success.due_past", "The due date is in the past.")
	}
	return d.Format(time.DateOnly), nil
}

// Group is one row of the unclaimed-students trend: of N students in a group, Unclaimed have no
// adult's claim. Hidden groups carry no numbers.
type Group struct {
	Attribute, Value string // "" "" is the whole school
	N, Unclaimed     int
	Hidden           bool
}

// Student is what the aggregate rule needs of one student.
type Student struct {
	Attrs     map[string]string // "grade" and the roster attributes
	Unclaimed bool
}

// Unclaimed counts unclaimed students by attribute value under the privacy floor (see Tally).
func Unclaimed(students []Student, attrs []string, floor int) []Group {
	in := make([]Counted, len(students))
	for i, s := range students {
		in[i] = Counted{Attrs: s.Attrs, Flags: []bool{s.Unclaimed}}
	}
	var out []Group
	for _, t := range Tally(in, attrs, floor) {
		g := Group{Attribute: t.Attribute, Value: t.Value, N: t.N, Hidden: t.Hidden}
		if !t.Hidden {
			g.Unclaimed = t.Counts[0]
		}
		out = append(out, g)
	}
	return out
}

// Counted is a student with yes/no flags to count by group.
type Counted struct {
	Attrs map[string]string
	Flags []bool
}

// Tallied is one group's size and how many of it have each flag; hidden groups carry no numbers.
type Tallied struct {
	Attribute, Value string // "" "" is the whole school
	N                int
	Counts           []int
	Hidden           bool
}

// Tally counts students and their flags by attribute value under the privacy floor, with the
// results' own complementary suppression (report.Suppress over the groups' sizes): a group below
// the floor is hidden, and so is the smallest other group of its attribute wherever a subtraction
// from the school's total would give it away. Missing values count as "not recorded", so an
// attribute's groups add up to the school; an attribute no student has is left out.
func Tally(students []Counted, attrs []string, floor int) []Tallied {
	cs := report.Cells{}
	counts := map[report.Key][]int{}
	nflags := 0
	if len(students) > 0 {
		nflags = len(students[0].Flags)
	}
	add := func(k report.Key, s Counted) {
		c := cs[k]
		if c == nil {
			c = &report.Cell{}
			cs[k] = c
			counts[k] = make([]int, nflags)
		}
		c.N++
		for i, f := range s.Flags {
			if f {
				counts[k][i]++
			}
		}
	}
	const school = 1 // one school: the district's lines never arise
	recorded := map[string]bool{}
	for _, s := range students {
		for _, a := range attrs {
			if s.Attrs[a] != "" {
				recorded[a] = true
			}
		}
	}
	attrs = slices.DeleteFunc(slices.Clone(attrs), func(a string) bool { return !recorded[a] })
	for _, s := range students {
		add(report.Key{School: school}, s)
		for _, a := range attrs {
			v := s.Attrs[a]
			if v == "" {
				v = report.NotRecorded
			}
			add(report.Key{School: school, Attribute: a, Value: v}, s)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	report.Suppress(cs, floor)
	keys := make([]report.Key, 0, len(cs))
	for k := range cs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b report.Key) int {
		if a.Attribute != b.Attribute {
			return attrOrder(attrs, a.Attribute) - attrOrder(attrs, b.Attribute)
		}
		return report.CompareValues(a.Value, b.Value)
	})
	out := make([]Tallied, 0, len(keys))
	for _, k := range keys {
		c := cs[k]
		t := Tallied{Attribute: k.Attribute, Value: k.Value, Hidden: c.Suppressed}
		if !t.Hidden {
			t.N, t.Counts = c.N, counts[k]
		}
		out = append(out, t)
	}
	return out
}

func attrOrder(attrs []string, a string) int {
	if a == "" {
		return -1
	}
	return slices.Index(attrs, a)
}
