package cli_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/roster/rosterbomb"
)

// bombRSSLimit is what a hostile roster may cost the importing process at its peak.
const bombRSSLimit = 256 << 20

// watchdogRSS stops a child that runs away anyway, so a regression fails the test instead of
// taking the shared machine down with it; it is far above bombRSSLimit.
const watchdogRSS = 1 << 30

// Each bomb fails the import with a clear "file:line: problem" line, exit 1, and a peak RSS
// under 256 MB. Before the limits, the 1 GiB line took the process past 1 GiB (the watchdog) in
// about 2 s and the bad rows kept every problem.
func TestRosterBombsStayBounded(t *testing.T) {
	dir := t.TempDir()
	// The real binary, as a district runs it: not the test binary, whose race detector (CI runs
	// the tests with -race) multiplies the memory any process takes.
	bin := filepath.Join(dir, "trustpulse")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/trustpulse")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	zipOf := func(name string, build func(*bufio.Writer) error) string {
		t.Helper()
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriter(f)
		if err := build(bw); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	folder := func(name string, build func(string) error) string {
		t.Helper()
		p := filepath.Join(dir, name)
		os.Mkdir(p, 0o755)
		if err := build(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, path string
		want       []string // lines the output must hold
	}{
		{"1 GiB line in a 1 MB zip", zipOf("line.zip", func(w *bufio.Writer) error { return rosterbomb.HugeLineZip(w, 1024) }),
			[]string{"users.csv:1: the zip entry expands more than 100 times"}},
		{"zip entry larger than its header says", zipOf("lying.zip", func(w *bufio.Writer) error { return rosterbomb.LyingZip(w, 1024) }),
			[]string{"users.csv:2: the line is longer than 64 KiB, the limit for one CSV record"}},
		{"2 million bad rows", zipOf("rows.zip", func(w *bufio.Writer) error { return rosterbomb.BadRowsZip(w, 2_000_000) }),
			[]string{"users.csv:2: ", "… and 1999900 more problems", "roster import: 2000000 problems; nothing was imported"}},
		{"1 GiB line in a folder", folder("line", func(d string) error { return rosterbomb.HugeLineDir(d, 1<<30) }),
			[]string{"users.csv:2: the line is longer than 64 KiB, the limit for one CSV record"}},
		{"1 GiB quoted field", folder("field", func(d string) error { return rosterbomb.HugeFieldDir(d, 1<<30) }),
			[]string{"users.csv:2: the line is longer than 64 KiB, the limit for one CSV record"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _ := os.Stat(c.path)
			code, out, rss, took := runChild(t, bin, "roster", "import", "--db", "sqlite:"+filepath.Join(t.TempDir(), "b.db"), c.path)
			t.Logf("%s (%d bytes): exit %d, peak RSS %.1f MiB, %v", c.name, st.Size(), code, float64(rss)/(1<<20), took.Round(time.Millisecond))
			if code != 1 {
				t.Errorf("exit %d, want 1; output:\n%s", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, head(out, 20))
				}
			}
			if rss == 0 {
				t.Errorf("the child's memory was never read (it ended within the first poll)")
			}
			if rss >= bombRSSLimit {
				t.Errorf("peak RSS %d MiB, want under %d MiB", rss>>20, bombRSSLimit>>20)
			}
		})
	}
}

func head(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}

// runChild runs the binary bin with args in a child process (with an empty environment) and
// returns its exit code, combined output and peak resident memory. The peak is the child's own
// VmHWM, read from /proc every few milliseconds while it runs: not wait4's ru_maxrss, which on
// Linux also carries the high-water mark of the process it was started from (Go starts children
// with vfork, so ru_maxrss reported the test process's own few hundred MiB).
func runChild(t *testing.T, bin string, args ...string) (code int, out string, rss int64, took time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	peak := make(chan int64, 1)
	go watchdog(cmd.Process, stop, peak)
	err := cmd.Wait()
	took = time.Since(start)
	close(stop)
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), buf.String(), <-peak, took
}

// watchdog follows p's memory until stop: it sends the highest VmHWM it read on peak, and kills
// p once its resident memory passes watchdogRSS — a safety net for the machine.
func watchdog(p *os.Process, stop <-chan struct{}, peak chan<- int64) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	var hwm int64
	defer func() { peak <- hwm }()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			rss, high := vmRSS(p.Pid)
			hwm = max(hwm, high)
			if rss > watchdogRSS {
				p.Kill()
			}
		}
	}
}

func vmRSS(pid int) (rss, hwm int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	kb := func(rest string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		return n << 10
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rss = kb(rest)
		} else if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			hwm = kb(rest)
		}
	}
	return rss, hwm
}
