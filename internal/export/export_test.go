package export_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/trustpulse/trustpulse/internal/export"
)

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":            "'=1+1",
		"+SUM(A1)":        "'+SUM(A1)",
		"-2+3":            "'-2+3",
		"@cmd":            "'@cmd",
		"\tx":             "'\tx",
		"\rx":             "'\rx",
		"Grade 5":         "Grade 5",
		"":                "",
		"a=b":             "a=b",
		"’=curly is text": "’=curly is text",
	} {
		if got := export.SafeText(in); got != want {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
	}
}

var table = export.Table{
	Name:    "Sub/groups: by [grade]",
	Columns: []string{"group", "n", "mean", "=header"},
	Rows: [][]export.Cell{
		{export.Text("=HYPERLINK(\"http://evil\")"), export.Int(12), export.Number(-3.25), export.Text("-x")},
		{export.Text("05"), export.Empty(), export.Number(math.NaN()), export.Text("fewer than 10 responses")},
	},
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, table); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "\ufeff") {
		t.Errorf("no byte order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"group", "n", "mean", "'=header"},
		{`'=HYPERLINK("http://evil")`, "12", "-3.25", "'-x"},
		{"05", "", "", "fewer than 10 responses"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestWriteXLSX(t *testing.T) {
	var buf bytes.Buffer
	second := export.Table{Name: table.Name, Columns: []string{"a"}, Rows: [][]export.Cell{{export.Int(1)}}}
	if err := export.WriteXLSX(&buf, table, second); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 2 || sheets[0] != "Sub_groups_ by _grade_" || sheets[1] != "Sub_groups_ by _grade_ (2)" {
		t.Fatalf("sheets %q", sheets)
	}
	get := func(cell string) (string, excelize.CellType) {
		v, err := f.GetCellValue(sheets[0], cell)
		if err != nil {
			t.Fatal(err)
		}
		typ, err := f.GetCellType(sheets[0], cell)
		if err != nil {
			t.Fatal(err)
		}
		return v, typ
	}
	for cell, want := range map[string]string{"A1": "group", "D1": "'=header", "A2": `'=HYPERLINK("http://evil")`, "D2": "'-x", "A3": "05", "B3": "", "C3": "", "D3": "fewer than 10 responses"} {
		if v, _ := get(cell); v != want {
			t.Errorf("%s = %q, want %q", cell, v, want)
		}
	}
	for _, cell := range []string{"B2", "C2"} {
		if v, typ := get(cell); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s = %q is of type %v, want a number", cell, v, typ)
		}
	}
	if v, _ := get("C2"); v != "-3.25" {
		t.Errorf("C2 = %q, want -3.25", v)
	}
	if f, _ := f.GetCellFormula(sheets[0], "A2"); f != "" {
		t.Errorf("A2 became a formula: %q", f)
	}
}
