package survey

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// fixture is testdata/lint/base with the files of testdata/lint/<name> laid over it, so each
// case folder holds only the file it breaks.
func fixture(t *testing.T, name string) (surveysFS, localesFS, templatesFS fs.FS) {
	t.Helper()
	trees := map[string]fstest.MapFS{"surveys": {}, "locales": {}, "templates": {}}
	for _, dir := range []string{"base", name} {
		root := path.Join("testdata/lint", dir)
		err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path.Join(root, p))
			if err != nil {
				return err
			}
			tree, rest, _ := strings.Cut(p, "/")
			if _, ok := trees[tree]; !ok {
				t.Fatalf("%s: %s is not under surveys/, locales/ or templates/", root, p)
			}
			trees[tree][rest] = &fstest.MapFile{Data: data}
			return nil
		})
		if err != nil {
			t.Fatalf("read fixture %s: %v", dir, err)
		}
	}
	return trees["surveys"], trees["locales"], trees["templates"]
}

func lines(probs []Problem) []string {
	out := []string{}
	for _, p := range probs {
		out = append(out, p.String())
	}
	return out
}

func TestLintFixtures(t *testing.T) {
	tests := []struct {
		name    string // folder under testdata/lint
		codeIDs []string
		want    []string
	}{
		{"base", nil, nil},
		{"yaml-syntax", nil, []string{
			"surveys/pulse.yaml:5: invalid YAML: did not find expected ',' or ']'",
		}},
		{"duplicate-field", nil, []string{
			"surveys/pulse.yaml:4: duplicate field version (first at line 3)",
		}},
		{"unknown-field", nil, []string{
			"surveys/pulse.yaml:34: unknown field items[2].revers",
		}},
		{"missing-item-translation", nil, []string{
			"surveys/pulse.yaml:28: missing translation: item b has no es text",
		}},
		{"missing-measure-name", nil, []string{
			"surveys/pulse.yaml:14: missing translation: measure trust name has no es text",
		}},
		{"missing-comment-prompt", nil, []string{
			"surveys/pulse.yaml:39: missing translation: comment prompt has no es text",
		}},
		{"scale-labels-missing", nil, []string{
			"surveys/pulse.yaml:8: missing translation: scale has no es labels",
		}},
		{"scale-label-count", nil, []string{
			"surveys/pulse.yaml:10: scale has 4 points but 3 es labels",
		}},
		{"missing-ui-translation", nil, []string{
			"locales/active.en.toml:2: missing translation: message page.title has no es text",
		}},
		{"dashboard-missing", nil, []string{
			"locales/dashboard.en.toml:3: missing translation: message nav.count has no es text",
		}},
		{"dashboard-placeholder", nil, []string{
			"locales/dashboard.es.toml:3: placeholder mismatch: message nav.count: en has {{.N}}, es has {{.Count}}",
		}},
		{"dashboard-feature-missing", nil, []string{
			"locales/dashboard-goals.en.toml:1: missing translation: locale es ships staff texts but has no dashboard-goals.es.toml",
		}},
		{"dashboard-template-unknown", nil, []string{
			"templates/admin.html:2: message nav.hom is not in any dashboard*.en.toml",
		}},
		{"missing-plural-form", nil, []string{
			`locales/active.es.toml:5: message intro.time has no "many" plural form, which es needs`,
		}},
		{"unknown-measure", nil, []string{
			"surveys/pulse.yaml:12: measure trust has 2 items; a measure needs at least 3 (or single_item: true)",
			`surveys/pulse.yaml:32: item c: unknown measure "trsut"`,
		}},
		{"duplicate-instrument", nil, []string{
			"surveys/pulse.yaml:2: duplicate instrument demo version 1 (also in pulse-copy.yaml)",
		}},
		{"duplicate-measure", nil, []string{
			"surveys/pulse.yaml:18: duplicate measure trust (first at line 12)",
		}},
		{"duplicate-item", nil, []string{
			"surveys/pulse.yaml:12: measure trust has 2 items; a measure needs at least 3 (or single_item: true)",
			"surveys/pulse.yaml:31: duplicate item a (first at line 19)",
		}},
		{"duplicate-message", nil, []string{
			"locales/active.en.toml:4: duplicate message page.title (first at line 1)",
		}},
		{"mixed-message-keys", nil, []string{
			`locales/active.es.toml:8: message intro.time mixes plural forms with key "note"`,
		}},
		{"placeholder-message", nil, []string{
			"locales/active.es.toml:5: placeholder mismatch: message intro.time: en has {{.Count}}, es has none",
		}},
		{"placeholder-item", nil, []string{
			"surveys/pulse.yaml:30: placeholder mismatch: item b: en has {{.School}}, es has none",
		}},
		{"too-few-items", nil, []string{
			"surveys/pulse.yaml:12: measure trust has 2 items; a measure needs at least 3 (or single_item: true)",
		}},
		{"single-item-count", nil, []string{
			"surveys/pulse.yaml:12: measure trust is single_item but has 3 items",
		}},
		{"unused-message", nil, []string{
			"locales/active.en.toml:7: unused message intro.unused (no template or code uses it)",
		}},
		{"unknown-facet", nil, []string{
			`surveys/pulse.yaml:27: item b: unknown facet "competency" (want respect, competence, personal_regard, integrity, belonging)`,
		}},
		{"unknown-audience", nil, []string{
			`surveys/pulse.yaml:4: unknown audience "teachers" (want student, staff or family)`,
		}},
		{"relationship-audience", nil, []string{
			"surveys/pulse.yaml:13: measure trust: relationship student-teacher is reported by student respondents, not staff",
		}},
		{"cuts-not-ascending", nil, []string{
			"surveys/pulse.yaml:17: measure trust: reporting.cuts must be 4 ascending numbers within 0–100, not [35 55 45 65]",
		}},
		{"cuts-count-range", nil, []string{
			"surveys/pulse.yaml:17: measure trust: reporting.cuts must be 4 ascending numbers within 0–100, not [35 55 120]",
		}},
		{"locale-not-shipped", nil, []string{
			"locales/active.es.toml:1: locale es is not listed in locales.toml",
			"surveys/pulse.yaml:5: locale es is not shipped (not in locales.toml)",
		}},
		{"shipped-locale-not-offered", nil, []string{
			"surveys/pulse.yaml:5: missing translation: instrument demo has no vi texts (vi is shipped)",
		}},
		{"shipped-locale-file-missing", nil, []string{
			"locales/locales.toml:11: locale fr is shipped but active.fr.toml is missing",
			"surveys/pulse.yaml:5: missing translation: instrument demo has no fr texts (fr is shipped)",
		}},
		{"toml-syntax", nil, []string{
			"locales/active.es.toml:2: invalid TOML: strings cannot contain newlines",
		}},
		{"student-too-many-items", nil, []string{
			"surveys/pulse.yaml:18: student instrument has 15 items; at most 14 fit a 3-minute pulse",
		}},
		{"student-reverse-item", nil, []string{
			"surveys/pulse.yaml:22: item a: no reverse-coded items for students (they confuse young readers)",
		}},
		{"reverse-items", nil, []string{
			"surveys/pulse.yaml:35: item c: at most 1 reverse-coded item per instrument",
		}},
		{"unreviewed-locale", nil, []string{
			"locales/locales.toml:9: warning: locale es is not reviewed: machine-drafted",
		}},
		{"template-unknown-message", nil, []string{
			"templates/respondent/intro.html:3: message intro.missing is not in active.en.toml",
		}},
		// sms.reminder is in the locale files and used only by code: not unused. sms.invite is
		// used by code but written nowhere.
		{"code-message-ids", []string{"sms.reminder", "sms.invite"}, []string{
			"locales/active.en.toml:1: message sms.invite is used by code but missing",
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			s, l, tm := fixture(t, tt.name)
			got := lines(Lint(LintInput{Surveys: s, Locales: l, Templates: tm, CodeMessageIDs: tt.codeIDs}))
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("Lint:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
	// Every fixture folder must be in the table, so a new fixture cannot go untested.
	entries, err := os.ReadDir("testdata/lint")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("testdata/lint/%s has no test case", e.Name())
		}
	}
}

// The shipped tree must be clean except for what is expected until the respondent templates
// exist (every UI message unused) and until native speakers review the drafts (warnings).
func TestLintShippedTree(t *testing.T) {
	probs := Lint(LintInput{Surveys: surveys.FS, Locales: locales.FS, Templates: fstest.MapFS{}})
	cat, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatalf("load locales: %v", err)
	}
	var unused, warnings []string
	for _, p := range probs {
		switch {
		case p.Warning:
			warnings = append(warnings, p.Msg)
		case strings.HasPrefix(p.Msg, "unused message "):
			unused = append(unused, strings.Fields(p.Msg)[2])
		default:
			t.Errorf("unexpected problem: %s", p)
		}
	}
	slices.Sort(unused)
	if want := cat.MessageIDs("en"); !slices.Equal(unused, want) {
		t.Errorf("unused messages = %v, want every en message %v", unused, want)
	}
	var unreviewed []string
	for _, tag := range cat.Tags() {
		if !cat.Info(tag).Reviewed {
			unreviewed = append(unreviewed, tag)
		}
	}
	if len(warnings) != len(unreviewed) || len(unreviewed) != 7 {
		t.Errorf("warnings %q, want one per unreviewed locale %v (7: all but en)", warnings, unreviewed)
	}

	// With a template using every message, the tree is clean apart from the warnings.
	var page strings.Builder
	for _, id := range cat.MessageIDs("en") {
		page.WriteString(`{{t "` + id + `"}}` + "\n")
	}
	probs = Lint(LintInput{Surveys: surveys.FS, Locales: locales.FS,
		Templates: fstest.MapFS{"all.html": {Data: []byte(page.String())}}})
	for _, p := range probs {
		if !p.Warning {
			t.Errorf("unexpected problem with every message used: %s", p)
		}
	}
}

func TestMessageUses(t *testing.T) {
	tests := []struct {
		src  string
		want []MessageUse
	}{
		{`<h1>{{t "intro.title"}}</h1>`, []MessageUse{{"intro.title", 1}}},
		{"a\n<p>{{ t \"intro.time\" $data }}</p>", []MessageUse{{"intro.time", 2}}},
		{`{{- t "a" -}}{{t "b" .}}`, []MessageUse{{"a", 1}, {"b", 1}}},
		{`{{printf "%s" (t "page.next")}}`, []MessageUse{{"page.next", 1}}},
		{"{{template \"x\" (dict \"Label\" (t `item.skip`))}}", []MessageUse{{"item.skip", 1}}},
		{"{{if .Ok}}\n{{else}}{{\n  t \"error.title\"}}{{end}}", []MessageUse{{"error.title", 3}}},
		{`{{.t "no"}} {{tt "no"}} {{t $id}} <p>t "no"</p>`, nil},
	}
	for _, tt := range tests {
		if got := MessageUses(tt.src); !slices.Equal(got, tt.want) {
			t.Errorf("MessageUses(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "surveys/a.yaml", Line: 3, Msg: "bad"}, "surveys/a.yaml:3: bad"},
		{Problem{File: "locales/locales.toml", Line: 9, Msg: "not reviewed", Warning: true}, "locales/locales.toml:9: warning: not reviewed"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestLintNames(t *testing.T) {
	s, l, tm := fixture(t, "missing-ui-translation")
	got := lines(Lint(LintInput{Surveys: s, Locales: l, Templates: tm, LocalesName: "x/locales"}))
	want := []string{"x/locales/active.en.toml:2: missing translation: message page.title has no es text"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
