package survey

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A translation review is kept per locale in reviewed/<tag>.toml inside the instruments folder:
// one line per reviewed text, its key and the fingerprint of the English and translated text the
// reviewer saw. Changing either text makes the fingerprint stale and `survey lint` says so, so a
// text is never shown as reviewed after someone edited it. Machine-drafted texts have no line.

// ReviewDir is the folder of the review files inside the instruments folder.
const ReviewDir = "reviewed"

// ReviewFile is the review file of tag.
func ReviewFile(tag string) string { return ReviewDir + "/" + tag + ".toml" }

// LabelSep joins a scale's labels into one cell of a translation file.
const LabelSep = " | "

// Text is one translatable text of an instrument in one locale.
type Text struct {
	Key     string // "student-pulse/1/items/st-listen/text": stable across files and edits
	File    string // the instrument's file
	path    string // position path of the translation ("items[3].text.es")
	labels  bool   // scale labels: LabelSep-joined
	English string
	Text    string // empty when the locale lacks it
}

// Texts lists the instrument's texts in tag with their English source, in file order: the scale
// labels, measure names, items, and the comment prompt.
func (in *Instrument) Texts(tag string) []Text {
	base := fmt.Sprintf("%s/%d/", in.ID, in.Version)
	out := []Text{{Key: base + "scale/labels", File: in.File, path: "scale.labels." + tag, labels: true,
		English: strings.Join(in.Scale.Labels["en"], LabelSep), Text: strings.Join(in.Scale.Labels[tag], LabelSep)}}
	for i, m := range in.Measures {
		out = append(out, Text{Key: base + "measures/" + m.ID + "/name", File: in.File, path: fmt.Sprintf("measures[%d].name.%s", i, tag),
			English: m.Name["en"], Text: m.Name[tag]})
	}
	for i, it := range in.Items {
		out = append(out, Text{Key: base + "items/" + it.ID + "/text", File: in.File, path: fmt.Sprintf("items[%d].text.%s", i, tag),
			English: it.Text["en"], Text: it.Text[tag]})
	}
	if in.Comment.Prompt["en"] != "" {
		out = append(out, Text{Key: base + "comment/prompt", File: in.File, path: "comment.prompt." + tag,
			English: in.Comment.Prompt["en"], Text: in.Comment.Prompt[tag]})
	}
	return out
}

// Fingerprint identifies the pair of texts a reviewer approved.
func Fingerprint(english, text string) string {
	h := sha256.Sum256([]byte(english + "\x00" + text))
	return hex.EncodeToString(h[:8])
}

// Review is one line of a review file.
type Review struct {
	Key, Fingerprint string
	Line             int
}

var reviewLineRE = regexp.MustCompile(`^"([^"\\]+)"\s*=\s*"([0-9a-f]{16})"\s*(#.*)?$`)

// ParseReviews reads a review file: comments, blank lines and `"key" = "fingerprint"` lines. It
// is a line format (a strict subset of TOML) so every problem has its line.
func ParseReviews(data []byte) ([]Review, []Problem) {
	var out []Review
	var probs []Problem
	seen := map[string]int{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := reviewLineRE.FindStringSubmatch(line)
		if m == nil {
			probs = append(probs, Problem{Line: n + 1, Msg: `want "key" = "16 hex digits"`})
			continue
		}
		if first, dup := seen[m[1]]; dup {
			probs = append(probs, Problem{Line: n + 1, Msg: fmt.Sprintf("%s is listed twice (first at line %d)", m[1], first)})
			continue
		}
		seen[m[1]] = n + 1
		out = append(out, Review{Key: m[1], Fingerprint: m[2], Line: n + 1})
	}
	return out, probs
}

// FormatReviews writes a review file with its explanation, keys sorted.
func FormatReviews(tag string, reviews map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Texts of the instruments in %s that a fluent reader has reviewed: key = fingerprint of the\n", tag)
	b.WriteString("# English and translated text they approved. Written by `trustpulse survey translations import`;\n")
	b.WriteString("# `trustpulse survey lint` reports a line whose text changed after the review.\n")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range reviews {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "%q = %q\n", k, reviews[k])
	}
	return b.Bytes()
}

// translationHeader is the first row of a translation file.
var translationHeader = []string{"key", "english", "translation", "reviewed", "check"}

// TranslationRow is one row of a translation file: what a reviewer reads and edits.
type TranslationRow struct {
	Text
	Reviewed bool
	Check    string // why to look at it (a language check's flag); empty for most texts
}

// TranslationRows lists every instrument text in tag (instruments in fsys, in file order) with
// whether it is reviewed (a current line in its review file) and checks[key], a note on why to
// look at it (the language checks' flags).
func TranslationRows(fsys fs.FS, tag string, checks map[string]string) ([]TranslationRow, error) {
	list, probs, err := loadAll(fsys)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("the instruments do not load: %s", probs[0])
	}
	reviewed := map[string]string{}
	if data, err := fs.ReadFile(fsys, ReviewFile(tag)); err == nil {
		rs, _ := ParseReviews(data) // lint reports a bad line; here it only counts as unreviewed
		for _, r := range rs {
			reviewed[r.Key] = r.Fingerprint
		}
	}
	var rows []TranslationRow
	for _, in := range list {
		if !slices.Contains(in.Locales, tag) {
			continue
		}
		for _, t := range in.Texts(tag) {
			rows = append(rows, TranslationRow{Text: t, Reviewed: reviewed[t.Key] == Fingerprint(t.English, t.Text), Check: checks[t.Key]})
		}
	}
	return rows, nil
}

// WriteTranslations writes rows as a CSV file a reviewer opens in a spreadsheet: they correct
// "translation" and put "yes" in "reviewed" for each text they have checked.
func WriteTranslations(w io.Writer, rows []TranslationRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(translationHeader); err != nil {
		return err
	}
	for _, r := range rows {
		rev := "no"
		if r.Reviewed {
			rev = "yes"
		}
		if err := cw.Write([]string{r.Key, r.English, r.Text.Text, rev, r.Check}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MaxTranslationFile bounds a translation file: the three instruments have about 150 texts, each
// well under 1 KB in every script.
const MaxTranslationFile = 1 << 20

// Edit is one imported row: the translation to keep and whether it is reviewed.
type Edit struct {
	Key, Text string
	Reviewed  bool
	Line      int
}

// ReadTranslations parses a translation file into edits, reporting every bad row by line.
func ReadTranslations(r io.Reader, name string) ([]Edit, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxTranslationFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxTranslationFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; a translation file of every instrument is far smaller", name, MaxTranslationFile)
	}
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))))
	cr.FieldsPerRecord = -1
	var edits []Edit
	var errs []string
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0) // only valid for a record read without error
		if row == 0 {
			if len(rec) < 4 || !slices.Equal(rec[:4], translationHeader[:4]) {
				return nil, fmt.Errorf("%s:%d: the first row must be %s", name, line, strings.Join(translationHeader, ","))
			}
			continue
		}
		if len(rec) < 4 {
			errs = append(errs, fmt.Sprintf("%s:%d: %d columns, want at least 4 (key, english, translation, reviewed)", name, line, len(rec)))
			continue
		}
		e := Edit{Key: strings.TrimSpace(rec[0]), Text: strings.TrimSpace(rec[2]), Line: line}
		switch strings.ToLower(strings.TrimSpace(rec[3])) {
		case "yes", "y", "true", "1":
			e.Reviewed = true
		case "no", "n", "false", "0", "":
		default:
			errs = append(errs, fmt.Sprintf("%s:%d: reviewed is %q; write yes or no", name, line, rec[3]))
			continue
		}
		if e.Text == "" {
			errs = append(errs, fmt.Sprintf("%s:%d: %s: the translation is empty", name, line, e.Key))
			continue
		}
		edits = append(edits, e)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return edits, nil
}

// Changes is the result of applying edits: the new contents of every file that changes.
type Changes struct {
	Files   map[string][]byte // path inside the instruments folder → new contents
	Changed int               // texts whose wording changed
	Marked  int               // texts now marked reviewed
}

// ApplyTranslations applies edits for tag to the instruments folder fsys and returns the files
// to write; nothing is written, so an import is all-or-nothing. Every edit is checked first (key
// known, label count) and every bad row reported by line; the rewritten instruments are parsed
// again and must say exactly what the edits asked.
func ApplyTranslations(fsys fs.FS, tag, name string, edits []Edit) (Changes, error) {
	if tag == "en" {
		return Changes{}, errors.New("English is the source every translation is compared with; edit the instrument files themselves")
	}
	list, probs, err := loadAll(fsys)
	if err != nil {
		return Changes{}, err
	}
	if len(probs) > 0 {
		return Changes{}, fmt.Errorf("the instruments do not load: %s", probs[0])
	}
	texts := map[string]Text{}
	pos := map[string]positions{}
	for _, in := range list {
		pos[in.File] = in.pos
		if !slices.Contains(in.Locales, tag) {
			continue
		}
		for _, t := range in.Texts(tag) {
			texts[t.Key] = t
		}
	}
	reviews := map[string]string{}
	if data, err := fs.ReadFile(fsys, ReviewFile(tag)); err == nil {
		rs, probs := ParseReviews(data)
		if len(probs) > 0 {
			return Changes{}, fmt.Errorf("%s:%d: %s", ReviewFile(tag), probs[0].Line, probs[0].Msg)
		}
		for _, r := range rs {
			reviews[r.Key] = r.Fingerprint
		}
	}
	var errs []string
	lines := map[string][]string{} // file → its lines, edited in place
	seen := map[string]int{}
	ch := Changes{Files: map[string][]byte{}}
	for _, e := range edits {
		t, ok := texts[e.Key]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s:%d: no %s text has key %q", name, e.Line, tag, e.Key))
			continue
		}
		if first, dup := seen[e.Key]; dup {
			errs = append(errs, fmt.Sprintf("%s:%d: %s appears twice (first at line %d)", name, e.Line, e.Key, first))
			continue
		}
		seen[e.Key] = e.Line
		if t.labels && len(strings.Split(e.Text, strings.TrimSpace(LabelSep))) != len(strings.Split(t.English, strings.TrimSpace(LabelSep))) {
			errs = append(errs, fmt.Sprintf("%s:%d: %s: %d labels, want %d separated by %q", name, e.Line, e.Key,
				len(strings.Split(e.Text, strings.TrimSpace(LabelSep))), len(strings.Split(t.English, strings.TrimSpace(LabelSep))), strings.TrimSpace(LabelSep)))
			continue
		}
		if e.Reviewed {
			if reviews[e.Key] != Fingerprint(t.English, e.Text) {
				ch.Marked++
			}
			reviews[e.Key] = Fingerprint(t.English, e.Text)
		} else {
			delete(reviews, e.Key)
		}
		if e.Text == t.Text {
			continue
		}
		line := pos[t.File][t.path]
		if line == 0 {
			errs = append(errs, fmt.Sprintf("%s:%d: %s has no %s text in %s to replace; add it there first", name, e.Line, e.Key, tag, t.File))
			continue
		}
		if lines[t.File] == nil {
			data, err := fs.ReadFile(fsys, t.File)
			if err != nil {
				return Changes{}, err
			}
			lines[t.File] = strings.Split(string(data), "\n")
		}
		ls := lines[t.File]
		newLine, err := replaceValue(ls[line-1], tag, e.Text, t.labels)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %s: %v (%s:%d)", name, e.Line, e.Key, err, t.File, line))
			continue
		}
		ls[line-1] = newLine
		ch.Changed++
	}
	if len(errs) > 0 {
		return Changes{}, errors.New(strings.Join(errs, "\n"))
	}
	for file, ls := range lines {
		data := []byte(strings.Join(ls, "\n"))
		in, probs := parseInstrument(file, data)
		if len(probs) > 0 {
			return Changes{}, fmt.Errorf("%s would not load after the import: %s", file, probs[0])
		}
		// Read back: the file must now say exactly what the edits asked.
		for _, t := range in.Texts(tag) {
			for _, e := range edits {
				if e.Key == t.Key && e.Text != t.Text {
					return Changes{}, fmt.Errorf("%s: %s reads back as %q, not %q", file, t.Key, t.Text, e.Text)
				}
			}
		}
		ch.Files[file] = data
	}
	ch.Files[ReviewFile(tag)] = FormatReviews(tag, reviews)
	return ch, nil
}

// replaceValue rewrites the value of a one-line `tag: value` mapping entry, keeping its indent.
func replaceValue(line, tag, text string, labels bool) (string, error) {
	key := strings.TrimLeft(line, " ")
	indent := line[:len(line)-len(key)]
	if !strings.HasPrefix(key, tag+":") {
		return "", fmt.Errorf("the line does not start with %q", tag+":")
	}
	var node yaml.Node
	if labels {
		node = yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, l := range strings.Split(text, strings.TrimSpace(LabelSep)) {
			node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: strings.TrimSpace(l)})
		}
	} else {
		node = yaml.Node{Kind: yaml.ScalarNode, Value: text}
	}
	out, err := yaml.Marshal(&node)
	if err != nil {
		return "", err
	}
	v := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(v, "\n") {
		// A long text yaml would fold over lines: keep it on one line, double-quoted.
		v = strconv.Quote(text)
		if labels {
			return "", errors.New("a label is too long for one line")
		}
	}
	return indent + tag + ": " + v, nil
}
