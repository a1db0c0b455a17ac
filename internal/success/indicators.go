package success

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// ActionIndicatorsImport is the audit action of a grading period's import.
const ActionIndicatorsImport = "indicators.import"

// Limits of an indicators file: a large district's students, one row each.
const (
	IndicatorsMaxBytes = 32 << 20
	IndicatorsMaxRows  = 500_000
	// ChronicThreshold is the attendance rate (percent) below which a student missing the
	// chronically_absent column counts as chronically absent: missing 10% or more of school days,
	// the usual US definition.
	ChronicThreshold = 90.0
)

// Indicator is one student's row of a grading period.
type Indicator struct {
	Line           int // in the file, for messages
	SourcedID      string
	AttendanceRate float64 // percent of days attended, 0–100
	Chronic        bool
	CoursesFailing int
	Incidents      *int // behaviour incidents, when the file has the column
}

// FileProblem is a problem at a line of an imported file. Why is what is wrong, worded for the
// import page: its message is in locales/dashboard-indicators-problems.<tag>.toml and its English
// sentence is what String says after the file and line.
type FileProblem struct {
	File string
	Line int
	Why  *refusal.Error
}

func (p FileProblem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Why.Msg) }

// ImportError lists what is wrong with a file; nothing was imported.
type ImportError struct {
	Problems []FileProblem
	Total    int
}

func (e *ImportError) Error() string { return e.Refusal().Msg }

// Refusal is the error's summary for the import page (how many problems, nothing imported), with
// its message in locales/dashboard-indicators-problems.<tag>.toml; it reads as Error.
func (e *ImportError) Refusal() *refusal.Error {
	n := max(e.Total, len(e.Problems))
	return problem("summary", fmt.Sprintf("%d problems in the file; nothing was imported", n), "Count", n)
}

// add counts a problem at line and keeps it when fewer than maxProblems are kept.
func (e *ImportError) add(file string, line int, why *refusal.Error) {
	e.Total++
	if len(e.Problems) < maxProblems {
		e.Problems = append(e.Problems, FileProblem{file, line, why})
	}
}

// problem is an indicators file's problem: message refusal.indicators.<name> of
// locales/dashboard-indicators-problems.<tag>.toml, its English sentence msg and its placeholders
// kv. The field at fault is the upload's file.
func problem(name, msg string, kv ...any) *refusal.Error {
	return refusal.New("file", "refusal.indicators."+name, msg, kv...)
}

const maxProblems = 50

// indicatorColumns are the file's columns; the first four are required.
var indicatorColumns = []string{"student_sourced_id", "attendance_rate", "chronically_absent", "courses_failing", "behavior_incidents"}

// ParseIndicators reads a grading period's CSV: a header naming at least student_sourced_id,
// attendance_rate and courses_failing (chronically_absent and behavior_incidents optional, any
// order), then one row per student. It is pure and bounded: at most IndicatorsMaxRows rows, every
// problem reported with its line (up to 50, with the total).
func ParseIndicators(name string, r io.Reader) ([]Indicator, error) {
	data, err := io.ReadAll(io.LimitReader(r, IndicatorsMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	ie := &ImportError{}
	add := func(line int, why *refusal.Error) { ie.add(name, line, why) }
	if len(data) > IndicatorsMaxBytes {
		mb := IndicatorsMaxBytes >> 20
		add(1, problem("too_large", fmt.Sprintf("the file is larger than %d MB; split it by school", mb), "Count", mb))
		return nil, ie
	}
	if !utf8.Valid(data) {
		add(1, problem("not_utf8", "the file is not UTF-8 text; save it as CSV UTF-8"))
		return nil, ie
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		cols := strings.Join(indicatorColumns[:4], ",")
		add(1, problem("empty", "the file is empty; the first line must name the columns: "+cols, "Columns", cols))
		return nil, ie
	}
	if err != nil {
		add(1, csvProblem(err))
		return nil, ie
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup {
			add(1, problem("column_twice", fmt.Sprintf("column %q appears twice", h), "Column", h))
		}
		col[h] = i
		if !slices.Contains(indicatorColumns, h) {
			cols := strings.Join(indicatorColumns, ", ")
			add(1, problem("unknown_column", fmt.Sprintf("unknown column %q; the columns are %s", h, cols), "Column", h, "Columns", cols))
		}
	}
	for _, need := range []string{"student_sourced_id", "attendance_rate", "courses_failing"} {
		if _, ok := col[need]; !ok {
			add(1, problem("missing_column", fmt.Sprintf("missing column %q", need), "Column", need))
		}
	}
	if ie.Total > 0 {
		return nil, ie
	}
	field := func(rec []string, c string) (string, bool) {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return "", ok
		}
		return strings.TrimSpace(rec[i]), true
	}
	seen := map[string]int{}
	var out []Indicator
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos panics after a failed Read: the line comes from the error.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			add(line, csvProblem(err))
			if ie.Total > maxProblems {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(out) >= IndicatorsMaxRows {
			add(line, problem("too_many_rows", fmt.Sprintf("more than %d rows; split the file by school", IndicatorsMaxRows), "Count", IndicatorsMaxRows))
			break
		}
		in := Indicator{Line: line}
		in.SourcedID, _ = field(rec, "student_sourced_id")
		if in.SourcedID == "" {
			add(line, problem("empty_id", "student_sourced_id is empty"))
		} else if first, dup := seen[in.SourcedID]; dup {
			add(line, problem("duplicate", fmt.Sprintf("student %q is also on line %d; give each student one row", in.SourcedID, first),
				"Student", in.SourcedID, "Line", first))
		} else {
			seen[in.SourcedID] = line
		}
		rate, _ := field(rec, "attendance_rate")
		v, err := strconv.ParseFloat(strings.TrimSuffix(rate, "%"), 64)
		switch {
		case err != nil || math.IsNaN(v):
			add(line, problem("rate_not_number", fmt.Sprintf("attendance_rate %q is not a number; give the percent of days attended, e.g. 93.5", rate), "Value", rate))
		case v < 0 || v > 100:
			add(line, problem("rate_range", fmt.Sprintf("attendance_rate %v is not between 0 and 100", v), "Value", fmt.Sprint(v)))
		default:
			in.AttendanceRate = v
		}
		in.Chronic = in.AttendanceRate < ChronicThreshold
		if raw, ok := field(rec, "chronically_absent"); ok && raw != "" {
			b, okb := parseYesNo(raw)
			if !okb {
				add(line, problem("chronic", fmt.Sprintf("chronically_absent %q: write yes or no", raw), "Value", raw))
			}
			in.Chronic = b
		}
		failing, _ := field(rec, "courses_failing")
		n, err := strconv.Atoi(failing)
		if err != nil || n < 0 || n > 20 {
			add(line, problem("failing", fmt.Sprintf("courses_failing %q: give a whole number from 0 to 20", failing), "Value", failing))
		}
		in.CoursesFailing = n
		if raw, ok := field(rec, "behavior_incidents"); ok && raw != "" {
			k, err := strconv.Atoi(raw)
			if err != nil || k < 0 || k > 1000 {
				add(line, problem("incidents", fmt.Sprintf("behavior_incidents %q: give a whole number from 0 to 1000, or leave it empty", raw), "Value", raw))
			}
			in.Incidents = &k
		}
		out = append(out, in)
		if ie.Total > maxProblems {
			break
		}
	}
	if ie.Total > 0 {
		return nil, ie
	}
	if len(out) == 0 {
		add(2, problem("no_rows", "no student rows after the header"))
		return nil, ie
	}
	return out, nil
}

// csvProblem is a CSV syntax error as a problem: the reader's known errors each have their
// message; any other keeps the reader's English words as its Detail.
func csvProblem(err error) *refusal.Error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := "not valid CSV: " + err.Error()
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return problem("csv_bare_quote", msg)
	case errors.Is(err, csv.ErrQuote):
		return problem("csv_quote", msg)
	}
	return problem("csv", msg, "Detail", err.Error())
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "1":
		return true, true
	case "no", "n", "false", "0":
		return false, true
	}
	return false, false
}

// ImportIndicators stores a grading period's indicators for the district, all or nothing: every
// student must be in the roster (by sourced id); an existing period of the same name is replaced
// whole. District admins only (it spans schools); audited with the counts, never the values.
func (s *Service) ImportIndicators(ctx context.Context, v Viewer, period, file string, r io.Reader) (int, error) {
	if v.Role != auth.DistrictAdmin {
		return 0, ErrNotFound
	}
	period = strings.TrimSpace(period)
	if period == "" || utf8.RuneCountInString(period) > PeriodMax || strings.ContainsAny(period, "\r\n") {
		return 0, refusal.New("period", "refusal.success.period",
			"Name the grading period in up to "+strconv.Itoa(PeriodMax)+" characters, e.g. “Quarter 1, 2026–27”.", "Count", PeriodMax)
	}
	rows, err := ParseIndicators(file, r)
	if err != nil {
		return 0, err
	}
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		ids := map[string]int64{}
		var people []struct {
			ID        int64
			SourcedID string
		}
		if err := tx.Model(&store.Person{}).Where("district_id = ? AND kind = ?", v.DistrictID, store.KindStudent).Select("id, sourced_id").Scan(&people).Error; err != nil {
			return fmt.Errorf("load students: %w", err)
		}
		for _, p := range people {
			ids[p.SourcedID] = p.ID
		}
		ie := &ImportError{}
		for _, row := range rows {
			if ids[row.SourcedID] == 0 {
				ie.add(file, row.Line, problem("not_in_roster", fmt.Sprintf("student %q is not a student in the roster", row.SourcedID), "Student", row.SourcedID))
			}
		}
		if ie.Total > 0 {
			return ie
		}
		var p store.GradingPeriod
		err := tx.Where("district_id = ? AND name = ?", v.DistrictID, period).First(&p).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			p = store.GradingPeriod{DistrictID: v.DistrictID, ID: store.NewID(), Name: period}
		case err != nil:
			return fmt.Errorf("load period: %w", err)
		default:
			if err := tx.Where("district_id = ? AND period_id = ?", v.DistrictID, p.ID).Delete(&store.StudentIndicator{}).Error; err != nil {
				return fmt.Errorf("replace period: %w", err)
			}
		}
		p.ImportedAt, p.ImportedBy, p.Students = s.Store.Now(), v.UserID, len(rows)
		if err := tx.Save(&p).Error; err != nil {
			return fmt.Errorf("save period: %w", err)
		}
		out := make([]store.StudentIndicator, 0, len(rows))
		for _, row := range rows {
			out = append(out, store.StudentIndicator{DistrictID: v.DistrictID, PeriodID: p.ID, StudentID: ids[row.SourcedID],
				AttendanceRate: row.AttendanceRate, ChronicallyAbsent: row.Chronic, CoursesFailing: row.CoursesFailing, Incidents: row.Incidents})
		}
		if err := tx.CreateInBatches(out, 1000).Error; err != nil {
			return fmt.Errorf("store indicators: %w", err)
		}
		return v.audit(tx, s.Store, ActionIndicatorsImport, fmt.Sprintf("period %d", p.ID), fmt.Sprintf("%q from %s: %d students", period, file, len(rows)))
	})
	if err != nil {
		var ie *ImportError
		if errors.As(err, &ie) {
			return 0, ie
		}
		return 0, fmt.Errorf("import indicators: %w", err)
	}
	return len(rows), nil
}

// Periods lists the district's grading periods, newest import first.
func (s *Service) Periods(ctx context.Context, districtID int64) ([]store.GradingPeriod, error) {
	var out []store.GradingPeriod
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("imported_at DESC, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list grading periods: %w", err)
	}
	return out, nil
}
