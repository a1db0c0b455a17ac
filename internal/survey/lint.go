package survey

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/trustpulse/trustpulse/internal/locale"
)

// LintInput is what `trustpulse survey lint` checks together.
type LintInput struct {
	Surveys   fs.FS // *.yaml instruments
	Locales   fs.FS // locales.toml and active.<tag>.toml
	Templates fs.FS // **/*.html; every {{t "id"}} is a use of message id (nil: no templates)
	// CodeMessageIDs are message IDs used from Go code rather than templates (e.g. SMS texts).
	CodeMessageIDs []string
	// SMSTexts, when set, checks the SMS texts of the locale files with the instruments' items
	// (internal/sms supplies it; survey cannot import it). Its problems' files are relative to
	// the locale tree.
	SMSTexts func(src *locale.Source, instruments []*Instrument) []Problem

	// Names shown for each tree in problem locations; default "surveys", "locales", "templates".
	SurveysName, LocalesName, TemplatesName string
}

// Lint checks the instruments, the locale files and the templates together and returns every
// problem, sorted by file and line. Warnings (a locale not reviewed by a native speaker) do not
// make the tree fail.
func Lint(in LintInput) []Problem {
	l := &linter{
		surveys:   nameOr(in.SurveysName, "surveys"),
		locales:   nameOr(in.LocalesName, "locales"),
		templates: nameOr(in.TemplatesName, "templates"),
	}
	l.lintLocales(in.Locales)
	l.lintDashboards(in.Locales, in.Templates)
	l.lintSurveys(in.Surveys)
	l.lintUses(in.Templates, in.CodeMessageIDs)
	if in.SMSTexts != nil && l.src != nil {
		for _, p := range in.SMSTexts(l.src, l.instruments) {
			p.File = path.Join(l.locales, p.File)
			l.probs = append(l.probs, p)
		}
	}
	sortProblems(l.probs)
	return l.probs
}

func nameOr(name, def string) string {
	if name == "" {
		return def
	}
	return name
}

type linter struct {
	surveys, locales, templates string
	probs                       []Problem

	shipped map[string]bool // nil when locales.toml could not be read
	en      map[string]locale.MessageDef

	src         *locale.Source // the locale tree as read, nil if unreadable
	instruments []*Instrument  // what parsed, even with problems
}

func (l *linter) bad(file string, line int, format string, args ...any) {
	l.probs = append(l.probs, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (l *linter) lintLocales(fsys fs.FS) {
	metaFile := path.Join(l.locales, locale.MetaFile)
	if fsys == nil {
		l.bad(metaFile, 1, "no locales to check")
		return
	}
	src, err := locale.ReadSource(fsys)
	if err != nil {
		l.bad(metaFile, 1, "%v", err)
		return
	}
	l.src = src
	for _, p := range src.Problems {
		l.bad(path.Join(l.locales, p.File), p.Line, "%s", p.Msg)
	}
	l.shipped = map[string]bool{}
	for _, m := range src.Metas {
		l.shipped[m.Tag] = true
		if !m.Reviewed {
			note := m.Note
			if note == "" {
				note = "not yet reviewed by a native speaker"
			}
			l.probs = append(l.probs, Problem{File: metaFile, Line: m.ReviewedLine, Warning: true,
				Msg: fmt.Sprintf("locale %s is not reviewed: %s", m.Tag, note)})
		}
	}
	if en := src.Files[locale.Default]; en != nil && !en.Broken {
		l.en = en.Defs
	}
	l.compare(src, func(name string) string { return path.Join(l.locales, name) })
}

// compare checks every shipped locale's messages of src against English: every message
// translated (each plural form the language needs, none empty), the same placeholders, nothing
// English lacks. fileName names a file of src in the problems.
func (l *linter) compare(src *locale.Source, fileName func(string) string) {
	en := src.Files[locale.Default]
	if en == nil || en.Broken {
		return
	}
	enFile := fileName(en.Name)
	enIDs := slices.Sorted(maps.Keys(en.Defs))
	for _, m := range src.Metas {
		f := src.Files[m.Tag]
		if f == nil || f.Broken {
			continue // already reported; comparing it with English would only repeat that
		}
		name := fileName(f.Name)
		for _, id := range enIDs {
			want := en.Defs[id]
			d, ok := f.Defs[id]
			if !ok {
				l.bad(enFile, want.Line, "missing translation: message %s has no %s text", id, m.Tag)
				continue
			}
			if want.Plural() {
				for _, form := range f.Forms {
					if _, ok := d.Forms[form]; !ok {
						l.bad(name, d.Line, "message %s has no %q plural form, which %s needs", id, form, m.Tag)
					}
				}
			}
			for _, form := range slices.Sorted(maps.Keys(d.Forms)) {
				if strings.TrimSpace(d.Forms[form]) == "" {
					l.bad(name, d.FormLines[form], "missing translation: message %s has an empty %q form", id, form)
				}
			}
			if a, b := messagePlaceholders(want), messagePlaceholders(d); m.Tag != locale.Default && !slices.Equal(a, b) {
				l.bad(name, d.Line, "placeholder mismatch: message %s: %s has %s, %s has %s", id,
					locale.Default, formatPlaceholders(a), m.Tag, formatPlaceholders(b))
			}
		}
		for _, id := range f.Order {
			if _, ok := en.Defs[id]; !ok {
				l.bad(name, f.Defs[id].Line, "message %s is not in %s", id, path.Base(enFile))
			}
		}
	}
}

// dashboardFile matches the staff pages' message files: dashboard.<tag>.toml and
// dashboard-<feature>.<tag>.toml (internal/httpserver loads them; the respondent catalog does not).
var dashboardFile = regexp.MustCompile(`^(dashboard(?:-[a-z0-9-]+)?)\.([A-Za-z-]+)\.toml$`)

// dashboardUse is a staff template's use of a dashboard message: {{msg "id"}}.
var dashboardUse = regexp.MustCompile(`\{\{[^}]*\bmsg\s+"([^"]+)"`)

// lintDashboards checks the staff pages' texts as lintLocales checks the respondents': each
// feature file of each locale that ships staff texts (it has a dashboard.<tag>.toml) against its
// English file — every message, plural form and placeholder — and every {{msg "id"}} of the
// templates against English. A locale without staff texts reads English staff pages.
func (l *linter) lintDashboards(fsys, templates fs.FS) {
	if fsys == nil || l.src == nil {
		return
	}
	names, err := fs.Glob(fsys, "dashboard*.toml")
	if err != nil {
		l.bad(l.locales, 1, "list dashboard files: %v", err)
		return
	}
	features := map[string]map[string]string{} // feature -> tag -> file name
	for _, n := range names {
		if m := dashboardFile.FindStringSubmatch(n); m != nil {
			if features[m[1]] == nil {
				features[m[1]] = map[string]string{}
			}
			features[m[1]][m[2]] = n
		}
	}
	staff := features["dashboard"] // the tags that ship staff texts
	enIDs := map[string]bool{}
	for _, feature := range slices.Sorted(maps.Keys(features)) {
		files := features[feature]
		if files[locale.Default] == "" {
			for _, n := range files {
				l.bad(path.Join(l.locales, n), 1, "%s has no English file %s.%s.toml", n, feature, locale.Default)
			}
			continue
		}
		// A view in the shape locale.ReadSource reads: the shipping tags' metadata and each tag's
		// file of this feature as its message file, so the respondent rules apply line by line.
		view := fstest.MapFS{}
		var meta strings.Builder
		real := map[string]string{}
		for _, m := range l.src.Metas {
			if staff[m.Tag] == "" {
				continue
			}
			n := files[m.Tag]
			if n == "" {
				l.bad(path.Join(l.locales, files[locale.Default]), 1, "missing translation: locale %s ships staff texts but has no %s.%s.toml", m.Tag, feature, m.Tag)
				continue
			}
			data, err := fs.ReadFile(fsys, n)
			if err != nil {
				l.bad(path.Join(l.locales, n), 1, "%v", err)
				continue
			}
			meta.WriteString(m.TOML())
			view[locale.MessageFile(m.Tag)] = &fstest.MapFile{Data: data}
			real[locale.MessageFile(m.Tag)] = n
		}
		view[locale.MetaFile] = &fstest.MapFile{Data: []byte(meta.String())}
		src, err := locale.ReadSource(view)
		if err != nil {
			l.bad(path.Join(l.locales, files[locale.Default]), 1, "%v", err)
			continue
		}
		fileName := func(n string) string {
			if r, ok := real[n]; ok {
				return path.Join(l.locales, r)
			}
			return path.Join(l.locales, n)
		}
		for _, p := range src.Problems {
			l.bad(fileName(p.File), p.Line, "%s", p.Msg)
		}
		l.compare(src, fileName)
		if en := src.Files[locale.Default]; en != nil {
			for id := range en.Defs {
				enIDs[id] = true
			}
		}
	}
	if templates == nil || len(enIDs) == 0 {
		return
	}
	err = fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		data, err := fs.ReadFile(templates, p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range dashboardUse.FindAllStringSubmatch(line, -1) {
				if !enIDs[m[1]] {
					l.bad(path.Join(l.templates, p), i+1, "message %s is not in any dashboard*.%s.toml", m[1], locale.Default)
				}
			}
		}
		return nil
	})
	if err != nil {
		l.bad(l.templates, 1, "cannot read templates: %v", err)
	}
}

// messagePlaceholders is the union over a message's plural forms: a form may leave the number
// out ("one minute", Arabic's dual "دقيقتان"), so each form need not carry {{.Count}} itself.
func messagePlaceholders(d locale.MessageDef) []string {
	var all []string
	for _, s := range d.Forms {
		all = append(all, locale.Placeholders(s)...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

func (l *linter) lintSurveys(fsys fs.FS) {
	if fsys == nil {
		l.bad(l.surveys, 1, "no instruments to check")
		return
	}
	list, probs, err := loadAll(fsys)
	if err != nil {
		l.bad(l.surveys, 1, "%v", err)
		return
	}
	l.instruments = list
	for _, p := range probs {
		p.File = path.Join(l.surveys, p.File)
		l.probs = append(l.probs, p)
	}
	if files, _ := fs.Glob(fsys, "*.yaml"); len(files) == 0 {
		l.bad(l.surveys, 1, "no instruments (*.yaml) found")
	}
	if l.shipped == nil {
		return // locales.toml unreadable: already reported, and every locale would look unshipped
	}
	l.lintReviews(fsys, list)
	for _, in := range list {
		file := path.Join(l.surveys, in.File)
		for i, tag := range in.Locales {
			if !l.shipped[tag] {
				l.bad(file, in.pos.at(fmt.Sprintf("locales[%d]", i)), "locale %s is not shipped (not in %s)", tag, locale.MetaFile)
			}
		}
		// Every shipped UI language can be a respondent's language; an instrument lacking it
		// would show them English questions inside a page in their language.
		for _, tag := range slices.Sorted(maps.Keys(l.shipped)) {
			if !slices.Contains(in.Locales, tag) {
				l.bad(file, in.pos.at("locales"), "missing translation: instrument %s has no %s texts (%s is shipped)", in.ID, tag, tag)
			}
		}
	}
}

// lintUses reports template uses of messages English lacks, and English messages nobody uses.
func (l *linter) lintUses(templates fs.FS, codeIDs []string) {
	used := map[string]bool{}
	for _, id := range codeIDs {
		used[id] = true
	}
	if templates != nil {
		err := fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".html") {
				return nil
			}
			data, err := fs.ReadFile(templates, p)
			if err != nil {
				return err
			}
			for _, u := range MessageUses(string(data)) {
				used[u.ID] = true
				if _, ok := l.en[u.ID]; !ok && l.en != nil {
					l.bad(path.Join(l.templates, p), u.Line, "message %s is not in %s", u.ID, locale.MessageFile(locale.Default))
				}
			}
			return nil
		})
		if err != nil {
			l.bad(l.templates, 1, "cannot read templates: %v", err)
		}
	}
	if l.en == nil {
		return
	}
	enFile := path.Join(l.locales, locale.MessageFile(locale.Default))
	for _, id := range codeIDs {
		if _, ok := l.en[id]; !ok {
			l.bad(enFile, 1, "message %s is used by code but missing", id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(l.en)) {
		if !used[id] {
			l.bad(enFile, l.en[id].Line, "unused message %s (no template or code uses it)", id)
		}
	}
}

// MessageUse is one {{t "id"}} in a template.
type MessageUse struct {
	ID   string
	Line int
}

var (
	actionRE = regexp.MustCompile(`(?s)\{\{(.*?)\}\}`)
	// t "id" or t `id`, at the start of an action, after a pipe or parenthesis, or as an argument.
	tCallRE = regexp.MustCompile("(?:^|[\\s(|])t\\s+(?:\"((?:[^\"\\\\]|\\\\.)*)\"|`([^`]*)`)")
)

// MessageUses finds every {{t "id"}} (also {{t "id" $data}}, {{... | t "id"}}, (t "id")) in a
// template's source, with its line. A call with a computed id ({{t $id}}) cannot be seen.
func MessageUses(src string) []MessageUse {
	var uses []MessageUse
	for _, a := range actionRE.FindAllStringSubmatchIndex(src, -1) {
		body := src[a[2]:a[3]]
		for _, m := range tCallRE.FindAllStringSubmatchIndex(body, -1) {
			id := ""
			if m[2] >= 0 {
				id = strings.ReplaceAll(body[m[2]:m[3]], `\"`, `"`)
			} else {
				id = body[m[4]:m[5]]
			}
			line := 1 + strings.Count(src[:a[2]+m[0]], "\n")
			if m[0] < len(body) && body[m[0]] == '\n' {
				line++
			}
			uses = append(uses, MessageUse{ID: id, Line: line})
		}
	}
	return uses
}

// lintReviews checks each locale's review file (see ReviewFile): every line names a text of that
// locale, and the text is still what the reviewer approved. A locale marked reviewed in
// locales.toml must have every instrument text reviewed.
func (l *linter) lintReviews(fsys fs.FS, list []*Instrument) {
	for _, m := range l.src.Metas {
		if m.Tag == "en" {
			continue // the source language: what every review compares with
		}
		texts := map[string]Text{}
		for _, in := range list {
			if slices.Contains(in.Locales, m.Tag) {
				for _, t := range in.Texts(m.Tag) {
					texts[t.Key] = t
				}
			}
		}
		file := path.Join(l.surveys, ReviewFile(m.Tag))
		reviewed := map[string]bool{}
		data, err := fs.ReadFile(fsys, ReviewFile(m.Tag))
		if err == nil {
			rs, probs := ParseReviews(data)
			for _, p := range probs {
				l.bad(file, p.Line, "%s", p.Msg)
			}
			for _, r := range rs {
				t, ok := texts[r.Key]
				switch {
				case !ok:
					l.bad(file, r.Line, "%s: no %s text has this key (renamed or removed?)", r.Key, m.Tag)
				case Fingerprint(t.English, t.Text) != r.Fingerprint:
					l.bad(file, r.Line, "%s: the text changed after it was reviewed; review it again (survey translations export/import) or remove the line", r.Key)
				default:
					reviewed[r.Key] = true
				}
			}
		}
		// Without a review file, reviewed = true keeps its older meaning (a native speaker read the
		// whole locale); once texts are reviewed one by one, the file must cover them all.
		if m.Reviewed && err == nil {
			missing := 0
			for k := range texts {
				if !reviewed[k] {
					missing++
				}
			}
			if missing > 0 {
				l.bad(path.Join(l.locales, locale.MetaFile), m.ReviewedLine,
					"locale %s is marked reviewed but %d of its instrument texts are not (see %s)", m.Tag, missing, file)
			}
		}
	}
}
