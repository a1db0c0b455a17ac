package report

import (
	"slices"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

func TestAttributesWithPairs(t *testing.T) {
	for _, tt := range []struct {
		name     string
		audience string
		settings store.Attrs
		want     []string
	}{
		{"no pairs by default", "family", nil, []string{"child_grade", "language", "response_language"}},
		{"a pair in either order, once", "family", store.Attrs{SettingPairs: "language,child_grade; child_grade,language"},
			[]string{"child_grade", "language", "response_language", "child_grade,language"}},
		{"a pair needs both keys reported", "student", store.Attrs{SettingAttributes: "grade,gender", SettingPairs: "grade,gender;grade,english_learner"},
			[]string{"grade", "gender", "grade,gender"}},
		{"no pair with response_language or another audience's key", "staff", store.Attrs{SettingPairs: "role,response_language;grade,gender;role,tenure"},
			[]string{"role", "department", "tenure", "response_language", "role,tenure"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Attributes(survey.Audience(tt.audience), tt.settings); !slices.Equal(got, tt.want) {
				t.Errorf("Attributes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPairGroups(t *testing.T) {
	got := groups([]string{"grade", Pair("grade", "gender")}, store.Attrs{"grade": "05"})
	want := [][2]string{{"", ""}, {"grade", "05"}, {"grade,gender", "05," + NotRecorded}}
	if !slices.Equal(got, want) {
		t.Errorf("groups = %v, want %v", got, want)
	}
	if compareValues("05,male", "10,female") >= 0 || compareValues("05,female", "05,male") >= 0 || compareValues("05,not_recorded", "05,male") <= 0 {
		t.Error("two-way groups are not ordered by the first value, then the second, not recorded last")
	}
}
