package roster

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Limits bound what one import may make the process read and keep, whatever the files say: a
// roster comes from outside (an upload, a vendor's export), and a 1 MB zip can hold a 1 GiB line.
// Every limit is checked while streaming, so a file over a limit is stopped there, with a
// "file:line: problem" like any other.
type Limits struct {
	// MaxBytes is the most decompressed bytes all roster files together may hold.
	MaxBytes int64
	// MaxRatio is the most one zip entry may expand (decompressed : compressed bytes), checked
	// once an entry has grown past ratioFloor; a real CSV export compresses 5–20 times.
	MaxRatio int64
	// MaxLine is the most bytes of one CSV record (one physical line, or several when a quoted
	// field holds line breaks).
	MaxLine int
	// MaxField is the most bytes of one field.
	MaxField int
	// MaxProblems is how many problems, and how many warnings, an import keeps to report; the
	// rest are only counted ("… and 12345 more problems").
	MaxProblems int
}

// DefaultLimits fit the largest district exports we know of with room to spare (a 1M-student
// district's OneRoster export is a few hundred MB) while keeping a hostile file's cost small.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 1 << 30, MaxRatio: 100, MaxLine: 64 << 10, MaxField: 16 << 10, MaxProblems: MaxListed}
}

// withDefaults fills every unset limit from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxLine <= 0 {
		l.MaxLine = d.MaxLine
	}
	if l.MaxField <= 0 {
		l.MaxField = d.MaxField
	}
	if l.MaxProblems <= 0 {
		l.MaxProblems = d.MaxProblems
	}
	return l
}

// ratioFloor: small entries are not held to MaxRatio, as a short file of repeated values can
// compress far better than a real export without being any danger.
const ratioFloor = 1 << 20

// errSpent: the budget is spent, which is reported where it ran out; later files are not read.
var errSpent = errors.New("roster size limit already reached")

// limitError stops reading a file that breaks a limit, at the physical line where it did.
type limitError struct {
	line   int
	id     string // the problem's message (see problems.add)
	format string
	kv     []any
}

func limitErr(line int, id, format string, kv ...any) *limitError {
	return &limitError{line: line, id: id, format: format, kv: kv}
}

func (e *limitError) Error() string { msg, _ := say(e.format, e.kv...); return msg }

// budget is what is left of MaxBytes, shared by every file of an import. A file opened a second
// time (users are streamed twice) is held to the size it had the first time.
type budget struct {
	left, used int64
	seen       map[string]int64
	spent      bool // MaxBytes was passed: that is reported once, and no further file is read
	// onRead hears the decompressed bytes read so far by every file together (progress).
	onRead func(used int64)
}

func newBudget(max int64) *budget { return &budget{left: max, seen: map[string]int64{}} }

// boundedReader counts a file's decompressed bytes against the import's budget and, for a zip
// entry, against its compressed size; it also tracks the physical line for the error.
type boundedReader struct {
	r          io.Reader
	name       string
	lim        Limits
	b          *budget
	first      bool  // the first reading of this file: it spends the budget
	allowed    int64 // bytes this reading may still take
	compressed int64 // the zip entry's compressed size; 0 for a plain file
	n          int64
	lines      *lineLimiter
	err        error // a limit passed, returned once the bytes before it are handed over
}

// bound wraps f, opened as path name, in the limits; it refuses at once a zip entry whose
// declared sizes already break them.
func bound(f fs.File, name string, lim Limits, b *budget) (io.Reader, *lineLimiter, error) {
	br := &boundedReader{r: f, name: name, lim: lim, b: b}
	if prev, ok := b.seen[name]; ok {
		br.allowed = prev
	} else if b.spent {
		return nil, nil, errSpent
	} else {
		br.first, br.allowed = true, b.left
	}
	if st, err := f.Stat(); err == nil {
		if zh, ok := st.Sys().(*zip.FileHeader); ok {
			br.compressed = int64(zh.CompressedSize64)
			if err := br.check(int64(zh.UncompressedSize64), 1, "is"); err != nil {
				return nil, nil, err
			}
		}
	}
	br.lines = &lineLimiter{r: br, max: lim.MaxLine, line: 1, recLine: 1}
	return br.lines, br.lines, nil
}

// check says whether size decompressed bytes are within the limits; verb is "is" for the size a
// zip entry declares and "grew past" while reading.
func (br *boundedReader) check(size int64, line int, verb string) error {
	if br.compressed > 0 && size > ratioFloor && size/br.compressed > br.lim.MaxRatio {
		id, format := "zip_bomb_grew", "the zip entry expands more than %d times (%d compressed bytes grew past %s); refusing a likely zip bomb"
		if verb == "is" {
			id, format = "zip_bomb", "the zip entry expands more than %d times (%d compressed bytes is %s); refusing a likely zip bomb"
		}
		return limitErr(line, id, format, "Ratio", br.lim.MaxRatio, "Compressed", br.compressed, "Size", sizeText(size))
	}
	if size > br.allowed {
		if !br.first {
			return limitErr(line, "file_changed", "the file changed while it was being imported (it grew past %d bytes)", "Max", br.allowed)
		}
		if verb == "is" {
			return limitErr(line, "entry_too_big", "the zip entry is %s decompressed; the roster files may hold %s in all", "Size", sizeText(size), "Max", sizeText(br.lim.MaxBytes))
		}
		br.b.spent = true
		return limitErr(line, "files_too_big", "the roster files hold more than %s decompressed, the import limit", "Max", sizeText(br.lim.MaxBytes))
	}
	return nil
}

func (br *boundedReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	if rest := br.allowed - br.n + 1; int64(len(p)) > rest {
		p = p[:rest] // read one byte past the limit at most, to know it was passed
	}
	n, err := br.r.Read(p)
	if cerr := br.check(br.n+int64(n), 0, "grew past"); cerr != nil {
		// Hand over the bytes within the limit first, so the error names the line it is on.
		if n > 0 {
			n--
		}
		br.err = cerr
		err = nil
	}
	br.n += int64(n)
	if br.first && n > 0 {
		br.b.left -= int64(n)
		br.b.used += int64(n)
		br.b.seen[br.name] += int64(n)
		if br.b.onRead != nil {
			br.b.onRead(br.b.used)
		}
	}
	return n, err
}

// lineLimiter refuses a CSV record longer than max bytes before the CSV reader buffers it. It
// follows quoting the way RFC 4180 does (every '"' toggles; a doubled quote toggles twice), so a
// line break inside a quoted field does not end the record.
type lineLimiter struct {
	r       io.Reader
	max     int
	line    int // physical line of the byte being read
	recLine int // physical line the current record started on
	cur     int // bytes of the current record so far
	inQuote bool
	err     error
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	if lerr, ok := err.(*limitError); ok {
		lerr.line = l.line
		l.err = lerr
	}
	for i := 0; i < n; i++ {
		switch p[i] {
		case '"':
			l.inQuote = !l.inQuote
		case '\n':
			l.line++
			if !l.inQuote {
				l.cur = 0
				l.recLine = l.line
				continue
			}
		}
		l.cur++
		if l.cur > l.max {
			start := l.recLine
			if start == 0 {
				start = 1
			}
			l.err = limitErr(start, "line_too_long", "the line is longer than %s, the limit for one CSV record", "Max", sizeText(int64(l.max)))
			// Hand over what came before the record, never the record itself: the CSV reader
			// must not see a cut record as a complete one.
			return 0, l.err
		}
	}
	return n, err
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && (n%(1<<20) == 0 || n >= 100<<20):
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
