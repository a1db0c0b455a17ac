package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/trustpulse/trustpulse/internal/roster"
)

// largeImport is the roster size (decompressed bytes) from which the command shows progress: a
// smaller one is done before a bar would be worth reading.
const largeImport = 4 << 20

// progressBar draws a roster import's progress on w: a bar redrawn in place on a terminal, plain
// lines at every tenth otherwise (a log file or CI output wants lines, not carriage returns).
// It redraws only when the percentage changes, so it costs nothing per row.
type progressBar struct {
	w        io.Writer
	terminal bool
	shown    bool // the import was large enough to show
	phase    string
	last     int // last percentage drawn (terminal) or tenth printed (lines)
	open     bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, terminal: isTerminal(w), last: -1}
}

// isTerminal says whether w is a character device (a terminal), not a file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (b *progressBar) update(p roster.Progress) {
	if p.Phase == roster.PhaseReading && p.Done == 0 {
		b.shown = p.Total >= largeImport
	}
	if !b.shown {
		return
	}
	if p.Phase != b.phase {
		b.phase, b.last = p.Phase, -1
	}
	pct := p.Percent()
	if !b.terminal {
		if tenth := pct / 10; tenth != b.last {
			b.last = tenth
			fmt.Fprintf(b.w, "roster import: %s %d%% (%s)\n", p.Phase, tenth*10, amount(p))
		}
		return
	}
	if pct == b.last {
		return
	}
	b.last = pct
	const width = 30
	fill := pct * width / 100
	fmt.Fprintf(b.w, "\r%-8s [%s%s] %3d%%  %-24s", p.Phase, strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, amount(p))
	b.open = true
}

// done ends the bar's line, so what follows starts on a line of its own.
func (b *progressBar) done() {
	if b.open {
		fmt.Fprintln(b.w)
		b.open = false
	}
}

func amount(p roster.Progress) string {
	if p.Phase == roster.PhaseReading {
		return fmt.Sprintf("%.1f of %.1f MB", float64(p.Done)/1e6, float64(p.Total)/1e6)
	}
	return fmt.Sprintf("%d of %d people", p.Done, p.Total)
}
