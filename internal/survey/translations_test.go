package survey_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// copySurveys copies the shipped instruments into a temporary folder an import may rewrite.
func copySurveys(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := surveys.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, _ := surveys.FS.ReadFile(e.Name())
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func write(t *testing.T, dir string, ch survey.Changes) {
	t.Helper()
	for name, data := range ch.Files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func lintErrors(dir string) []string {
	var out []string
	for _, p := range survey.Lint(survey.LintInput{Surveys: os.DirFS(dir), Locales: locales.FS}) {
		if !p.Warning && strings.Contains(p.File, "reviewed") {
			out = append(out, p.String())
		}
	}
	return out
}

// TestTranslationsRoundTrip: export Spanish, a reviewer corrects one item and marks two texts
// reviewed, the import rewrites only that line and records the reviews; lint accepts it, and
// flags the review as stale once someone edits the text again.
func TestTranslationsRoundTrip(t *testing.T) {
	dir := copySurveys(t)
	cat, err := survey.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := cat.Get("student-pulse", 1)
	var rows []survey.TranslationRow
	for _, tx := range in.Texts("es") {
		rows = append(rows, survey.TranslationRow{Text: tx})
	}
	var csvOut bytes.Buffer
	if err := survey.WriteTranslations(&csvOut, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	if lines[0] != "key,english,translation,reviewed,check" || len(lines) != len(rows)+1 {
		t.Fatalf("export: %d lines, header %q", len(lines), lines[0])
	}
	item := in.Items[0]
	key := "student-pulse/1/items/" + item.ID + "/text"
	edited := strings.Replace(csvOut.String(), item.Text["es"]+",no", `"Mis maestros, de verdad, me escuchan.",yes`, 1)
	edited = strings.Replace(edited, "student-pulse/1/scale/labels,", "student-pulse/1/scale/labels,", 1)
	labelsRow := "student-pulse/1/scale/labels," + strings.Join(in.Scale.Labels["en"], survey.LabelSep) + "," + strings.Join(in.Scale.Labels["es"], survey.LabelSep) + ",no"
	if !strings.Contains(edited, labelsRow) {
		t.Fatalf("labels row not as expected:\n%s", edited)
	}
	edited = strings.Replace(edited, labelsRow, strings.TrimSuffix(labelsRow, "no")+"yes", 1)
	edits, err := survey.ReadTranslations(strings.NewReader(edited), "es.csv")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := survey.ApplyTranslations(os.DirFS(dir), "es", "es.csv", edits)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Changed != 1 || ch.Marked != 2 || len(ch.Files) != 2 {
		t.Fatalf("changes: %d changed, %d marked, files %d", ch.Changed, ch.Marked, len(ch.Files))
	}
	before, _ := os.ReadFile(filepath.Join(dir, in.File))
	write(t, dir, ch)
	after, _ := os.ReadFile(filepath.Join(dir, in.File))
	if d := diffLines(string(before), string(after)); len(d) != 1 || !strings.Contains(d[0], "es: Mis maestros, de verdad, me escuchan.") {
		t.Errorf("the import changed %v, want only the one es line", d)
	}
	cat2, err := survey.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	in2, _ := cat2.Get("student-pulse", 1)
	if in2.Items[0].Text["es"] != "Mis maestros, de verdad, me escuchan." {
		t.Errorf("reloaded text %q", in2.Items[0].Text["es"])
	}
	review, _ := os.ReadFile(filepath.Join(dir, "reviewed", "es.toml"))
	if !strings.Contains(string(review), `"`+key+`" = "`+survey.Fingerprint(item.Text["en"], "Mis maestros, de verdad, me escuchan.")+`"`) {
		t.Errorf("review file:\n%s", review)
	}
	if errs := lintErrors(dir); len(errs) != 0 {
		t.Errorf("lint after import: %v", errs)
	}
	// Someone edits the reviewed text by hand: the review is stale and lint says where.
	stale := strings.Replace(string(after), "Mis maestros, de verdad, me escuchan.", "Mis maestros me oyen.", 1)
	if err := os.WriteFile(filepath.Join(dir, in.File), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	errs := lintErrors(dir)
	if len(errs) != 1 || !strings.Contains(errs[0], "reviewed/es.toml:") || !strings.Contains(errs[0], key+": the text changed after it was reviewed") {
		t.Errorf("lint after a hand edit: %v", errs)
	}
}

func diffLines(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			out = append(out, bl[i])
		}
	}
	if len(al) != len(bl) {
		out = append(out, "line count changed")
	}
	return out
}

// TestTranslationsBadInput: every bad row is reported with its line, and nothing is applied.
func TestTranslationsBadInput(t *testing.T) {
	dir := copySurveys(t)
	head := "key,english,translation,reviewed,check\n"
	cases := []struct {
		name, csv, want string
	}{
		{"header", "a,b,c\n", "es.csv:1: the first row must be key,english,translation,reviewed,check"},
		{"reviewed", head + "student-pulse/1/comment/prompt,x,y,maybe\n", `es.csv:2: reviewed is "maybe"`},
		{"empty", head + "student-pulse/1/scale/labels,x,,no\n", "es.csv:2: student-pulse/1/scale/labels: the translation is empty"},
		{"columns", head + "student-pulse/1/scale/labels,x\n", "es.csv:2: 2 columns"},
		{"quote", head + "\"student-pulse/1/scale/labels,x,y,no\n", "es.csv:2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := survey.ReadTranslations(strings.NewReader(c.csv), "es.csv")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
	edits, err := survey.ReadTranslations(strings.NewReader(head+
		"student-pulse/1/items/nope/text,x,y,no\n"+
		"student-pulse/1/scale/labels,x,Uno | Dos,yes\n"+
		"student-pulse/1/measures/peer-belonging/name,x,Pertenencia,yes\n"+
		"student-pulse/1/measures/peer-belonging/name,x,Pertenencia,yes\n"), "es.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, err = survey.ApplyTranslations(os.DirFS(dir), "es", "es.csv", edits)
	for _, want := range []string{`es.csv:2: no es text has key "student-pulse/1/items/nope/text"`, "es.csv:3: student-pulse/1/scale/labels: 2 labels, want 4",
		"es.csv:5: student-pulse/1/measures/peer-belonging/name appears twice (first at line 4)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v, want %q", err, want)
		}
	}
	if _, err := survey.ApplyTranslations(os.DirFS(dir), "en", "en.csv", nil); err == nil {
		t.Error("English accepted as a translation")
	}
}
