package credential

import (
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	cases := []struct {
		route int
		want  string
	}{
		{0, ""}, {-3, ""}, {1, "b"}, {25, "z"}, {26, "2"}, {31, "7"}, {32, "ba"}, {33, "bb"}, {1023, "77"}, {1024, "baa"},
		{1<<30 - 1, "777777"},
	}
	for _, c := range cases {
		if got := Route(c.route); got != c.want {
			t.Errorf("Route(%d) = %q, want %q", c.route, got, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	secret := strings.Repeat("k", 32)
	cases := []struct {
		in     string
		route  int
		secret string
		ok     bool
	}{
		{secret, Legacy, secret, true},   // before the upgrade
		{"b" + secret, 1, secret, true},  // district 1
		{"7" + secret, 31, secret, true}, // the last one-character route
		{"ba" + secret, 32, secret, true},
		{"777777" + secret, 1<<30 - 1, secret, true},
		{"a" + secret, 0, "", false},       // a leading zero: not how Route writes
		{"ab" + secret, 0, "", false},      // the same route as "b", written longer
		{"B" + secret, 0, "", false},       // upper case: callers lower-case first
		{"1" + secret, 0, "", false},       // not in the alphabet
		{"-" + secret, 0, "", false},       // nor this
		{secret[1:], 0, "", false},         // shorter than a secret
		{"bbbbbbb" + secret, 0, "", false}, // route part too long
		{"", 0, "", false},
	}
	for _, c := range cases {
		route, s, ok := Split(c.in, len(secret))
		if route != c.route || s != c.secret || ok != c.ok {
			t.Errorf("Split(%q) = %d, %q, %v; want %d, %q, %v", c.in, route, s, ok, c.route, c.secret, c.ok)
		}
	}
	if _, _, ok := Split("bsecret", 0); ok {
		t.Error("a secret length of 0 splits")
	}
}

// Every route comes back from its credential, for every secret length in use.
func TestWrapSplitRoundTrip(t *testing.T) {
	for _, n := range []int{12, 32, 43} {
		secret := strings.Repeat("x", n)
		for route := 0; route < 5000; route++ {
			got, s, ok := Split(Wrap(route, secret), n)
			if !ok || got != route || s != secret {
				t.Fatalf("route %d, secret length %d: got %d %q %v", route, n, got, s, ok)
			}
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"b" + strings.Repeat("q", 32), strings.Repeat("q", 32), "a", "", "7777777"} {
		f.Add(s, 32)
	}
	f.Fuzz(func(t *testing.T, in string, n int) {
		route, secret, ok := Split(in, n)
		if !ok {
			return
		}
		if route < 0 || len(secret) != n {
			t.Fatalf("Split(%q, %d) = %d, %q", in, n, route, secret)
		}
		// What splits is exactly one credential: wrapping it again gives back the input.
		if again := Wrap(route, secret); again != in {
			t.Fatalf("Split(%q, %d) = %d, %q, which wraps to %q", in, n, route, secret, again)
		}
	})
}
