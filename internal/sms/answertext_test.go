package sms

import (
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/surveys"
)

func loadSurveys(tb testing.TB) *survey.Catalog {
	tb.Helper()
	c, err := survey.Load(surveys.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Every SMS text, answering ones included, fits MaxSegments in every shipped locale: each prompt
// with its own item (so the longest item is covered), the scale texts with each instrument's
// labels, the others with the worst-case name, link and contact (CheckTexts, which lint runs too).
func TestAnsweringTextsFitTwoSegments(t *testing.T) {
	cat, sc := loadCatalog(t), loadSurveys(t)
	for _, tag := range cat.Tags() {
		for _, id := range MessageIDs() {
			if _, ok := cat.Message(tag, id); !ok {
				t.Errorf("%s: message %s missing", tag, id)
			}
		}
		for _, c := range CheckTexts(catalogText(cat, tag), sc.Instruments(), tag) {
			t.Errorf("%s %s: %d segments (%d %s units) with %s", tag, c.ID, c.Segments, c.Units, c.Encoding, c.With)
		}
	}
}

// The texts say which digits answer and which word skips, in the family's language, and that
// word is one parseAnswer accepts.
func TestAnsweringTextsNameTheirKeywords(t *testing.T) {
	cat, sc := loadCatalog(t), loadSurveys(t)
	in, _ := sc.Latest("family-pulse")
	for _, tag := range cat.Tags() {
		text := catalogText(cat, tag)
		start, prompt, retry := startText(text, in, tag), promptText(text, in, 7, tag), retryText(text, in, tag)
		t.Logf("%s\n  %s\n  %s\n  %s", tag, start, prompt, retry)
		if !strings.Contains(prompt, in.Items[7].Text[tag]) || !strings.Contains(prompt, "8/8") || !strings.Contains(prompt, "1-4") || !strings.Contains(prompt, "STOP") {
			t.Errorf("%s prompt %q", tag, prompt)
		}
		for _, s := range []string{start, retry} {
			if !strings.Contains(s, "1="+in.Scale.Labels[tag][0]) || !strings.Contains(s, "4="+in.Scale.Labels[tag][3]) || !strings.Contains(s, "STOP") {
				t.Errorf("%s: %q does not state the scale", tag, s)
			}
		}
		found := false
		for w := range skipWords {
			for _, s := range []string{prompt, start, retry} {
				if strings.Contains(normalizeKeyword(s), w) && w != "SKIP" || tag == "en" && strings.Contains(s, "SKIP") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: no accepted skip word in %q", tag, prompt)
		}
	}
}

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		body, want string
		ok         bool
	}{
		{"1", "0", true}, {" 4. ", "3", true}, {"3!", "2", true}, {"٣", "2", true}, {"۲", "1", true}, {"４", "3", true},
		{"skip", "skip", true}, {"Saltar", "skip", true}, {"bỏ qua", "skip", true}, {"BO QUA", "skip", true}, {"跳过", "skip", true},
		{"تخطي", "skip", true}, {"sote", "skip", true}, {"ka bood", "skip", true}, {"pular", "skip", true},
		{"0", "", false}, {"5", "", false}, {"12", "", false}, {"yes", "", false}, {"", "", false}, {"three", "", false},
	}
	for _, tt := range tests {
		got, ok := parseAnswer(tt.body, 4)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseAnswer(%q) = %q, %v; want %q, %v", tt.body, got, ok, tt.want, tt.ok)
		}
	}
}
