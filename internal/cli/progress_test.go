package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
)

// Off a terminal the bar prints a plain line at each tenth of each phase; small imports print
// nothing.
func TestProgressBarPlainLines(t *testing.T) {
	var out bytes.Buffer
	b := newProgressBar(&out)
	total := int64(10 << 20)
	for done := int64(0); done <= total; done += 1 << 18 {
		b.update(roster.Progress{Phase: roster.PhaseReading, Done: done, Total: total})
	}
	b.update(roster.Progress{Phase: roster.PhaseWriting, Total: 2000})
	b.update(roster.Progress{Phase: roster.PhaseWriting, Done: 1000, Total: 2000})
	b.done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 13 || lines[0] != "roster import: reading 0% (0.0 of 10.5 MB)" || lines[10] != "roster import: reading 100% (10.5 of 10.5 MB)" ||
		lines[12] != "roster import: writing 50% (1000 of 2000 people)" {
		t.Fatalf("lines:\n%s", out.String())
	}
	out.Reset()
	small := newProgressBar(&out)
	small.update(roster.Progress{Phase: roster.PhaseReading, Total: 1000})
	small.update(roster.Progress{Phase: roster.PhaseReading, Done: 1000, Total: 1000})
	if out.Len() != 0 {
		t.Fatalf("a small import printed %q", out.String())
	}
}

// On a terminal the bar is redrawn in place, only when the percentage moves, and its line is
// ended before anything else is printed.
func TestProgressBarTerminal(t *testing.T) {
	var out bytes.Buffer
	b := &progressBar{w: &out, terminal: true, last: -1}
	total := int64(8 << 20)
	b.update(roster.Progress{Phase: roster.PhaseReading, Total: total})
	b.update(roster.Progress{Phase: roster.PhaseReading, Done: 1, Total: total}) // same percentage
	b.update(roster.Progress{Phase: roster.PhaseReading, Done: total / 2, Total: total})
	b.done()
	s := out.String()
	if strings.Count(s, "\r") != 2 || !strings.Contains(s, "[###############...............]  50%") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("terminal output %q", s)
	}
}
