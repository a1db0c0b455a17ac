package sms

import "testing"

// FuzzParseAnswer: an answer text either is refused or decodes to a valid code of the scale or
// "skip".
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{"1", " 5 ", "skip", "SKIP", "٣", "０", "6", "0", "12", "", "stop", "1️⃣", "\u200b3"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, body string, points int) {
		v, ok := parseAnswer(body, points)
		if !ok {
			return
		}
		if v == "skip" {
			return
		}
		if len(v) != 1 || v[0] < '0' || int(v[0]-'0') >= points {
			t.Fatalf("%q decoded as %q on a %d-point scale", body, v, points)
		}
	})
}
