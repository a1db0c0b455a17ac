package wave

import (
	"strings"
	"testing"
)

// FuzzDecodeAnswer: whatever a respondent's form posts, an answer is refused or is a valid code
// of the scale (or Missing), never anything the scorer would misread.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{"0", "3", "4", "", "skip", " 2 ", "-1", "10", "٣", "\x00", "skipskip", "1\n"} {
		f.Add(s, 5)
	}
	f.Add("9", 10)
	f.Fuzz(func(t *testing.T, v string, points int) {
		a, ok := decodeAnswer(v, points)
		if !ok {
			return
		}
		switch {
		case a == Missing:
			if s := strings.TrimSpace(v); s != "" && s != "skip" {
				t.Fatalf("%q decoded as missing", v)
			}
		case a < '0' || int(a-'0') >= points:
			t.Fatalf("%q decoded as %q on a %d-point scale", v, a, points)
		}
	})
}
