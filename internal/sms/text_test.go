package sms

import (
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
)

func loadCatalog(tb testing.TB) *locale.Catalog {
	tb.Helper()
	cat, err := locale.Load(locales.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// Every SMS text, in every shipped locale, fits MaxSegments with the worst-case name, link and
// contact: each as long as allowed and each forcing UCS-2 (a name in Chinese or with "á").
func TestEveryTextFitsTwoSegments(t *testing.T) {
	cat := loadCatalog(t)
	token := strings.Repeat("a", wave.MaxTokenLen)
	base := "https://" + strings.Repeat("s", MaxLinkLen-len("https://")-len("/s/")-len(token))
	link := Link(base, token)
	if len(link) != MaxLinkLen {
		t.Fatalf("worst-case link is %d characters, want %d", len(link), MaxLinkLen)
	}
	names := []string{strings.Repeat("学", MaxNameLen+5), strings.Repeat("Á", MaxNameLen), strings.Repeat("W", MaxNameLen)}
	contacts := []string{strings.Repeat("é", MaxContactLen+3), strings.Repeat("ó", MaxContactLen)}
	for _, tag := range cat.Tags() {
		// The answering texts' scale and item data: TestAnsweringTextsFitTwoSegments.
		for _, id := range []string{msgInvite, msgReminder, msgInviteAnswer, msgHelp, msgStopped, msgStarted, msgAnswerThanks} {
			if _, ok := cat.Message(tag, id); !ok {
				t.Errorf("%s: message %s missing", tag, id)
				continue
			}
			for _, name := range names {
				for _, contact := range contacts {
					text := render(cat, tag, id, name, map[string]any{"Link": link, "Contact": contact, "School": strings.Repeat("学", MaxSchoolLen+4)})
					if strings.Contains(text, "<no value>") || text == id || strings.Contains(text, "{{") {
						t.Fatalf("%s %s did not render: %q", tag, id, text)
					}
					if n := Segments(text); n > MaxSegments {
						t.Errorf("%s %s is %d segments (%d UTF-16 units) with name %q: %q", tag, id, n, len([]rune(text)), firstRunes(name, 3), text)
					}
				}
			}
		}
	}
}

func TestRenderUsesLanguageAndLink(t *testing.T) {
	cat := loadCatalog(t)
	link := Link("https://x.example/", "abcdefghijklmnopqrstuvwxyz234567")
	es := render(cat, "es-MX", msgInvite, "Lincoln Unified", map[string]any{"Link": link, "School": "Adams Elementary"})
	if !strings.Contains(es, "encuesta") || !strings.Contains(es, "https://x.example/s/abcdefghijklmnopqrstuvwxyz234567") || !strings.HasPrefix(es, "Adams Elementary:") {
		t.Fatalf("Spanish invite = %q", es)
	}
	if zh := render(cat, "zh-CN", msgInvite, "X", map[string]any{"Link": link}); !strings.Contains(zh, "问卷") {
		t.Fatalf("Chinese invite = %q", zh)
	}
	if en := render(cat, "xx", msgInvite, "X", map[string]any{"Link": link}); !strings.Contains(en, "STOP") || !strings.HasPrefix(en, "X:") {
		t.Fatalf("unknown language should get English: %q", en)
	}
}

func TestRedactLinks(t *testing.T) {
	in := "Hi: https://x.example/s/abcdefghijklmnopqrstuvwxyz234567 Reply STOP; see /s/ too"
	got := RedactLinks(in)
	if strings.Contains(got, "abcdefghij") || !strings.Contains(got, "https://x.example/s/REDACTED Reply STOP") {
		t.Fatalf("RedactLinks = %q", got)
	}
}

func TestParseKeyword(t *testing.T) {
	s := &Service{keywords: keywords()}
	tests := []struct {
		body string
		kind Keyword
		lang string
	}{
		{"STOP", KeywordStop, ""},
		{"  stop. ", KeywordStop, ""},
		{"s t o p", KeywordStop, ""},
		{"Stop!", KeywordStop, ""},
		{"StopAll", KeywordStop, ""},
		{"unsubscribe", KeywordStop, ""},
		{"cancel", KeywordStop, ""},
		{"end", KeywordStop, ""},
		{"quit", KeywordStop, ""},
		{"parar", KeywordStop, "es"},
		{"Sair", KeywordStop, "pt"},
		{"停止", KeywordStop, "zh-Hans"},
		{"dừng", KeywordStop, "vi"},
		{"DUNG", KeywordStop, "vi"},
		{"توقف", KeywordStop, "ar"},
		{"kanpe", KeywordStop, "ht"},
		{"Jooji", KeywordStop, "so"},
		{"start", KeywordStart, ""},
		{"UNSTOP", KeywordStart, ""},
		{"comenzar", KeywordStart, "es"},
		{"开始", KeywordStart, "zh-Hans"},
		{"help", KeywordHelp, ""},
		{"Ayuda", KeywordHelp, "es"},
		{"帮助", KeywordHelp, "zh-Hans"},
		{"caawimo", KeywordHelp, "so"},
		{"please stop texting me", KeywordNone, ""},
		{"3", KeywordNone, ""},
		{"", KeywordNone, ""},
	}
	for _, tt := range tests {
		kind, lang := s.ParseKeyword(tt.body)
		if kind != tt.kind || lang != tt.lang {
			t.Errorf("ParseKeyword(%q) = %v, %q; want %v, %q", tt.body, kind, lang, tt.kind, tt.lang)
		}
	}
}

func TestClipKeepsWholeWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"Riverside Unified", 20, "Riverside Unified"},
		{"  Riverside Unified  ", 20, "Riverside Unified"},
		{"Riverside Unified (demo)", 20, "Riverside Unified"},
		{"Riverside Unified School District", 20, "Riverside Unified"},
		{"Springfield-Shelbyville Consolidated", 20, "Springfield-Shelbyvi"}, // no space in the first half: a hard cut
		{"Distrito Escolar de Santa Ana", 20, "Distrito Escolar de"},
		{"https://schools.example.org/help", 30, "https://schools.example.org/he"},
		{"学区学区学区学区学区学区学区学区学区学区学区", 20, "学区学区学区学区学区学区学区学区学区学区"},
	} {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// A long school name loses its generic words before anything is clipped, so the part that tells
// two schools apart stays.
func TestSchoolLabel(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Adams Elementary", "Adams Elementary"},
		{"  Lincoln   Elementary School ", "Lincoln Elementary"},
		{"Washington Elementary School", "Washington Elementary"},
		{"Martin Luther King Jr. Elementary School", "Martin Luther King Jr."},
		{"Roosevelt Intermediate School", "Roosevelt Intermediate"},
		{"Thomas Jefferson Middle School", "Thomas Jefferson Middle"},
		{"Thomas Jefferson Middle School Annex", "Thomas Jefferson Mid."},
		{"Riverside STEM Academy of Science", "Riverside STEM Acad. of"},
		{"学校学校学校学校学校学校学校学校学校学校学校学校学校", strings.Repeat("学校", 12)},
	} {
		got := SchoolLabel(c.in)
		if got != c.want {
			t.Errorf("SchoolLabel(%q) = %q, want %q", c.in, got, c.want)
		}
		if n := len([]rune(got)); n > MaxSchoolLen {
			t.Errorf("SchoolLabel(%q) is %d characters, more than %d", c.in, n, MaxSchoolLen)
		}
	}
}
