package scoring

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadMatrixCSV reads answers in the analysts' exchange format: a header
// `id,<item id>,…`, then one row per person with cells 0..K-1, or empty for
// no answer. name is used in error messages, which read
// `name line N: item q3: "x" is not a number`.
//
// The parser is a small RFC 4180 reader over the whole input (quoted fields,
// doubled quotes, CRLF, blank lines skipped, a leading UTF-8 BOM ignored)
// instead of encoding/csv, which allocates a string per cell and made parsing
// the larger part of `score calibrate` on 50 000 persons. Spaces around a cell
// are ignored. It checks cells and row shape only; whether the data can be
// calibrated is Calibrate's job, because `score persons` accepts any rows.
func ReadMatrixCSV(r io.Reader, name string, K int) (Matrix, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return Matrix{}, fmt.Errorf("reading %s: %w", name, err)
	}
	if K < 2 || K > 100 {
		return Matrix{}, fmt.Errorf("reading %s: %d categories; need 2..100", name, K)
	}
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	// One string copy of the input: person ids are substrings of it, not one
	// allocation each.
	text := string(src)
	sc := csvScanner{src: text, line: 1}
	fail := func(line int, item, format string, args ...any) error {
		return &InputError{Source: name, Line: line, Item: item, Problem: fmt.Sprintf(format, args...)}
	}

	header, line, err := sc.record()
	if err == io.EOF {
		return Matrix{}, fail(0, "", "empty file; expected a header id,<item id>,…")
	}
	if err != nil {
		return Matrix{}, fail(sc.errLine, "", "%v", err)
	}
	if strings.TrimSpace(header[0]) != "id" {
		return Matrix{}, fail(line, "", "the first column must be \"id\", found %q", header[0])
	}
	if len(header) < 2 {
		return Matrix{}, fail(line, "", "no item columns after \"id\"")
	}
	m := Matrix{K: K, Items: make([]string, len(header)-1)}
	seen := make(map[string]bool, len(header))
	for i, h := range header[1:] {
		h = strings.TrimSpace(h)
		if h == "" {
			return Matrix{}, fail(line, "", "column %d has an empty item id", i+2)
		}
		if seen[h] {
			return Matrix{}, fail(line, h, "appears twice in the header")
		}
		seen[h] = true
		m.Items[i] = h
	}

	I := len(m.Items)
	rows := strings.Count(text, "\n") + 1
	m.Persons = make([]string, 0, rows)
	// All answers in one backing array; rows are windows onto it.
	cells := make([]int8, 0, rows*I)
	top := K - 1
	for {
		rec, line, err := sc.record()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Matrix{}, fail(sc.errLine, "", "%v", err)
		}
		if len(rec) != I+1 {
			return Matrix{}, fail(line, "", "%d fields, but the header has %d", len(rec), I+1)
		}
		m.Persons = append(m.Persons, strings.TrimSpace(rec[0]))
		for i, cell := range rec[1:] {
			v, blank, ok := parseCategory(cell)
			switch {
			case blank:
				cells = append(cells, Missing)
			case ok && v >= 0 && v <= top:
				cells = append(cells, int8(v))
			case ok:
				return Matrix{}, fail(line, m.Items[i], "%d is outside 0..%d", v, top)
			default:
				return Matrix{}, fail(line, m.Items[i], "%s", describeBadCell(cell, top))
			}
		}
	}
	m.Data = make([][]int8, len(m.Persons))
	for n := range m.Data {
		m.Data[n] = cells[n*I : (n+1)*I : (n+1)*I]
	}
	return m, nil
}

// parseCategory reads a cell as an integer; blank means no answer.
func parseCategory(cell string) (v int, blank, ok bool) {
	// Fast path for the overwhelmingly common one-digit cell.
	if len(cell) == 1 && cell[0] >= '0' && cell[0] <= '9' {
		return int(cell[0] - '0'), false, true
	}
	s := strings.TrimSpace(cell)
	if s == "" {
		return 0, true, true
	}
	v, err := strconv.Atoi(s)
	return v, false, err == nil
}

func describeBadCell(cell string, top int) string {
	s := strings.TrimSpace(cell)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return fmt.Sprintf("%q is not a whole number 0..%d", s, top)
	}
	return fmt.Sprintf("%q is not a number", s)
}

// csvScanner splits RFC 4180 records out of an in-memory string.
type csvScanner struct {
	src     string
	pos     int
	line    int // line number at pos
	errLine int
	fields  []string
}

// record returns the next non-blank record and the line it starts on, or io.EOF.
// The returned slice is reused by the next call.
func (s *csvScanner) record() ([]string, int, error) {
	// Skip blank lines, as encoding/csv does.
	for s.pos < len(s.src) {
		switch {
		case s.src[s.pos] == '\n':
			s.pos++
			s.line++
			continue
		case s.src[s.pos] == '\r' && s.pos+1 < len(s.src) && s.src[s.pos+1] == '\n':
			s.pos += 2
			s.line++
			continue
		}
		break
	}
	if s.pos >= len(s.src) {
		return nil, 0, io.EOF
	}
	start := s.line
	s.fields = s.fields[:0]
	for {
		var field string
		if s.pos < len(s.src) && s.src[s.pos] == '"' {
			f, err := s.quoted()
			if err != nil {
				return nil, 0, err
			}
			field = f
		} else {
			end := s.pos
			for end < len(s.src) && s.src[end] != ',' && s.src[end] != '\n' {
				end++
			}
			field = s.src[s.pos:end]
			if end < len(s.src) && s.src[end] == '\n' || end == len(s.src) {
				field = strings.TrimSuffix(field, "\r")
			}
			if strings.IndexByte(field, '"') >= 0 {
				s.errLine = s.line
				return nil, 0, fmt.Errorf("a quote inside an unquoted field: %q", field)
			}
			s.pos = end
		}
		s.fields = append(s.fields, field)
		if s.pos >= len(s.src) {
			return s.fields, start, nil
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
		case '\n':
			s.pos++
			s.line++
			return s.fields, start, nil
		}
	}
}

// quoted reads a quoted field starting at the opening quote.
func (s *csvScanner) quoted() (string, error) {
	startLine := s.line
	i := s.pos + 1
	var b strings.Builder
	plain := true // no doubled quotes: the field is a substring
	begin := i
	for {
		j := strings.IndexByte(s.src[i:], '"')
		if j < 0 {
			s.errLine = startLine
			return "", fmt.Errorf("a quoted field is never closed")
		}
		s.line += strings.Count(s.src[i:i+j], "\n")
		i += j
		if i+1 < len(s.src) && s.src[i+1] == '"' {
			b.WriteString(s.src[begin:i])
			plain = false
			b.WriteByte('"')
			i += 2
			begin = i
			continue
		}
		var field string
		if plain {
			field = s.src[begin:i]
		} else {
			b.WriteString(s.src[begin:i])
			field = b.String()
		}
		i++ // closing quote
		if i < len(s.src) && s.src[i] == '\r' && i+1 < len(s.src) && s.src[i+1] == '\n' {
			i++
		}
		if i < len(s.src) && s.src[i] != ',' && s.src[i] != '\n' {
			s.errLine = s.line
			return "", fmt.Errorf("text after the closing quote of a quoted field")
		}
		s.pos = i
		return field, nil
	}
}
