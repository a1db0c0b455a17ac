package scoring

import (
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestReadMatrixCSV(t *testing.T) {
	M := Missing
	tests := []struct {
		name    string
		in      string
		items   []string
		persons []string
		data    [][]int8
	}{
		{"plain", "id,q1,q2\na,0,3\nb,,1\n", []string{"q1", "q2"}, []string{"a", "b"}, [][]int8{{0, 3}, {M, 1}}},
		{"no final newline", "id,q1,q2\na,0,3", []string{"q1", "q2"}, []string{"a"}, [][]int8{{0, 3}}},
		{"CRLF and BOM", "\ufeffid,q1,q2\r\na,2,\r\nb,1,0\r\n", []string{"q1", "q2"}, []string{"a", "b"}, [][]int8{{2, M}, {1, 0}}},
		{"blank lines skipped", "id,q1\n\na,1\n\r\n\nb,2\n\n", []string{"q1"}, []string{"a", "b"}, [][]int8{{1}, {2}}},
		{"quoted fields", "\"id\",\"q,1\",q2\n\"Smith, \"\"J\"\"\",\"3\",\" \"\n", []string{"q,1", "q2"}, []string{`Smith, "J"`}, [][]int8{{3, M}}},
		{"quoted id with newline", "id,q1\n\"two\nlines\",1\nb,0\n", []string{"q1"}, []string{"two\nlines", "b"}, [][]int8{{1}, {0}}},
		{"spaces around cells", "id, q1 ,q2\n a , 2 ,  \n", []string{"q1", "q2"}, []string{"a"}, [][]int8{{2, M}}},
		{"all missing row kept", "id,q1,q2\na,,\n", []string{"q1", "q2"}, []string{"a"}, [][]int8{{M, M}}},
		{"header only", "id,q1\n", []string{"q1"}, []string{}, [][]int8{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadMatrixCSV(strings.NewReader(tt.in), "x.csv", 4)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Items, tt.items) || !reflect.DeepEqual(m.Persons, tt.persons) || !reflect.DeepEqual(m.Data, tt.data) || m.K != 4 {
				t.Fatalf("got items %q persons %q data %v K %d", m.Items, m.Persons, m.Data, m.K)
			}
		})
	}
}

func TestReadMatrixCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not a number", "id,q1,q2,q3\na,1,2,3\nb,1,2,x\n", `s.csv line 3: item q3: "x" is not a number`},
		{"decimal", "id,q1\na,1.5\n", `s.csv line 2: item q1: "1.5" is not a whole number 0..3`},
		{"too high", "id,q1,q2\na,1,4\n", `s.csv line 2: item q2: 4 is outside 0..3`},
		{"negative", "id,q1,q2\na,-1,2\n", `s.csv line 2: item q1: -1 is outside 0..3`},
		{"ragged short", "id,q1,q2\na,1,2\nb,1\n", `s.csv line 3: 2 fields, but the header has 3`},
		{"ragged long", "id,q1,q2\na,1,2,3\n", `s.csv line 2: 4 fields, but the header has 3`},
		{"line numbers count blank lines", "id,q1\n\na,1\n\nb,9\n", `s.csv line 5: item q1: 9 is outside 0..3`},
		{"line numbers count newlines in quotes", "id,q1\n\"a\nb\",1\nc,z\n", `s.csv line 4: item q1: "z" is not a number`},
		{"empty file", "", `s.csv: empty file; expected a header id,<item id>,…`},
		{"bad first column", "person,q1\na,1\n", `s.csv line 1: the first column must be "id", found "person"`},
		{"no items", "id\na\n", `s.csv line 1: no item columns after "id"`},
		{"duplicate item", "id,q1,q1\n", `s.csv line 1: item q1: appears twice in the header`},
		{"empty item id", "id,q1,,q3\n", `s.csv line 1: column 3 has an empty item id`},
		{"unclosed quote", "id,q1\n\"a,1\n", `s.csv line 2: a quoted field is never closed`},
		{"stray quote", "id,q1\na\"b,1\n", `s.csv line 2: a quote inside an unquoted field: "a\"b"`},
		{"text after quote", "id,q1\n\"a\"b,1\n", `s.csv line 2: text after the closing quote of a quoted field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadMatrixCSV(strings.NewReader(tt.in), "s.csv", 4)
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%v is not an *InputError", err)
			}
			if err.Error() != tt.want {
				t.Fatalf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

// The hand-written parser must agree with encoding/csv on well-formed input.
func TestReadMatrixCSVAgreesWithEncodingCSV(t *testing.T) {
	m, _ := simulate(simSpec{persons: 300, delta: simDelta8, tau: simTau3, thetaSD: 1, missing: 0.2, seed: 8})
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(append([]string{"id"}, m.Items...))
	for n, row := range m.Data {
		rec := []string{fmt.Sprintf("%s, \"x\"", m.Persons[n])}
		for _, x := range row {
			if x == Missing {
				rec = append(rec, "")
			} else {
				rec = append(rec, fmt.Sprint(x))
			}
		}
		w.Write(rec)
	}
	w.Flush()
	got, err := ReadMatrixCSV(strings.NewReader(b.String()), "gen.csv", 4)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	for n, rec := range ref[1:] {
		if got.Persons[n] != rec[0] {
			t.Fatalf("row %d: id %q, encoding/csv %q", n, got.Persons[n], rec[0])
		}
	}
	if !reflect.DeepEqual(got.Data, m.Data) {
		t.Fatal("answers differ from the written matrix")
	}
}
