package scoring

import (
	"errors"
	"fmt"
	"strings"
)

// Missing marks an unanswered cell of a Matrix or an answer vector.
const Missing int8 = -1

// MinPersons is the smallest number of respondents Calibrate accepts. Below
// it item locations carry standard errors of half a logit or more, which is
// no basis for anchoring later waves.
const MinPersons = 30

// Matrix holds persons × items answers in categories 0..K-1 (Missing for no answer).
// Data[n][i] is person n's answer to item i; every row has len(Items) cells.
type Matrix struct {
	Items   []string
	Persons []string
	K       int
	Data    [][]int8
}

// ErrNoAnswers is returned when a person has no answered item to be measured on.
var ErrNoAnswers = errors.New("scoring: no answered items")

// InputError is a problem with the data rather than with the program, so the
// CLI can exit 1 with a message that points at the offending line or item.
type InputError struct {
	Source  string // file name; empty when the data did not come from a file
	Line    int    // 1-based line in Source; 0 when the problem is not on one line
	Item    string // item id; empty when the problem is not about one item
	Problem string
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Item != "" {
		b.WriteString("item ")
		b.WriteString(e.Item)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

func inputErr(item, format string, args ...any) *InputError {
	return &InputError{Item: item, Problem: fmt.Sprintf(format, args...)}
}

// Validate checks the shape of m and that every answer is Missing or in 0..K-1.
// It does not judge whether the data can be calibrated; Calibrate does that.
func (m Matrix) Validate() error {
	if m.K < 2 {
		return inputErr("", "%d categories; a rating scale needs at least 2", m.K)
	}
	if m.K > 100 {
		// Keeps raw scores and per-category tables small; no survey item has 100 options.
		return inputErr("", "%d categories; at most 100 are supported", m.K)
	}
	if len(m.Items) == 0 {
		return inputErr("", "no items")
	}
	if len(m.Persons) != 0 && len(m.Persons) != len(m.Data) {
		return inputErr("", "%d person ids for %d rows of answers", len(m.Persons), len(m.Data))
	}
	seen := make(map[string]bool, len(m.Items))
	for _, id := range m.Items {
		if id == "" {
			return inputErr("", "an item has an empty id")
		}
		if seen[id] {
			return inputErr(id, "appears twice")
		}
		seen[id] = true
	}
	top := int8(m.K - 1)
	for n, row := range m.Data {
		if len(row) != len(m.Items) {
			return inputErr("", "%s has %d answers for %d items", m.personName(n), len(row), len(m.Items))
		}
		for i, x := range row {
			if x != Missing && (x < 0 || x > top) {
				return inputErr(m.Items[i], "%s answered %d, outside 0..%d", m.personName(n), x, top)
			}
		}
	}
	return nil
}

func (m Matrix) personName(n int) string {
	if n < len(m.Persons) {
		return fmt.Sprintf("person %q (row %d)", m.Persons[n], n+1)
	}
	return fmt.Sprintf("person in row %d", n+1)
}
