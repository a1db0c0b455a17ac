package cli_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/cli"
)

// lintTree copies the lint fixture base (a small valid tree) to a temporary folder, applies
// edits (path → new content), and returns the folder.
func lintTree(t *testing.T, edits map[string]string) string {
	t.Helper()
	src := filepath.Join("..", "survey", "testdata", "lint", "base")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, content := range edits {
		if err := os.WriteFile(filepath.Join(dst, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func runLint(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), envWith(nil, &out, &errOut), append([]string{"survey"}, args...))
	return code, out.String(), errOut.String()
}

func dirFlags(dir string) []string {
	return []string{"lint",
		"--surveys", filepath.Join(dir, "surveys"),
		"--locales", filepath.Join(dir, "locales"),
		"--templates", filepath.Join(dir, "templates")}
}

func TestSurveyLintFolders(t *testing.T) {
	cases := []struct {
		name     string
		edits    map[string]string
		wantCode int
		wantOut  []string // lines, with {dir} for the tree's folder
	}{
		{"clean", nil, 0, nil},
		{"warnings only", map[string]string{
			"locales/locales.toml": "[en]\nname = \"English\"\ndir = \"ltr\"\nreviewed = true\n\n[es]\nname = \"Español\"\ndir = \"ltr\"\nreviewed = false\n",
		}, 0, []string{"{dir}/locales/locales.toml:9: warning: locale es is not reviewed: not yet reviewed by a native speaker"}},
		{"problems", map[string]string{
			"locales/active.es.toml": "[intro]\ntime.one = \"Toma {{.Count}} minuto.\"\ntime.many = \"Toma {{.Count}} de minutos.\"\ntime.other = \"Toma {{.Count}} minutos.\"\n",
			"templates/extra.html":   `{{t "page.gone"}}`,
		}, 1, []string{
			"{dir}/locales/active.en.toml:2: missing translation: message page.title has no es text",
			"{dir}/templates/extra.html:1: message page.gone is not in active.en.toml",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := lintTree(t, tc.edits)
			code, out, errOut := runLint(t, dirFlags(dir)...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.wantCode, errOut)
			}
			want := ""
			for _, l := range tc.wantOut {
				want += strings.ReplaceAll(l, "{dir}", filepath.ToSlash(dir)) + "\n"
			}
			if out != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
			}
			if tc.wantCode == 1 && !strings.Contains(errOut, "survey lint: 2 problems, 0 warnings") {
				t.Errorf("stderr %q lacks the summary", errOut)
			}
		})
	}
}

func TestSurveyLintUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "missing subcommand"},
		{"unknown subcommand", []string{"check"}, `unknown subcommand "check"`},
		{"missing folder", []string{"lint", "--surveys", filepath.Join(t.TempDir(), "nope")}, "is not a directory"},
		{"extra argument", []string{"lint", "surveys"}, `unexpected argument "surveys"`},
		{"unknown flag", []string{"lint", "--survey", "x"}, "flag provided but not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runLint(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// The embedded tree: until the respondent templates use every message, lint may report unused
// messages; anything else is a real problem. Warnings never fail it.
func TestSurveyLintEmbedded(t *testing.T) {
	code, out, errOut := runLint(t, "lint")
	failing := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case line == "", strings.Contains(line, ": warning: "):
		case strings.Contains(line, ": unused message "):
			failing++
		default:
			failing++
			t.Errorf("unexpected problem in the shipped tree: %s", line)
		}
	}
	if want := map[bool]int{true: 1, false: 0}[failing > 0]; code != want {
		t.Errorf("exit code %d with %d failing lines, want %d; stderr: %s", code, failing, want, errOut)
	}
	if !strings.Contains(out, "locales/locales.toml:") || !strings.Contains(out, "warning: locale es is not reviewed") {
		t.Errorf("embedded lint output lacks the unreviewed-locale warnings:\n%s", out)
	}
}

// Lint checks every SMS text against the two-segment limit in its worst case (a 64-character
// link, a 20-character name), answering prompts with each item's text, naming file, line,
// locale and message.
func TestSurveyLintSMSSegments(t *testing.T) {
	long := strings.Repeat("á", 100)
	dir := lintTree(t, map[string]string{
		"locales/active.en.toml": "[page]\ntitle = \"Hello\"\n\n[intro]\ntime.one = \"It takes {{.Count}} minute.\"\ntime.other = \"It takes {{.Count}} minutes.\"\n\n[sms]\n" +
			"invite = \"{{.Name}}: please take our two-minute family survey about how welcome you feel {{.Link}} Reply STOP to opt out\"\n" +
			"answer_prompt = \"{{.Number}}/{{.Total}} {{.Item}}\\nReply 1-{{.Max}}, SKIP or STOP\"\n",
		"locales/active.es.toml": "[page]\ntitle = \"Hola\"\n\n[intro]\ntime.one = \"Toma {{.Count}} minuto.\"\ntime.many = \"Toma {{.Count}} de minutos.\"\ntime.other = \"Toma {{.Count}} minutos.\"\n\n[sms]\n" +
			"invite = \"{{.Name}}: encuesta {{.Link}} STOP para salir\"\n" +
			"answer_prompt = \"{{.Number}}/{{.Total}} {{.Item}}\\n" + long + " 1-{{.Max}}, SALTAR o STOP\"\n",
		"templates/sms.html": `{{t "sms.invite"}}{{t "sms.answer_prompt"}}`,
	})
	code, out, errOut := runLint(t, dirFlags(dir)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	d := filepath.ToSlash(dir)
	for _, want := range []string{
		d + "/locales/active.en.toml:9: SMS text sms.invite (en) takes 3 segments: 176 UCS-2 characters with a 64-character link, a 20-character UCS-2 name, a 24-character GSM-7 school and a 30-character contact; at most 2 segments (134 UCS-2 characters) are allowed\n",
		d + "/locales/active.es.toml:11: SMS text sms.answer_prompt (es) takes 3 segments: ",
		"with item a of instrument demo v1;",
		"with item b of instrument demo v1;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "active.en.toml:10:") || strings.Contains(out, "active.es.toml:10:") {
		t.Errorf("texts that fit are reported:\n%s", out)
	}
	if !strings.Contains(errOut, "survey lint: 4 problems, 0 warnings") {
		t.Errorf("stderr %q\n%s", errOut, out)
	}
}

// The shipped tree passes, SMS texts included.
func TestSurveyLintShippedSMSTexts(t *testing.T) {
	if code, out, errOut := runLint(t, "lint"); code != 0 || strings.Contains(out, "SMS text") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestSurveyTranslationsCLI: export Spanish, mark one item reviewed with a corrected text, import
// it into a copy of the instruments; lint of that copy passes and the text reads back.
func TestSurveyTranslationsCLI(t *testing.T) {
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join("..", "..", "surveys"))
	must(t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join("..", "..", "surveys", e.Name()))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
	code, out, errOut := runLint(t, "translations", "export", "--locale", "es")
	if code != 0 || !strings.HasPrefix(out, "key,english,translation,reviewed,check\n") {
		t.Fatalf("export: %d %s %s", code, out[:min(len(out), 200)], errOut)
	}
	lines := strings.Split(out, "\n")
	edited := []string{lines[0]}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "student-pulse/1/items/st-listen/text,") {
			edited = append(edited, "student-pulse/1/items/st-listen/text,My teachers listen to me.,Mis maestros sí me escuchan.,yes,")
		}
	}
	csvFile := filepath.Join(t.TempDir(), "es.csv")
	must(t, os.WriteFile(csvFile, []byte(strings.Join(edited, "\n")+"\n"), 0o644))
	code, out, errOut = runLint(t, "translations", "import", "--locale", "es", "--surveys", dir, csvFile)
	if code != 0 || !strings.Contains(out, "es: 1 texts changed, 1 newly marked reviewed") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "student-pulse.yaml"))
	must(t, err)
	if !strings.Contains(string(data), "      es: Mis maestros sí me escuchan.\n") {
		t.Error("the instrument file does not hold the imported text")
	}
	if code, out, _ := runLint(t, "lint", "--surveys", dir); code != 0 {
		t.Errorf("lint after import: %d\n%s", code, out)
	}
	// A bad file changes nothing and says where.
	must(t, os.WriteFile(csvFile, []byte("key,english,translation,reviewed\nstudent-pulse/1/items/x/text,a,b,yes\n"), 0o644))
	code, out, _ = runLint(t, "translations", "import", "--locale", "es", "--surveys", dir, csvFile)
	if code != 1 || !strings.Contains(out, csvFile+`:2: no es text has key "student-pulse/1/items/x/text"`) {
		t.Errorf("bad import: %d %s", code, out)
	}
	if code, _, errOut := runLint(t, "translations", "import", "--locale", "es", csvFile); code != 2 || !strings.Contains(errOut, "--surveys DIR is required") {
		t.Errorf("import without --surveys: %d %s", code, errOut)
	}
}
