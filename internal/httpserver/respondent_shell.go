package httpserver

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Item pages are the respondent pages shown most often, and nearly all of one is fixed by the
// instrument, the locale and the page number: the questions, the answer labels, the language
// switcher. Only three things change per request: the link base (/s/TOKEN or /j/CODE), the CSRF
// token and which choices are checked. So each item page is rendered once, through the real
// template, with markers in place of those three, and cut at the markers into an itemShell; a
// request then writes the static parts and fills in the slots. The bytes are the template's own
// (TestItemShellMatchesTemplate checks every instrument, locale and page), and anything the shell
// does not cover (a page with errors, the comment page, a base or token that would need escaping)
// goes through the template as before.

// Markers stand for the per-request values while a shell is made. Letters only: they pass every
// html/template escaper unchanged.
const (
	markerBase  = "zqxbasezqx"
	markerCSRF  = "zqxcsrfzqx"
	markerValue = "zqxv" // zqxv<item index>v<value>zqx
	markerEnd   = "zqx"
)

type slotKind uint8

const (
	slotNone    slotKind = iota
	slotBase             // the link base, /s/TOKEN or /j/CODE
	slotCSRF             // the CSRF token
	slotChecked          // " checked" when the item's answer is value
)

// shellPart is static text followed by one slot.
type shellPart struct {
	static string
	slot   slotKind
	item   int    // slotChecked: the item's index in the instrument
	value  string // slotChecked: the choice's value
}

// itemShell is one item page (instrument, locale, page) ready to be filled in.
type itemShell struct {
	parts []shellPart
	size  int // bytes of static text
}

type shellKey struct {
	in   *survey.Instrument
	lang string
	page int
}

// itemShell returns the shell of page p (0-based) of in, in lang, making it on first use; nil
// means this page always goes through the template.
func (s *Server) itemShell(in *survey.Instrument, lang string, p int) *itemShell {
	k := shellKey{in, lang, p}
	if v, ok := s.render.shells.Load(k); ok {
		return v.(*itemShell)
	}
	sh, err := s.makeItemShell(in, lang, p)
	if err != nil {
		// A template change the shell cannot follow: the page still works, through the template.
		s.Log.Error("item page shell", "instrument", in.ID, "lang", lang, "page", p+1, "err", err)
		sh = nil
	}
	v, _ := s.render.shells.LoadOrStore(k, sh)
	return v.(*itemShell)
}

func (s *Server) makeItemShell(in *survey.Instrument, lang string, p int) (*itemShell, error) {
	fake := respondent{sess: shellSession(in), base: markerBase, lang: lang}
	if p < 0 || p >= fake.sess.Pages() {
		return nil, fmt.Errorf("no page %d", p+1)
	}
	if p == fake.sess.Pages()-1 && in.Comment.Enabled {
		return nil, nil // the comment box holds the person's own text: the template escapes it
	}
	v := s.pageViewFor(markerCSRF, fake, p, nil, nil)
	for i := range v.Items {
		for j := range v.Items[i].Choices {
			ch := &v.Items[i].Choices[j]
			ch.Value = markerValue + strconv.Itoa(v.Items[i].Number-1) + "v" + ch.Value + markerEnd
		}
	}
	var buf bytes.Buffer
	if err := s.render.execute(&buf, lang, "page", v); err != nil {
		return nil, err
	}
	sh, err := cutShell(buf.String())
	if err != nil {
		return nil, err
	}
	// The shell must write what the template writes: check it against two real renderings.
	for _, answers := range []func(int) string{
		func(int) string { return "" },
		func(i int) string {
			if k := i % (in.Scale.Points + 1); k < in.Scale.Points {
				return strconv.Itoa(k)
			}
			return "skip"
		},
	} {
		base, csrf := "/s/abcdefghijklmnopqrstuvwxyz234567", "Ab0-_.~Zz9ShellCheckToken0123456"
		posted := map[string]string{}
		for _, i := range fake.sess.PageItems(p) {
			posted[in.Items[i].ID] = answers(i)
		}
		want := bytes.Buffer{}
		if err := s.render.execute(&want, lang, "page", s.pageViewFor(csrf, respondent{sess: fake.sess, base: base, lang: lang}, p, posted, nil)); err != nil {
			return nil, err
		}
		got := bytes.Buffer{}
		sh.fill(&got, base, csrf, answers)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			return nil, fmt.Errorf("shell output differs from the template's")
		}
	}
	return sh, nil
}

// shellSession is a session with nothing saved, for making shells.
func shellSession(in *survey.Instrument) *wave.Session {
	return &wave.Session{Instrument: in}
}

// cutShell splits a page rendered with markers into static parts and slots.
func cutShell(html string) (*itemShell, error) {
	sh := &itemShell{}
	var static strings.Builder
	for {
		i := strings.Index(html, markerEnd)
		if i < 0 {
			static.WriteString(html)
			break
		}
		static.WriteString(html[:i])
		html = html[i:]
		end := strings.Index(html[len(markerEnd):], markerEnd)
		if end < 0 {
			return nil, fmt.Errorf("unterminated marker at %q", html[:min(len(html), 20)])
		}
		marker := html[:len(markerEnd)+end+len(markerEnd)]
		html = html[len(marker):]
		part := shellPart{}
		switch {
		case marker == markerBase:
			part.slot = slotBase
		case marker == markerCSRF:
			part.slot = slotCSRF
		case strings.HasPrefix(marker, markerValue):
			// zqxv<item>v<value>zqx, inside value="…": the value itself is static, and the slot
			// for " checked" follows the closing quote.
			item, value, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(marker, markerValue), markerEnd), "v")
			n, err := strconv.Atoi(item)
			if !ok || err != nil || !strings.HasPrefix(html, `"`) {
				return nil, fmt.Errorf("marker %q is not a choice value", marker)
			}
			static.WriteString(value)
			static.WriteByte('"')
			html = html[1:]
			part.slot, part.item, part.value = slotChecked, n, value
		default:
			return nil, fmt.Errorf("unknown marker %q", marker)
		}
		part.static = static.String()
		static.Reset()
		sh.parts = append(sh.parts, part)
	}
	sh.parts = append(sh.parts, shellPart{static: static.String()})
	for _, p := range sh.parts {
		sh.size += len(p.static)
	}
	return sh, nil
}

// fill writes the page for one request: answer(i) is item i's current value ("" for none).
func (sh *itemShell) fill(buf *bytes.Buffer, base, csrf string, answer func(item int) string) {
	buf.Grow(sh.size + 16*len(base) + len(csrf) + 64)
	for i := range sh.parts {
		p := &sh.parts[i]
		buf.WriteString(p.static)
		switch p.slot {
		case slotBase:
			buf.WriteString(base)
		case slotCSRF:
			buf.WriteString(csrf)
		case slotChecked:
			if answer(p.item) == p.value {
				buf.WriteString(" checked")
			}
		}
	}
}

// fits reports whether base and csrf can be written into the shell as they are: only characters
// that every escaper on the page (HTML text, attribute values, URLs) leaves unchanged, and no ':'
// that could start a URL scheme. Anything else goes through the template, which escapes it.
func (sh *itemShell) fits(base, csrf string) bool {
	return plainValue(base) && strings.HasPrefix(base, "/") && !strings.HasPrefix(base, "//") && plainValue(csrf)
}

func plainValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
			return false
		}
	}
	return true
}
