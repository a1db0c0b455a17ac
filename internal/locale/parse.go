package locale

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// FileError is one problem at a line of a locale file. Lint prints it as "file:line: msg".
type FileError struct {
	Line int
	Msg  string
}

func (e *FileError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Meta is one locale's entry in locales.toml.
type Meta struct {
	Tag      string
	Name     string // endonym, shown in the language switcher
	Dir      string // "ltr" or "rtl"
	Reviewed bool   // a native speaker has reviewed every text
	Note     string // e.g. "machine-drafted, not yet reviewed by a native speaker"
	// CLDRPluralLocale names the CLDR locale whose plural rules this locale follows. Only needed
	// when CLDR (and so go-i18n) has no rules for the language itself, as for Haitian Creole.
	CLDRPluralLocale string

	Line         int // line of the [tag] table header
	ReviewedLine int // line of reviewed = …, for the "not reviewed" warning
}

// TOML writes m back as its locales.toml table (tag, name, dir, reviewed and any plural rule;
// not the note): how a view of part of the tree (the staff catalog, its lint) says which locales
// it holds.
func (m Meta) TOML() string {
	out := fmt.Sprintf("[%s]\nname = %q\ndir = %q\nreviewed = %t\n", m.Tag, m.Name, m.Dir, m.Reviewed)
	if m.CLDRPluralLocale != "" {
		out += fmt.Sprintf("cldr_plural_locale = %q\n", m.CLDRPluralLocale)
	}
	return out
}

// PluralTag is the tag whose CLDR plural rules apply to this locale.
func (m Meta) PluralTag() string {
	if m.CLDRPluralLocale != "" {
		return m.CLDRPluralLocale
	}
	return m.Tag
}

// cldrForms are the CLDR plural categories in CLDR's order; a message table may hold any of them.
var cldrForms = []string{"zero", "one", "two", "few", "many", "other"}

// MessageDef is one message of an active.<tag>.toml file, as written, with its line numbers.
type MessageDef struct {
	ID          string
	Line        int               // line of the message's key (or of its first plural form)
	Forms       map[string]string // plural category → text; a plain string is {"other": text}
	FormLines   map[string]int
	Description string
}

// Plural reports whether the message is written with plural forms rather than as one string.
func (m MessageDef) Plural() bool {
	for f := range m.Forms {
		if f != "other" {
			return true
		}
	}
	return false
}

// ParseMeta reads locales.toml. It returns every problem found, not just the first, because
// lint shows them all at once.
func ParseMeta(data []byte) ([]Meta, []*FileError) {
	raw, lines, ferr := decodeTOML(data)
	if ferr != nil {
		return nil, []*FileError{ferr}
	}
	var metas []Meta
	var errs []*FileError
	for _, tag := range lines.topLevelOrder(raw) {
		line := lines.at(tag)
		table, ok := raw[tag].(map[string]any)
		if !ok {
			errs = append(errs, &FileError{line, fmt.Sprintf("%s must be a table ([%s])", tag, tag)})
			continue
		}
		m := Meta{Tag: tag, Dir: "ltr", Line: line, ReviewedLine: line}
		seenReviewed := false
		for _, k := range slices.Sorted(maps.Keys(table)) {
			kline := lines.at(tag, k)
			v := table[k]
			switch k {
			case "name", "dir", "note", "cldr_plural_locale":
				s, ok := v.(string)
				if !ok {
					errs = append(errs, &FileError{kline, fmt.Sprintf("%s.%s must be a string", tag, k)})
					continue
				}
				switch k {
				case "name":
					m.Name = s
				case "dir":
					if s != "ltr" && s != "rtl" {
						errs = append(errs, &FileError{kline, fmt.Sprintf("%s.dir must be \"ltr\" or \"rtl\", not %q", tag, s)})
					}
					m.Dir = s
				case "note":
					m.Note = s
				case "cldr_plural_locale":
					m.CLDRPluralLocale = s
				}
			case "reviewed":
				b, ok := v.(bool)
				if !ok {
					errs = append(errs, &FileError{kline, fmt.Sprintf("%s.reviewed must be true or false", tag)})
					continue
				}
				m.Reviewed, m.ReviewedLine, seenReviewed = b, kline, true
			default:
				errs = append(errs, &FileError{kline, fmt.Sprintf("unknown field %s.%s", tag, k)})
			}
		}
		if m.Name == "" {
			errs = append(errs, &FileError{line, fmt.Sprintf("%s has no name", tag)})
		}
		if !seenReviewed {
			// Say it explicitly rather than default to either value: the flag is a promise to readers.
			errs = append(errs, &FileError{line, fmt.Sprintf("%s has no reviewed = true|false", tag)})
		}
		metas = append(metas, m)
	}
	return metas, errs
}

// ParseMessages reads one go-i18n message file (active.<tag>.toml) with the line of every message.
//
// It follows go-i18n's reading of the file — nested tables join into dotted IDs, a table whose keys
// are plural categories is one message — so lint sees what the runtime sees, but it also returns
// duplicates (the same ID spelled twice, e.g. "intro.title" and [intro] title), which go-i18n
// silently resolves by map order.
func ParseMessages(data []byte) ([]MessageDef, []*FileError) {
	raw, lines, ferr := decodeTOML(data)
	if ferr != nil {
		return nil, []*FileError{ferr}
	}
	p := &msgParser{lines: lines}
	p.namespace(nil, raw)
	sort.SliceStable(p.defs, func(i, j int) bool { return p.defs[i].Line < p.defs[j].Line })
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	return p.defs, p.errs
}

type msgParser struct {
	lines keyLines
	defs  []MessageDef
	errs  []*FileError
}

func (p *msgParser) namespace(path []string, table map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(table)) {
		kp := append(slices.Clip(path), k)
		switch v := table[k].(type) {
		case string:
			p.defs = append(p.defs, MessageDef{
				ID: strings.Join(kp, "."), Line: p.lines.at(kp...),
				Forms: map[string]string{"other": v}, FormLines: map[string]int{"other": p.lines.at(kp...)},
			})
		case map[string]any:
			if isMessageTable(v) {
				p.message(kp, v)
			} else {
				p.namespace(kp, v)
			}
		default:
			p.errs = append(p.errs, &FileError{p.lines.at(kp...), fmt.Sprintf("%s must be a string or a table, not %T", strings.Join(kp, "."), v)})
		}
	}
}

// isMessageTable: a table holding any plural category or description key is one message.
func isMessageTable(t map[string]any) bool {
	for k := range t {
		if k == "description" || slices.Contains(cldrForms, k) {
			return true
		}
	}
	return false
}

func (p *msgParser) message(path []string, table map[string]any) {
	id := strings.Join(path, ".")
	def := MessageDef{ID: id, Line: p.lines.find(path...), Forms: map[string]string{}, FormLines: map[string]int{}}
	for _, k := range slices.Sorted(maps.Keys(table)) {
		kline := p.lines.at(append(slices.Clip(path), k)...)
		s, isString := table[k].(string)
		known := k == "description" || slices.Contains(cldrForms, k)
		switch {
		case !known:
			// go-i18n rejects a table that mixes plural forms with other keys; say where.
			p.errs = append(p.errs, &FileError{kline, fmt.Sprintf("message %s mixes plural forms with key %q", id, k)})
		case !isString:
			p.errs = append(p.errs, &FileError{kline, fmt.Sprintf("%s.%s must be a string", id, k)})
		case k == "description":
			def.Description = s
		default:
			def.Forms[k], def.FormLines[k] = s, kline
		}
		if known && (def.Line == 0 || kline < def.Line) {
			def.Line = kline // without a [table] header, the message starts at its first key
		}
	}
	if len(def.Forms) == 0 {
		p.errs = append(p.errs, &FileError{def.Line, fmt.Sprintf("message %s has no text", id)})
		return
	}
	if _, ok := def.Forms["other"]; !ok {
		// go-i18n falls back to "other" when a form is missing, so every message needs one.
		p.errs = append(p.errs, &FileError{def.Line, fmt.Sprintf("message %s has no \"other\" form", id)})
	}
	p.defs = append(p.defs, def)
}

// decodeTOML parses data and finds the line of every key (BurntSushi/toml's MetaData keeps key
// positions private, so the lines come from a scan of the text, which is valid TOML by then).
func decodeTOML(data []byte) (map[string]any, keyLines, *FileError) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, nil, &FileError{pe.Position.Line, "invalid TOML: " + pe.Message}
		}
		return nil, nil, &FileError{1, "invalid TOML: " + err.Error()}
	}
	return raw, scanKeyLines(string(data)), nil
}

// keyLines maps a key path (pieces joined by NUL, so a quoted "a.b" differs from a.b) to the
// line where the key is written; table headers count as keys.
type keyLines map[string]int

func keyOf(path ...string) string { return strings.Join(path, "\x00") }

// at returns the line of path, or of its nearest written ancestor (keys inside an inline table
// share their parent's line), or 1.
func (kl keyLines) at(path ...string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := kl[keyOf(path[:n]...)]; ok {
			return l
		}
	}
	return 1
}

// find returns the line of exactly path, or 0.
func (kl keyLines) find(path ...string) int { return kl[keyOf(path...)] }

// topLevelOrder lists the top-level keys of raw in file order.
func (kl keyLines) topLevelOrder(raw map[string]any) []string {
	keys := slices.Sorted(maps.Keys(raw))
	sort.SliceStable(keys, func(i, j int) bool { return kl.at(keys[i]) < kl.at(keys[j]) })
	return keys
}

// scanKeyLines records the line of every table header and key = value in a valid TOML document.
// It understands what locale files use: comments, [tables], dotted and quoted keys, basic and
// literal strings including multi-line ones, and arrays or inline tables spanning lines.
func scanKeyLines(src string) keyLines {
	kl := keyLines{}
	var table []string
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		s := strings.TrimSpace(lines[i])
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			inner := strings.TrimPrefix(s, "[")
			array := strings.HasPrefix(inner, "[")
			inner = strings.TrimPrefix(inner, "[")
			path, _ := scanKey(inner)
			if !array {
				table = path
			} else {
				table = nil // arrays of tables are not used in locale files; keep lines sane anyway
			}
			if _, ok := kl[keyOf(path...)]; !ok {
				kl[keyOf(path...)] = i + 1
			}
			continue
		}
		path, rest := scanKey(s)
		full := append(slices.Clip(table), path...)
		if _, ok := kl[keyOf(full...)]; !ok {
			kl[keyOf(full...)] = i + 1
		}
		rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "="))
		i = skipValue(lines, i, rest)
	}
	return kl
}

// scanKey reads a dotted key at the start of s and returns its pieces and what follows.
func scanKey(s string) ([]string, string) {
	var path []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return path, s
		}
		var piece string
		switch s[0] {
		case '"':
			j := 1
			var b strings.Builder
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(s[j])
					}
				} else {
					b.WriteByte(s[j])
				}
				j++
			}
			piece, s = b.String(), s[min(j+1, len(s)):]
		case '\'':
			j := strings.IndexByte(s[1:], '\'')
			if j < 0 {
				return append(path, s[1:]), ""
			}
			piece, s = s[1:j+1], s[j+2:]
		default:
			j := 0
			for j < len(s) && (isBare(s[j])) {
				j++
			}
			piece, s = s[:j], s[j:]
		}
		path = append(path, piece)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return path, s
		}
		s = s[1:]
	}
}

func isBare(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipValue returns the index of the last line of the value that starts with v on line i.
func skipValue(lines []string, i int, v string) int {
	var st valueState
	for {
		st.scan(v)
		if st.done() || i+1 >= len(lines) {
			return i
		}
		i++
		v = lines[i]
	}
}

// valueState follows a TOML value across lines: an open multi-line string (its delimiter) and
// the nesting depth of arrays and inline tables.
type valueState struct {
	open  string
	depth int
}

func (st *valueState) done() bool { return st.open == "" && st.depth <= 0 }

func (st *valueState) scan(v string) {
	for j := 0; j < len(v); j++ {
		if st.open != "" {
			if strings.HasPrefix(v[j:], st.open) && (st.open == "'''" || j == 0 || v[j-1] != '\\') {
				j += 2
				st.open = ""
			}
			continue
		}
		switch c := v[j]; {
		case c == '#':
			return
		case strings.HasPrefix(v[j:], `"""`), strings.HasPrefix(v[j:], "'''"):
			st.open = v[j : j+3]
			j += 2
		case c == '"':
			for j++; j < len(v) && v[j] != '"'; j++ {
				if v[j] == '\\' {
					j++
				}
			}
		case c == '\'':
			if k := strings.IndexByte(v[j+1:], '\''); k >= 0 {
				j += k + 1
			}
		case c == '[' || c == '{':
			st.depth++
		case c == ']' || c == '}':
			st.depth--
		}
	}
}

var (
	actionRE = regexp.MustCompile(`\{\{(.*?)\}\}`)
	fieldRE  = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)`)
)

// Placeholders lists the template fields ({{.Count}} → "Count") used in s, sorted and unique.
// Translations must use the same ones as English, or a page shows a wrong or missing number.
func Placeholders(s string) []string {
	var names []string
	for _, a := range actionRE.FindAllStringSubmatch(s, -1) {
		for _, f := range fieldRE.FindAllStringSubmatch(a[1], -1) {
			names = append(names, f[1])
		}
	}
	sort.Strings(names)
	return slices.Compact(names)
}
