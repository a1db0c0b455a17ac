package roster

import (
	"testing"
	"time"
)

func TestNormLanguage(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"es", "es", true},
		{"ES", "es", true},
		{"es-MX", "es", true},
		{"es_US", "es", true},
		{"spa", "es", true},
		{"zh-CN", "zh-Hans", true},
		{"zh", "zh-Hans", true},
		{"zh-hans", "zh-Hans", true},
		{"zh-TW", "zh-Hant", true},
		{"zh-Hant-HK", "zh-Hant", true},
		{"chi", "zh-Hans", true},
		{"vi", "vi", true},
		{"AR", "ar", true},
		{"hat", "ht", true},
		{"ht", "ht", true},
		{"pt-BR", "pt", true},
		{"so", "so", true},
		{"en-US", "en", true},
		{"iw", "he", true},
		{"sr-Latn", "sr-Latn", true},
		{"Spanish", "", false},
		{"xx", "", false},
		{"und", "", false},
	}
	for _, c := range cases {
		got, ok := normLanguage(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("normLanguage(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestNormPhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"(617) 555-0142", "+16175550142"},
		{"617.555.0142", "+16175550142"},
		{"+1 617 555 0142", "+16175550142"},
		{"1-617-555-0142", "+16175550142"},
		{"+44 20 7946 0958", "+442079460958"},
		{"555-0142", ""},
		{"555-12", ""},
		{"999-999-9999", ""},
		{"call me", ""},
	}
	for _, c := range cases {
		got, ok := normPhone(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("normPhone(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestNormGrade(t *testing.T) {
	cases := []struct{ in, want string }{
		{"5", "05"}, {"05", "05"}, {"12", "12"}, {"13", "13"}, {"K", "KG"}, {"kg", "KG"}, {"PK", "PK"},
		{"other", "Other"}, {"0", ""}, {"14", ""}, {"fifth", ""},
	}
	for _, c := range cases {
		got, ok := normGrade(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("normGrade(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestBands(t *testing.T) {
	now := time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC)
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	ages := []struct{ birth, want string }{
		{"2017-01-15", "0-9"}, {"2016-01-16", "0-9"}, {"2016-01-15", "10-12"}, {"2013-01-16", "10-12"}, {"2013-01-15", "13-15"},
		{"2010-01-15", "16-18"}, {"2007-01-16", "16-18"}, {"2007-01-15", "19-29"}, {"1990-06-01", "30-39"}, {"1960-01-01", "60+"},
	}
	for _, c := range ages {
		if got := ageBand(d(c.birth), now); got != c.want {
			t.Errorf("ageBand(%s) = %q, want %q", c.birth, got, c.want)
		}
	}
	tenures := []struct{ hired, want string }{
		{"2025-08-15", "0-1"}, {"2024-01-16", "0-1"}, {"2024-01-15", "2-4"}, {"2021-01-16", "2-4"}, {"2021-01-15", "5-9"},
		{"2016-01-16", "5-9"}, {"2016-01-15", "10+"}, {"1990-01-01", "10+"},
	}
	for _, c := range tenures {
		if got := tenureBand(d(c.hired), now); got != c.want {
			t.Errorf("tenureBand(%s) = %q, want %q", c.hired, got, c.want)
		}
	}
}

func TestSmallParsers(t *testing.T) {
	for in, want := range map[string]string{"Maple Grove": "maple-grove", "  Oak / Hill USD #7 ": "oak-hill-usd-7", "0601234": "0601234", "—": ""} {
		if got := slugify(in); got != want {
			t.Errorf("slugify(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{"true": true, "TRUE": true, "Yes": true, "y": true, "1": true, "false": false, "No": false, "0": false} {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := parseBool("maybe"); ok {
		t.Error("parseBool(maybe) accepted")
	}
	for in, want := range map[string]bool{"2017-08-15T12:00:00.000Z": true, "2017-08-15T12:00:00Z": true, "2017-08-15T12:00:00+02:00": true,
		"2017-08-15T12:00:00": true, "2017-08-15": true, "15/08/2017": false, "2017-13-01": false} {
		if got := parseDateTime(in); got != want {
			t.Errorf("parseDateTime(%q) = %v", in, got)
		}
	}
	for in, want := range map[string]string{"female": "female", "F": "female", "male": "male", "other": "nonbinary", "X": "nonbinary", "unspecified": ""} {
		if got, ok := normGender(in); !ok || got != want {
			t.Errorf("normGender(%q) = %q, %v", in, got, ok)
		}
	}
}
