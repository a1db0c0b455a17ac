package locale

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Source is a locale tree as written, read once for both Load (which refuses to start on any
// problem) and `trustpulse survey lint` (which reports them all, plus completeness).
type Source struct {
	Metas    []Meta           // locales.toml, in file order
	Files    map[string]*File // shipped tag → its message file, if readable
	Problems []SourceProblem  // in the order found
}

// File is one active.<tag>.toml.
type File struct {
	Meta   Meta
	Name   string                // file name within the tree
	Forms  []string              // plural forms the language needs; nil if unknown
	Defs   map[string]MessageDef // by ID; the first of duplicates
	Order  []string              // IDs in file order
	Broken bool                  // not valid TOML: Defs is empty, comparing it would mislead
}

// SourceProblem is a problem at a line of a file in the tree.
type SourceProblem struct {
	File string
	Line int
	Msg  string
}

// ReadSource reads locales.toml and every message file. Only an unreadable locales.toml is an
// error; everything else wrong with the tree is a Problem.
func ReadSource(fsys fs.FS) (*Source, error) {
	data, err := fs.ReadFile(fsys, MetaFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MetaFile, err)
	}
	src := &Source{Files: map[string]*File{}}
	bad := func(file string, line int, format string, args ...any) {
		src.Problems = append(src.Problems, SourceProblem{file, line, fmt.Sprintf(format, args...)})
	}
	metas, errs := ParseMeta(data)
	for _, e := range errs {
		bad(MetaFile, e.Line, "%s", e.Msg)
	}
	src.Metas = metas
	listed := map[string]bool{}
	for _, m := range metas {
		listed[m.Tag] = true
	}
	if len(errs) == 0 && !listed[Default] {
		bad(MetaFile, 1, "the default locale %s is not listed", Default)
	}
	names, err := fs.Glob(fsys, "active.*.toml")
	if err != nil {
		return nil, fmt.Errorf("list message files: %w", err)
	}
	for _, name := range names {
		if tag := strings.TrimSuffix(strings.TrimPrefix(name, "active."), ".toml"); !listed[tag] {
			bad(name, 1, "locale %s is not listed in %s", tag, MetaFile)
		}
	}

	for _, m := range metas {
		forms, err := PluralForms(m.PluralTag())
		if err != nil {
			bad(MetaFile, m.Line, "%v (set cldr_plural_locale to a CLDR locale with the same plural rules)", err)
		}
		name := MessageFile(m.Tag)
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			bad(MetaFile, m.Line, "locale %s is shipped but %s is missing", m.Tag, name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		f := &File{Meta: m, Name: name, Forms: forms, Defs: map[string]MessageDef{}}
		defs, errs := ParseMessages(data)
		for _, e := range errs {
			bad(name, e.Line, "%s", e.Msg)
		}
		f.Broken = defs == nil && len(errs) > 0
		for _, d := range defs {
			if prev, dup := f.Defs[d.ID]; dup {
				bad(name, d.Line, "duplicate message %s (first at line %d)", d.ID, prev.Line)
				continue
			}
			f.Defs[d.ID] = d
			f.Order = append(f.Order, d.ID)
		}
		src.Files[m.Tag] = f
	}
	return src, nil
}
