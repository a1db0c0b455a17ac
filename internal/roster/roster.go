// Package roster imports rosters — OneRoster 1.1 CSV, or the plain CSV template for schools without
// an information system — into schools, people with their subgroup attributes, guardian links,
// classes and enrollments. It never sends anything.
//
// An import is all or nothing: every file is read and checked first, then everything is written in
// one transaction, so a problem anywhere leaves the district exactly as it was. People are never
// deleted, only deactivated, because their past responses still count.
package roster

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Formats.
const (
	FormatOneRoster = "oneroster"
	FormatSimple    = "simple"
)

// Modes. ModeFull is OneRoster's "bulk": what a file leaves out is no longer active.
const (
	ModeFull  = "full"
	ModeDelta = "delta"
)

// Options steer one import.
type Options struct {
	// DistrictSlug names the district to import into; it is created if missing. Optional for
	// OneRoster when the orgs file has exactly one district org (its identifier, else its name,
	// gives the slug); required for the simple format.
	DistrictSlug string
	// Format is FormatOneRoster (the default) or FormatSimple.
	Format string
	// Mode is "" (as the manifest says; full for the simple format), ModeFull or ModeDelta. A mode
	// given here applies to every file the manifest does not mark absent.
	Mode string
	// Source names the import in its history (e.g. an uploaded file's name); default: the path's
	// base name.
	Source string
	// Log receives progress; nil discards it.
	Log *slog.Logger
	// Limits bound what the files may make the import read and keep; zero fields take
	// DefaultLimits.
	Limits Limits
	// MassDeactivationShare is the largest share (0–1] of the district's active people an import
	// may deactivate without AllowMassDeactivation; 0 means DefaultMassDeactivationShare.
	MassDeactivationShare float64
	// AllowMassDeactivation is the importer's explicit confirmation that more may go.
	AllowMassDeactivation bool
	// Progress, when set, hears how far the import is (called often; keep it cheap).
	Progress func(Progress)
	// Audit says who asked for the import, for its audit row; empty is the command line.
	Audit Actor
}

// Actor is who an import's audit row names.
type Actor struct {
	UserID *int64
	Actor  string // e-mail of the staff member; "" is the command line ("cli")
	IP     string
}

// DefaultMassDeactivationShare: an import may deactivate up to a fifth of the active people
// without a confirmation; a normal year-end roll-over stays below that, a broken export does not.
const DefaultMassDeactivationShare = 0.2

// Import phases, as Progress reports them.
const (
	PhaseReading = "reading" // Done and Total are decompressed bytes of the roster files
	PhaseWriting = "writing" // Done and Total are people
)

// Progress is how far one import is.
type Progress struct {
	Phase       string
	Done, Total int64
}

// Percent is Done of Total, 0–100.
func (p Progress) Percent() int {
	if p.Total <= 0 {
		return 0
	}
	return int(min(100, p.Done*100/p.Total))
}

// MassDeactivationError refuses an import that would deactivate more than the allowed share of
// the district's active people; nothing was written.
type MassDeactivationError struct {
	Deactivated, Active int
	Share               float64
}

func (e *MassDeactivationError) Error() string { return e.Reason().Msg }

// Reason is the refusal as the job and the history keep it, for the roster page to word.
func (e *MassDeactivationError) Reason() *Reason {
	return newReason("mass_deactivation", "this import would deactivate %d of %d active people (more than %.0f%%); nothing was imported — confirm the mass deactivation to go ahead",
		"Deactivated", e.Deactivated, "Count", e.Active, "Share", e.Share*100)
}

// Result is what an import left active in the district, and its warnings.
type Result struct {
	Schools, Students, Staff, Guardians, GuardianLinks int
	Warnings                                           []Problem // the first Limits.MaxProblems
	WarningTotal                                       int       // every warning, listed or not
	DistrictID                                         int64
	ImportID                                           int64 // the roster_imports row
	PeopleCreated, PeopleUpdated, PeopleDeactivated    int
}

// Summary is the command's last line.
func (r Result) Summary() string {
	return fmt.Sprintf("imported: %d schools, %d students, %d staff, %d guardians, %d guardian links",
		r.Schools, r.Students, r.Staff, r.Guardians, r.GuardianLinks)
}

// Problem is one finding at a physical line of one file. Line 0 means the file as a whole (a
// missing file); line 1 is the header.
//
// ID and Data word it on a staff page: ID is its message in the staff catalog
// (locales/dashboard-roster-problems.<tag>.toml) and Data the message's placeholders, each as Msg
// shows it (a quoted value with its quotes), so the catalog's English renders as Msg. Msg is the
// English sentence the command line, Error() and Report print.
type Problem struct {
	File    string         `json:"file"`
	Line    int            `json:"line"`
	Msg     string         `json:"msg"`
	Warning bool           `json:"warning,omitempty"` // the row was imported without the bad field
	ID      string         `json:"id,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

func (p Problem) String() string {
	w := ""
	if p.Warning {
		w = "warning: "
	}
	return fmt.Sprintf("%s:%d: %s%s", p.File, p.Line, w, p.Msg)
}

// ImportError lists the fatal problems (the first Limits.MaxProblems of them) of an import
// that changed nothing.
type ImportError struct {
	Problems []Problem
	Total    int // every problem, listed or not
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("%d problems in the roster; nothing was imported", max(e.Total, len(e.Problems)))
}

// MaxListed is how many problems or warnings a report lists before summing up the rest.
const MaxListed = 100

// Report renders problems as "file:line: problem" lines, the first limit of them, then a count
// of the rest ("… and 57 more problems"). noun is "problems" or "warnings".
func Report(ps []Problem, limit int, noun string) []string {
	return ReportTotal(ps, len(ps), limit, noun)
}

// ReportTotal is Report for the first of total problems: the count of the rest includes those
// that were counted but not kept.
func ReportTotal(ps []Problem, total, limit int, noun string) []string {
	var out []string
	for i, p := range ps {
		if i == limit {
			break
		}
		out = append(out, p.String())
	}
	if rest := max(total, len(ps)) - len(out); rest > 0 {
		out = append(out, fmt.Sprintf("… and %d more %s", rest, noun))
	}
	return out
}

// Import reads a roster from path — a folder, or a .zip holding the files at its top or in one
// folder — and applies it to a district. Fatal problems come back as *ImportError and change
// nothing (the attempt is recorded, with its problems, if the district exists).
func Import(ctx context.Context, s *store.Store, path string, opt Options) (Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Result{}, fmt.Errorf("roster import: %w", err)
	}
	if opt.Source == "" {
		opt.Source = filepath.Base(filepath.Clean(path))
	}
	if st.IsDir() {
		return ImportFS(ctx, s, os.DirFS(path), opt)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return Result{}, fmt.Errorf("roster import: %s is neither a folder nor a zip file", path)
		}
		return Result{}, fmt.Errorf("roster import: open %s: %w", path, err)
	}
	defer zr.Close()
	return ImportFS(ctx, s, zr, opt)
}

// ImportZip is Import for a zip already in hand (an upload), of the given size.
func ImportZip(ctx context.Context, s *store.Store, r io.ReaderAt, size int64, opt Options) (Result, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Result{}, fmt.Errorf("roster import: not a zip file: %w", err)
	}
	return ImportFS(ctx, s, zr, opt)
}

// ImportFS is Import for files in fsys (at its top, or in its one top-level folder).
func ImportFS(ctx context.Context, s *store.Store, fsys fs.FS, opt Options) (Result, error) {
	switch opt.Format {
	case "":
		opt.Format = FormatOneRoster
	case FormatOneRoster, FormatSimple:
	default:
		return Result{}, fmt.Errorf("roster import: unknown format %q (want oneroster or simple)", opt.Format)
	}
	switch opt.Mode {
	case "", ModeFull, ModeDelta:
	default:
		return Result{}, fmt.Errorf("roster import: unknown mode %q (want full or delta)", opt.Mode)
	}
	opt.DistrictSlug = strings.TrimSpace(opt.DistrictSlug)
	if opt.Format == FormatSimple && opt.DistrictSlug == "" {
		return Result{}, errors.New("roster import: the simple format needs a district slug (--district)")
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Source == "" {
		opt.Source = "roster"
	}
	opt.Limits = opt.Limits.withDefaults()
	im := &importer{s: s, opt: opt, log: opt.Log, started: s.Now()}
	return im.run(ctx, fsys)
}
