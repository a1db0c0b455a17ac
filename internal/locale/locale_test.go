package locale

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/trustpulse/trustpulse/locales"
)

func loadShipped(t *testing.T, opts ...Option) *Catalog {
	t.Helper()
	c, err := Load(locales.FS, opts...)
	if err != nil {
		t.Fatalf("Load(locales.FS): %v", err)
	}
	return c
}

// Every English message exists in every shipped locale, with every plural form that locale's
// CLDR rules need, non-empty, and with the same placeholders.
func TestShippedCompleteness(t *testing.T) {
	c := loadShipped(t)
	if want := []string{"en", "es", "zh-Hans", "vi", "ar", "ht", "pt", "so"}; !slices.Equal(c.Tags(), want) {
		t.Fatalf("Tags() = %v, want %v", c.Tags(), want)
	}
	enIDs := c.MessageIDs("en")
	if len(enIDs) < 35 {
		t.Fatalf("only %d English messages", len(enIDs))
	}
	for _, tag := range c.Tags() {
		forms := c.PluralForms(tag)
		if !slices.Equal(c.MessageIDs(tag), enIDs) {
			t.Errorf("%s: message IDs differ from en:\n%v\n%v", tag, c.MessageIDs(tag), enIDs)
		}
		for _, id := range enIDs {
			en, _ := c.Message("en", id)
			d, ok := c.Message(tag, id)
			if !ok {
				t.Errorf("%s: missing %s", tag, id)
				continue
			}
			if en.Plural() {
				for _, f := range forms {
					if strings.TrimSpace(d.Forms[f]) == "" {
						t.Errorf("%s: %s lacks plural form %q", tag, id, f)
					}
				}
			}
			var want, got []string
			for _, s := range en.Forms {
				want = append(want, Placeholders(s)...)
			}
			for _, s := range d.Forms {
				got = append(got, Placeholders(s)...)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(slices.Compact(want), slices.Compact(got)) {
				t.Errorf("%s: %s has placeholders %v, en has %v", tag, id, got, want)
			}
		}
	}
}

func TestPluralForms(t *testing.T) {
	tests := []struct {
		tag  string
		want []string
	}{
		{"en", []string{"one", "other"}},
		{"es", []string{"one", "many", "other"}},
		{"pt", []string{"one", "many", "other"}},
		{"ar", []string{"zero", "one", "two", "few", "many", "other"}},
		{"zh", []string{"other"}},
		{"zh-Hans", []string{"other"}},
		{"vi", []string{"one", "other"}}, // CLDR 48 (go-i18n v2.7.0); older CLDR had other only
		{"so", []string{"one", "other"}},
		{"ru", []string{"one", "few", "many", "other"}}, // "other" only for fractions: still required
	}
	for _, tt := range tests {
		got, err := PluralForms(tt.tag)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("PluralForms(%q) = %v, %v; want %v", tt.tag, got, err, tt.want)
		}
	}
	// CLDR has no rules for Haitian Creole; locales.toml names a stand-in.
	if _, err := PluralForms("ht"); err == nil {
		t.Error("PluralForms(ht) succeeded; CLDR has no ht rules, so cldr_plural_locale would be unneeded")
	}
	if got := loadShipped(t).PluralForms("ht"); !slices.Equal(got, []string{"other"}) {
		t.Errorf("catalog PluralForms(ht) = %v, want [other]", got)
	}
}

func TestSupported(t *testing.T) {
	c := loadShipped(t)
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"en", "en", true},
		{"en-US", "en", true},
		{"es-MX", "es", true},
		{"es-419", "es", true},
		{"zh-CN", "zh-Hans", true},
		{"zh", "zh-Hans", true},
		{"zh-Hans-SG", "zh-Hans", true},
		{"zh-TW", "zh-Hans", true}, // no zh-Hant shipped: Simplified serves better than English
		{"AR", "ar", true},
		{"ar-EG", "ar", true},
		{"ht-HT", "ht", true},
		{"pt-BR", "pt", true},
		{"pt-PT", "pt", true},
		{"so-SO", "so", true},
		{"vi-VN", "vi", true},
		{" es ", "es", true},
		{"fr", "", false},
		{"und", "", false},
		{"und-MX", "", false},
		{"", "", false},
		{"*", "", false},
		{"not a tag", "", false},
	}
	for _, tt := range tests {
		got, ok := c.Supported(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Supported(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMatchAccept(t *testing.T) {
	c := loadShipped(t)
	tests := []struct{ header, want string }{
		{"", "en"},
		{"es-MX,es;q=0.9,en;q=0.8", "es"},
		{"fr-FR,fr;q=0.9,vi;q=0.5", "vi"},
		{"en;q=0.5, ar;q=0.9", "ar"},
		{"so;q=0, ht", "ht"},
		{"*", "en"},
		{"fr, de", "en"},
		{"zh-CN,zh;q=0.9", "zh-Hans"},
		{"pt-BR;q=bad, es;q=0.1", "es"},
		{"@@@, es", "es"}, // one malformed entry does not spoil the header
		{"ES-us", "es"},
	}
	for _, tt := range tests {
		if got := c.MatchAccept(tt.header); got != tt.want {
			t.Errorf("MatchAccept(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestInfo(t *testing.T) {
	c := loadShipped(t)
	tests := []struct {
		tag  string
		want Info
	}{
		{"en", Info{"en", "English", "ltr", true}},
		{"ar", Info{"ar", "العربية", "rtl", false}},
		{"ar-SA", Info{"ar", "العربية", "rtl", false}},
		{"zh-CN", Info{"zh-Hans", "简体中文", "ltr", false}},
		{"ht", Info{"ht", "Kreyòl ayisyen", "ltr", false}},
		{"xx", Info{"en", "English", "ltr", true}},
	}
	for _, tt := range tests {
		if got := c.Info(tt.tag); got != tt.want {
			t.Errorf("Info(%q) = %+v, want %+v", tt.tag, got, tt.want)
		}
		l := c.Localizer(tt.tag)
		if l.Tag() != tt.want.Tag || l.Dir() != tt.want.Dir {
			t.Errorf("Localizer(%q) = %s %s, want %s %s", tt.tag, l.Tag(), l.Dir(), tt.want.Tag, tt.want.Dir)
		}
	}
}

func TestTShipped(t *testing.T) {
	c := loadShipped(t, WithLogger(slog.New(slog.DiscardHandler)))
	tests := []struct {
		tag, id string
		data    map[string]any
		want    string
	}{
		{"en", "intro.start", nil, "Start"},
		{"en", "intro.time", map[string]any{"Count": 1}, "It takes about 1 minute."},
		{"en", "intro.time", map[string]any{"Count": 3}, "It takes about 3 minutes."},
		{"en", "intro.floor", map[string]any{"Count": 10}, "Results are only shown for groups of at least 10 people."},
		{"en", "page.progress", map[string]any{"Page": 2, "Pages": 5}, "Page 2 of 5"},
		{"es", "intro.time", map[string]any{"Count": 1}, "Toma alrededor de 1 minuto."},
		{"es", "intro.time", map[string]any{"Count": 3}, "Toma alrededor de 3 minutos."},
		{"es", "intro.time", map[string]any{"Count": 1000000}, "Toma alrededor de 1000000 de minutos."},
		{"pt", "intro.floor", map[string]any{"Count": 10}, "Os resultados só são mostrados para grupos de pelo menos 10 pessoas."},
		{"ar", "intro.time", map[string]any{"Count": 1}, "يستغرق الاستطلاع حوالي دقيقة واحدة."},
		{"ar", "intro.time", map[string]any{"Count": 2}, "يستغرق الاستطلاع حوالي دقيقتين."},
		{"ar", "intro.time", map[string]any{"Count": 3}, "يستغرق الاستطلاع حوالي 3 دقائق."},
		{"ar", "intro.floor", map[string]any{"Count": 10}, "لا تُعرض النتائج إلا للمجموعات التي تضم 10 أشخاص على الأقل."},
		{"ar", "intro.floor", map[string]any{"Count": 11}, "لا تُعرض النتائج إلا للمجموعات التي تضم 11 شخصًا على الأقل."},
		{"ht", "intro.time", map[string]any{"Count": 1}, "Li pran anviwon 1 minit."},
		{"zh-Hans", "intro.time", map[string]any{"Count": 3}, "大约需要3分钟。"},
		{"so", "page.progress", map[string]any{"Page": 1, "Pages": 3}, "Bogga 1 ee 3"},
		{"es-MX", "intro.start", nil, "Comenzar"},
		// Counts of other numeric types still choose the plural form.
		{"en", "intro.time", map[string]any{"Count": uint(1)}, "It takes about 1 minute."},
		{"en", "intro.time", map[string]any{"Count": int64(2)}, "It takes about 2 minutes."},
		{"en", "intro.time", map[string]any{"Count": 1.0}, "It takes about 1 minute."},
		{"en", "intro.time", map[string]any{"Count": "1"}, "It takes about 1 minute."},
		// Without the data a placeholder needs, the ID comes back rather than "<no value>".
		{"en", "intro.time", nil, "intro.time"},
		{"en", "page.progress", map[string]any{"Page": 2}, "page.progress"},
		{"en", "no.such.message", nil, "no.such.message"},
		{"en", "intro.time", map[string]any{"Count": []int{1}}, "intro.time"},
	}
	for _, tt := range tests {
		var got string
		if tt.data == nil {
			got = c.Localizer(tt.tag).T(tt.id)
		} else {
			got = c.Localizer(tt.tag).T(tt.id, tt.data)
		}
		if got != tt.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tt.tag, tt.id, tt.data, got, tt.want)
		}
	}
	// Several data maps merge, later keys winning.
	if got := c.Localizer("en").T("page.progress", map[string]any{"Page": 1, "Pages": 9}, map[string]any{"Pages": 4}); got != "Page 1 of 4" {
		t.Errorf("merged data: %q", got)
	}
}

// testFS is a small catalog: es lacks one message and one plural form.
func testFS() fstest.MapFS {
	return fstest.MapFS{
		"locales.toml": {Data: []byte("[en]\nname = \"English\"\ndir = \"ltr\"\nreviewed = true\n\n" +
			"[es]\nname = \"Español\"\ndir = \"ltr\"\nreviewed = false\n")},
		"active.en.toml": {Data: []byte("hello = \"Hello\"\nbye = \"Bye\"\n\n[n]\none = \"{{.Count}} day\"\nother = \"{{.Count}} days\"\n")},
		"active.es.toml": {Data: []byte("hello = \"Hola\"\n\n[n]\none = \"{{.Count}} día\"\nother = \"{{.Count}} días\"\n")},
	}
}

func TestTFallbackAndLogging(t *testing.T) {
	var buf bytes.Buffer
	c, err := Load(testFS(), WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	es := c.Localizer("es")
	for range 3 {
		if got := es.T("bye"); got != "Bye" {
			t.Errorf("missing es message: got %q, want the English text", got)
		}
		if got := es.T("nope"); got != "nope" {
			t.Errorf("unknown message: got %q, want its id", got)
		}
	}
	// es needs "many" for exact millions; the file lacks it, so the "other" text is used.
	if got := es.T("n", map[string]any{"Count": 1000000}); got != "1000000 días" {
		t.Errorf("missing plural form: got %q", got)
	}
	logged := buf.String()
	if n := strings.Count(logged, "message=bye"); n != 1 {
		t.Errorf("bye logged %d times, want once:\n%s", n, logged)
	}
	if n := strings.Count(logged, "message=nope"); n != 1 {
		t.Errorf("nope logged %d times, want once:\n%s", n, logged)
	}
	if !strings.Contains(logged, "locale=es") {
		t.Errorf("log does not name the locale:\n%s", logged)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(fstest.MapFS)
		want string
	}{
		{"shipped locale without file", func(f fstest.MapFS) { delete(f, "active.es.toml") },
			"locales.toml:6: locale es is shipped but active.es.toml is missing"},
		{"file for unlisted locale", func(f fstest.MapFS) { f["active.fr.toml"] = &fstest.MapFile{Data: []byte("hello = \"Bonjour\"\n")} },
			"active.fr.toml:1: locale fr is not listed in locales.toml"},
		{"duplicate message", func(f fstest.MapFS) {
			f["active.es.toml"] = &fstest.MapFile{Data: []byte("\"greet.hi\" = \"a\"\n\n[greet]\nhi = \"b\"\n")}
		}, "active.es.toml:4: duplicate message greet.hi (first at line 1)"},
		{"no English", func(f fstest.MapFS) {
			f["locales.toml"] = &fstest.MapFile{Data: []byte("[es]\nname = \"Español\"\ndir = \"ltr\"\nreviewed = false\n")}
			delete(f, "active.en.toml")
		}, "locales.toml:1: the default locale en is not listed"},
		{"no plural rules", func(f fstest.MapFS) {
			f["locales.toml"] = &fstest.MapFile{Data: []byte("[en]\nname = \"English\"\ndir = \"ltr\"\nreviewed = true\n\n[ht]\nname = \"Kreyòl\"\ndir = \"ltr\"\nreviewed = false\n")}
			f["active.ht.toml"] = &fstest.MapFile{Data: []byte("hello = \"Bonjou\"\n")}
			delete(f, "active.es.toml")
		}, "locales.toml:6: plural forms of \"ht\": go-i18n has no CLDR plural rules for it"},
		{"bad TOML", func(f fstest.MapFS) { f["active.es.toml"] = &fstest.MapFile{Data: []byte("hello = \"Hola\n")} },
			"active.es.toml:1: invalid TOML"},
		{"bad dir", func(f fstest.MapFS) {
			f["locales.toml"] = &fstest.MapFile{Data: []byte("[en]\nname = \"English\"\ndir = \"up\"\nreviewed = true\n")}
			delete(f, "active.es.toml")
		}, `locales.toml:3: en.dir must be "ltr" or "rtl", not "up"`},
		{"unknown field", func(f fstest.MapFS) {
			f["locales.toml"] = &fstest.MapFile{Data: []byte("[en]\nname = \"English\"\ndir = \"ltr\"\nreviewd = true\n")}
			delete(f, "active.es.toml")
		}, "locales.toml:4: unknown field en.reviewd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := testFS()
			tt.edit(fsys)
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := Load(fstest.MapFS{}); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(empty) = %v, want a not-exist error", err)
	}
}

func TestParseMessagesLines(t *testing.T) {
	src := `# comment
"quoted.id" = "q"
plain = """
multi
line = "not a key"
"""
inline = { one = "{{.Count}} x", other = "{{.Count}} xs" }

[sec]
a = 'lit'
b.one = "{{.Count}} b"
b.other = "{{.Count}} bs"  # trailing comment
list = ["x", "y"]

[sec.c]
description = "for translators"
other = "c"
`
	defs, errs := ParseMessages([]byte(src))
	var got []string
	for _, d := range defs {
		got = append(got, fmt.Sprintf("%s@%d plural=%v", d.ID, d.Line, d.Plural()))
	}
	want := []string{
		"quoted.id@2 plural=false",
		"plain@3 plural=false",
		"inline@7 plural=true",
		"sec.a@10 plural=false",
		"sec.b@11 plural=true",
		"sec.c@15 plural=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("defs:\ngot  %q\nwant %q", got, want)
	}
	if len(errs) != 1 || errs[0].Line != 13 || !strings.Contains(errs[0].Msg, "sec.list must be a string") {
		t.Errorf("errs = %v, want one at line 13 about sec.list", errs)
	}
	if d := defs[5]; d.Description != "for translators" || d.Forms["other"] != "c" {
		t.Errorf("sec.c = %+v", d)
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"none", nil},
		{"{{.Count}} of {{ .Count }}", []string{"Count"}},
		{"Page {{.Page}} of {{.Pages}}", []string{"Page", "Pages"}},
		{"{{if .A}}{{.B | printf \"%d\"}}{{end}}", []string{"A", "B"}},
	}
	for _, tt := range tests {
		if got := Placeholders(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Placeholders(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Localizers are shared by concurrent requests; run with -race.
func TestConcurrentT(t *testing.T) {
	c := loadShipped(t, WithLogger(slog.New(slog.DiscardHandler)))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := c.Localizer(c.Tags()[i%len(c.Tags())])
			for n := range 200 {
				if s := l.T("intro.time", map[string]any{"Count": n}); s == "" || s == "intro.time" {
					t.Errorf("%s: T(intro.time, %d) = %q", l.Tag(), n, s)
					return
				}
				l.T(fmt.Sprintf("missing.%d", n%7))
			}
		}()
	}
	wg.Wait()
}
