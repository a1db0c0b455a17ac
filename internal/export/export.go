// Package export writes tables as CSV and XLSX downloads. It knows nothing of results or HTTP:
// callers hand it tables already cleared by the privacy floor, and it writes them safely —
// text that a spreadsheet would run as a formula is defused, and numbers stay numbers.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Cell is one value of a table: text, a number, or empty.
type Cell struct {
	text  string
	num   float64
	isNum bool
}

// Text is a text cell.
func Text(s string) Cell { return Cell{text: s} }

// Number is a numeric cell; NaN and infinities are written empty.
func Number(f float64) Cell {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Cell{}
	}
	return Cell{num: f, isNum: true}
}

// Int is a whole-number cell.
func Int(n int) Cell { return Cell{num: float64(n), isNum: true} }

// Empty is a blank cell.
func Empty() Cell { return Cell{} }

// IsNumber reports whether the cell holds a number (tests use it to check nothing hidden leaks).
func (c Cell) IsNumber() bool { return c.isNum }

// String is the cell as written to CSV (text already made safe).
func (c Cell) String() string {
	if c.isNum {
		return strconv.FormatFloat(c.num, 'f', -1, 64)
	}
	return SafeText(c.text)
}

// Table is one sheet (XLSX) or one file (CSV): a header row and data rows.
type Table struct {
	Name    string // sheet name; at most 31 characters are used
	Columns []string
	Rows    [][]Cell
}

// SafeText defuses formula injection: text starting with =, +, -, @, a tab or a carriage return
// is what spreadsheets evaluate, so it gets a leading apostrophe and is read as text.
func SafeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes t as RFC 4180 CSV with a header row, preceded by a UTF-8 byte order mark so
// spreadsheet programs read accented text correctly.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = SafeText(c)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rec := make([]string, 0, len(t.Columns))
	for _, row := range t.Rows {
		rec = rec[:0]
		for _, c := range row {
			rec = append(rec, c.String())
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteXLSX writes the tables as one workbook, one sheet each, through excelize's stream writer
// so memory stays flat however many rows there are. Numbers are numeric cells.
func WriteXLSX(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	used := map[string]bool{}
	for i, t := range tables {
		name := sheetName(t.Name, i, used)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
		if err := writeSheet(f, name, t, bold); err != nil {
			return fmt.Errorf("write xlsx sheet %q: %w", name, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, name string, t Table, headerStyle int) error {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = excelize.Cell{StyleID: headerStyle, Value: SafeText(c)}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for r, row := range t.Rows {
		vals := make([]any, len(row))
		for i, c := range row {
			switch {
			case c.isNum:
				vals[i] = c.num
			case c.text != "":
				vals[i] = SafeText(c.text)
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, r+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// sheetName makes a valid, unique sheet name: at most 31 characters, none of []:*?/\.
func sheetName(name string, i int, used map[string]bool) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, strings.Trim(name, "' "))
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	if name == "" {
		name = fmt.Sprintf("Sheet%d", i+1)
	}
	base := name
	for n := 2; used[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		r := []rune(base)
		if len(r)+len(suffix) > 31 {
			r = r[:31-len(suffix)]
		}
		name = string(r) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}
