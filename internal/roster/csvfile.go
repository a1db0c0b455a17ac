package roster

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// problems collects fatal problems and warnings across files. Files are numbered as they are
// opened, so the report lists them in reading order and, within a file, by line.
type problems struct {
	fatal, warn []Problem
	// nFatal and nWarn count every problem and warning; only the first max of each are kept, so
	// a file of a million bad rows costs a counter, not a million messages.
	nFatal, nWarn int
	max           int
	order         map[string]int
	// structural: a file or column is missing, or a file stopped parsing. Too little was read
	// to check references with; checking them would bury the real problem under "unknown" ones.
	structural bool
}

func newProblems(max int) *problems { return &problems{order: map[string]int{}, max: max} }

// full says the import has as many fatal problems as it keeps: it has failed, and only counts.
func (p *problems) full() bool { return p.nFatal >= p.max }

// add records a fatal problem: message id of the staff catalog (its "roster_problem." prefix
// left out), with format's English sentence; kv are the placeholders' names and values, the
// values filling format's verbs in order (see say).
func (p *problems) add(file string, line int, id, format string, kv ...any) {
	p.nFatal++
	if len(p.fatal) < p.max {
		p.fatal = append(p.fatal, problem(file, line, id, format, kv...))
	}
}

// addStructural records a problem with a file as a whole (see structural).
func (p *problems) addStructural(file string, line int, id, format string, kv ...any) {
	p.structural = true
	p.add(file, line, id, format, kv...)
}

func (p *problems) warnf(file string, line int, id, format string, kv ...any) {
	p.nWarn++
	if len(p.warn) < p.max {
		w := problem(file, line, id, format, kv...)
		w.Warning = true
		p.warn = append(p.warn, w)
	}
}

func problem(file string, line int, id, format string, kv ...any) Problem {
	msg, data := say(format, kv...)
	return Problem{File: file, Line: line, Msg: msg, ID: "roster_problem." + id, Data: data}
}

// say is an English sentence and its catalog placeholders: kv are name, value pairs whose values
// fill format's verbs in order. Each placeholder holds its value as the sentence shows it (a %q
// value quoted, a number in digits), so the catalog's English renders as the sentence, and the
// placeholders read back the same from the job row's JSON.
func say(format string, kv ...any) (string, map[string]any) {
	var args []any
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
	}
	n := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && !isVerb(format[j]) {
			j++
		}
		if j == len(format) || format[j] == '%' {
			i = j
			continue
		}
		if k := 2 * n; k+1 < len(kv) {
			name, _ := kv[k].(string)
			data[name] = fmt.Sprintf(format[i:j+1], kv[k+1])
			args = append(args, kv[k+1])
		}
		n++
		i = j
	}
	return fmt.Sprintf(format, args...), data
}

func isVerb(c byte) bool { return c == '%' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (p *problems) fileSeen(name string) {
	if _, ok := p.order[name]; !ok {
		p.order[name] = len(p.order)
	}
}

// sorted returns ps ordered by file (reading order) then line; problems found later about an
// earlier row (a reference checked after every file was read) land next to that row.
func (p *problems) sorted(ps []Problem) []Problem {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Problem) int {
		if oa, ob := p.order[a.File], p.order[b.File]; oa != ob {
			return oa - ob
		}
		return a.Line - b.Line
	})
	return out
}

// source is the folder (of a directory or a zip) the roster files sit in. Files are found by
// name without regard to case, as exports made on Windows are not always careful about it.
type source struct {
	fsys   fs.FS
	names  map[string]string // lower-cased base name → path in fsys
	lim    Limits
	budget *budget
}

// findSource locates the roster files: at the top of fsys, or, as many zip tools make them,
// inside its one top-level folder.
func findSource(fsys fs.FS, markers []string, lim Limits) (*source, error) {
	lim = lim.withDefaults()
	src, err := listDir(fsys, ".", lim)
	if err != nil {
		return nil, err
	}
	for _, m := range markers {
		if _, ok := src.names[m]; ok {
			return src, nil
		}
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read roster folder: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "__MACOSX" {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 1 {
		return listDir(fsys, dirs[0], lim)
	}
	return src, nil
}

func listDir(fsys fs.FS, dir string, lim Limits) (*source, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read roster folder: %w", err)
	}
	src := &source{fsys: fsys, names: map[string]string{}, lim: lim, budget: newBudget(lim.MaxBytes)}
	for _, e := range entries {
		if !e.IsDir() {
			src.names[strings.ToLower(e.Name())] = path.Join(dir, e.Name())
		}
	}
	return src, nil
}

func (s *source) has(name string) bool {
	_, ok := s.names[strings.ToLower(name)]
	return ok
}

// table streams the rows of one CSV file: a UTF-8 BOM is dropped, CRLF or LF line ends, quoted
// fields may hold commas and line breaks, columns may come in any order and unknown ones are
// ignored. Each row knows its physical line number in the file.
type table struct {
	name   string
	r      *csv.Reader
	closer io.Closer
	p      *problems
	width  int
	idx    map[string]int // lower-cased header → column
	lines  *lineLimiter
	maxFld int
	header []string
	line   int
	rec    []string
	failed bool // the CSV itself is malformed; no further rows are read
}

// open returns the named file's table; callers ask has first, as most files are optional.
func (s *source) open(name string, p *problems) (*table, error) {
	fpath, ok := s.names[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
	}
	f, err := s.fsys.Open(fpath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	shown := path.Base(fpath)
	p.fileSeen(shown)
	t := &table{name: shown, closer: f, p: p, idx: map[string]int{}, maxFld: s.lim.MaxField}
	lr, lines, err := bound(f, fpath, s.lim, s.budget)
	if errors.Is(err, errSpent) {
		t.failed = true
		return t, nil
	}
	if err != nil {
		t.parseError(err)
		return t, nil
	}
	t.lines = lines
	br := bufio.NewReaderSize(lr, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1 // a row's width is checked here, to report it and read on
	r.ReuseRecord = true
	t.r = r
	header, err := r.Read()
	switch {
	case errors.Is(err, io.EOF):
		p.addStructural(shown, 1, "empty", "the file is empty: the header line is missing")
		t.failed = true
		return t, nil
	case err != nil:
		t.parseError(err)
		return t, nil
	}
	t.width = len(header)
	t.header = make([]string, len(header))
	for i, h := range header {
		t.header[i] = strings.TrimSpace(h)
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if _, dup := t.idx[h]; dup {
			p.addStructural(shown, 1, "column_twice", "column %q appears twice", "Column", strings.TrimSpace(header[i]))
			continue
		}
		t.idx[h] = i
	}
	return t, nil
}

func (t *table) close() {
	if t != nil {
		t.closer.Close()
	}
}

func (t *table) parseError(err error) {
	var pe *csv.ParseError
	var le *limitError
	if errors.As(err, &le) {
		t.p.addStructural(t.name, le.line, le.id, le.format, le.kv...)
	} else if errors.As(err, &pe) {
		t.p.addStructural(t.name, pe.StartLine, "malformed_csv", "malformed CSV: %v", "Err", pe.Err)
	} else {
		t.p.addStructural(t.name, t.line, "read", "read: %v", "Err", err)
	}
	t.failed = true
}

// col is the index of a column, or -1 when the file does not have it.
func (t *table) col(name string) int {
	if i, ok := t.idx[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// require reports every missing required column and says whether all are there.
func (t *table) require(names ...string) bool {
	if t.failed {
		return false // the header itself could not be read; that is reported
	}
	ok := true
	for _, n := range names {
		if t.col(n) < 0 {
			t.p.addStructural(t.name, 1, "column_missing", "required column %q is missing", "Column", n)
			ok = false
		}
	}
	return ok
}

// next reads the next row; false at the end of the file or after malformed CSV.
func (t *table) next() bool {
	if t.failed {
		return false
	}
	for {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			t.parseError(err)
			return false
		}
		t.line, _ = t.r.FieldPos(0)
		if blank(rec) {
			continue // spreadsheets leave rows of empty cells behind
		}
		if len(rec) != t.width {
			t.p.add(t.name, t.line, "row_width", "the row has %d fields; the header has %d", "Count", len(rec), "Header", t.width)
			// Read it anyway, so one short row does not also turn every reference to it into
			// an "unknown" problem.
			for len(rec) < t.width {
				rec = append(rec, "")
			}
		}
		for j := range rec {
			if len(rec[j]) > t.maxFld {
				if j < len(t.header) && t.header[j] != "" {
					t.p.add(t.name, t.line, "field_long", "the %q field is %d bytes long; the limit is %s",
						"Column", t.header[j], "Size", len(rec[j]), "Max", sizeText(int64(t.maxFld)))
				} else {
					t.p.add(t.name, t.line, "field_n_long", "field %d is %d bytes long; the limit is %s",
						"Field", j+1, "Size", len(rec[j]), "Max", sizeText(int64(t.maxFld)))
				}
				rec[j] = ""
			}
		}
		if !cleanText(rec) {
			// PostgreSQL refuses such text; say which row, rather than fail the whole write.
			t.p.add(t.name, t.line, "not_utf8", "the row is not UTF-8 text (save the file as CSV UTF-8)")
			for j := range rec {
				rec[j] = strings.ToValidUTF8(strings.ReplaceAll(rec[j], "\x00", ""), "\uFFFD")
			}
		}
		t.rec = rec
		return true
	}
}

func cleanText(rec []string) bool {
	for _, f := range rec {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return false
		}
	}
	return true
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// get is the trimmed value of column i of the current row; "" for a column the file lacks.
func (t *table) get(i int) string {
	if i < 0 || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

func (t *table) add(id, format string, kv ...any) { t.p.add(t.name, t.line, id, format, kv...) }

func (t *table) warnf(id, format string, kv ...any) { t.p.warnf(t.name, t.line, id, format, kv...) }

// splitList splits a OneRoster list field ("a,b,c"), dropping empty entries.
func splitList(s string, sep string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, sep)
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// size is the decompressed bytes of every file in the source: the whole of a reading, for
// progress.
func (s *source) size() int64 {
	var n int64
	for _, p := range s.names {
		if st, err := fs.Stat(s.fsys, p); err == nil {
			n += st.Size()
		}
	}
	return n
}
