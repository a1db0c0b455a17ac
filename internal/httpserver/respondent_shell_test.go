package httpserver

import (
	"bytes"
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// TestItemShellMatchesTemplate: for every shipped instrument, locale and page, the pre-rendered
// item page filled in for a request is byte for byte what the template renders for it.
func TestItemShellMatchesTemplate(t *testing.T) {
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRenderer(loc)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Deps: Deps{Config: config.Default(), Surveys: cat, Locales: loc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, render: r}
	states := map[string]string{
		"nothing saved": "",
		"all answered":  "0123012301230123012301230123",
		"some skipped":  "3-1--20---3-0-1-2",
	}
	bases := []string{"/s/abcdefghijklmnopqrstuvwxyz234567", "/j/ABCDEFGH23", "/j/abc-def-gh"}
	csrfs := []string{"Tq0pL2mZxY8wV7uS6rR5qP4oN3mM2lL1", "a"}
	shells := 0
	for _, in := range cat.Instruments() {
		for _, lang := range loc.Tags() {
			for name, answers := range states {
				sess := &wave.Session{Instrument: in, Draft: store.Draft{Answers: answers}}
				for p := 0; p < sess.Pages(); p++ {
					sh := s.itemShell(in, lang, p)
					if sh == nil {
						if p == sess.Pages()-1 && in.Comment.Enabled {
							continue // the comment page always goes through the template
						}
						t.Fatalf("%s %s page %d: no shell", in.ID, lang, p+1)
					}
					shells++
					for _, base := range bases {
						for _, csrf := range csrfs {
							if !sh.fits(base, csrf) {
								t.Fatalf("fits(%q, %q) = false", base, csrf)
							}
							want := bytes.Buffer{}
							rs := respondent{sess: sess, base: base, lang: lang}
							if err := r.execute(&want, lang, "page", s.pageViewFor(csrf, rs, p, nil, nil)); err != nil {
								t.Fatal(err)
							}
							got := bytes.Buffer{}
							sh.fill(&got, base, csrf, func(i int) string {
								if a := sess.Answer(i); a >= 0 {
									return strconv.Itoa(a)
								}
								return ""
							})
							if !bytes.Equal(got.Bytes(), want.Bytes()) {
								t.Fatalf("%s %s page %d, %s, base %s: shell differs from template\nshell:\n%s\ntemplate:\n%s",
									in.ID, lang, p+1, name, base, got.String(), want.String())
							}
						}
					}
				}
			}
		}
	}
	if shells == 0 {
		t.Fatal("no shells made")
	}
}

// TestItemShellRefusesWhatNeedsEscaping: values the template would escape or filter never go
// into a shell as they are.
func TestItemShellRefusesWhatNeedsEscaping(t *testing.T) {
	sh := &itemShell{}
	good := "/s/abcdefghijklmnopqrstuvwxyz234567"
	for _, c := range []struct{ base, csrf string }{
		{good, ""},
		{good, `a"b`},
		{good, "a<b>"},
		{good, "a&b"},
		{good, "a+b"},
		{good, "a b"},
		{good, "a'b"},
		{"/j/a%22b", "tok"},
		{"/j/a%3Cb", "tok"},
		{"javascript:alert(1)", "tok"},
		{"//evil.example/x", "tok"},
		{"/j/a:b", "tok"},
		{"s/relative", "tok"},
		{"", "tok"},
		{"/s/é", "tok"},
	} {
		if sh.fits(c.base, c.csrf) {
			t.Errorf("fits(%q, %q) = true, want false", c.base, c.csrf)
		}
	}
}
