package comments

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
)

func TestRedact(t *testing.T) {
	r := NewRedactor([]string{
		"Maria", "Gonzalez", "Ana María", "de la Cruz", "Will", "Smith-Jones", "O'Brien", "Li", "Nguyen", "王伟", "小明", "Zoë", "Mohamed",
	})
	tests := []struct{ name, in, want string }{
		{"nothing to take out", "The homework load is too heavy this term.", "The homework load is too heavy this term."},
		{"a given and a family name, any case", "maria GONZALEZ helped my son", "[name] [name] helped my son"},
		{"accents and two-word given names", "Ana María es muy amable", "[name] [name] es muy amable"},
		{"particles stay, the name goes", "La señora de la Cruz no contesta", "La señora de la [name] no contesta"},
		{"a common word only when capitalized", "I will ask Will about it", "I will ask [name] about it"},
		{"hyphenated, whole or in parts", "Mr. Smith-Jones and Ms. Jones", "Mr. [name] and Ms. [name]"},
		{"possessive", "Nguyen's class is great", "[name] class is great"},
		{"apostrophe names", "Mrs. O'Brien and brien", "Mrs. [name] and [name]"},
		{"short names only capitalized", "Li is kind, li is not a word", "[name] is kind, li is not a word"},
		{"unicode case", "ZOË was there", "[name] was there"},
		{"not inside other words", "Mohamedan? Marianne? Williams?", "Mohamedan? Marianne? Williams?"},
		{"Han names inside a sentence", "王伟老师很好，小明也是", "[name]老师很好，[name]也是"},
		{"US phone", "call me at (555) 867-5309 please", "call me at [phone] please"},
		{"dotted phone", "555.867.5309", "[phone]"},
		{"international phone", "WhatsApp +52 55 1234 5678", "WhatsApp [phone]"},
		{"plain digits", "text 5558675309", "text [phone]"},
		{"short numbers stay", "room 204, grade 5, in 2026, 6 of 10", "room 204, grade 5, in 2026, 6 of 10"},
		{"dates stay", "on 12/05/2026", "on 12/05/2026"},
		{"email", "write to maria.gonzalez+school@example.org now", "write to [email] now"},
		{"email with names and a phone", "Maria (maria@x.org, 555-867-5309)", "[name] ([email], [phone])"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Redact(tc.in); got != tc.want {
				t.Fatalf("Redact(%q)\n = %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactWithoutRoster(t *testing.T) {
	r := NewRedactor(nil)
	if got := r.Redact("Maria said 555-867-5309"); got != "Maria said [phone]" {
		t.Fatalf("got %q", got)
	}
}

func TestHidden(t *testing.T) {
	tests := []struct {
		name            string
		group, n, floor int
		want            string
	}{
		{"whole group at the floor", 20, 20, 20, ""},
		{"whole group below it", 19, 19, 20, HiddenSmall},
		{"empty", 0, 0, 20, HiddenSmall},
		{"filter keeps enough, rest enough", 45, 25, 20, ""},
		{"filter keeps too few", 45, 19, 20, HiddenSmall},
		{"filter leaves too few out", 45, 30, 20, HiddenRest},
		{"filter leaves one out", 21, 20, 20, HiddenRest},
		{"filter keeps everyone", 30, 30, 20, ""},
		{"a small group even filtered to all", 10, 10, 20, HiddenSmall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Hidden(tc.group, tc.n, tc.floor); got != tc.want {
				t.Fatalf("Hidden(%d, %d, %d) = %q, want %q", tc.group, tc.n, tc.floor, got, tc.want)
			}
		})
	}
}

func TestFloorOf(t *testing.T) {
	tests := []struct {
		name     string
		settings store.Attrs
		results  int
		want     int
	}{
		{"default", nil, 10, DefaultFloor},
		{"the district's own", store.Attrs{SettingFloor: "30"}, 10, 30},
		{"never below the results floor", store.Attrs{SettingFloor: "8"}, 10, 10},
		{"results floor above the default", nil, 25, 25},
		{"garbage is the default", store.Attrs{SettingFloor: "x"}, 10, DefaultFloor},
		{"zero is the default", store.Attrs{SettingFloor: "0"}, 10, DefaultFloor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FloorOf(tc.settings, tc.results); got != tc.want {
				t.Fatalf("FloorOf = %d, want %d", got, tc.want)
			}
		})
	}
}

// Shuffle keeps every comment and, over many views, puts the first-written one anywhere.
func TestShuffle(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	firstAt := map[int]bool{}
	for range 200 {
		xs := []int{0, 1, 2, 3, 4, 5}
		Shuffle(xs, rnd)
		sorted := slices.Sorted(slices.Values(xs))
		if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5}) {
			t.Fatalf("lost or doubled: %v", xs)
		}
		firstAt[slices.Index(xs, 0)] = true
	}
	if len(firstAt) != 6 {
		t.Fatalf("the first comment only ever lands at %v", firstAt)
	}
}
