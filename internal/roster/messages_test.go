package roster_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/locales"
)

// wordedIDs holds the message IDs of the problems (and reasons) the tests checked against the
// English catalog, for everyProblemWorded.
var wordedIDs struct {
	sync.Mutex
	ids map[string]bool
}

func sawWorded(ids ...string) {
	wordedIDs.Lock()
	defer wordedIDs.Unlock()
	if wordedIDs.ids == nil {
		wordedIDs.ids = map[string]bool{}
	}
	for _, id := range ids {
		wordedIDs.ids[id] = true
	}
}

// notProblems are the messages of dashboard-roster-problems.en.toml that no problem or reason of
// this package gives: the roster page words them itself around the problems it lists
// (internal/httpserver renders and tests them).
var notProblems = []string{
	"roster_problem.summary",       // "3 problems; nothing was imported", above a failed import's list
	"roster_problem.more",          // "… and 12 more problems", below it
	"roster_problem.warning",       // "warning: …", before each warning of an import's history
	"roster_problem.warnings",      // "4 warnings", the history's count
	"roster_problem.more_warnings", // "… and 2 more warnings", below them
}

// untriggered are problems no test makes happen, each with why. Keep it short: a new message
// needs a test case that produces it (a failing everyProblemWorded says which).
var untriggered = []string{}

// everyProblemWorded fails the package's tests, after a full run of them, when a message of the
// roster problems catalog was never produced by a case and checked by worded or reasoned (and is
// not listed above): its English text would be unchecked, and a typo in it would reach the page.
// A partial run (-run, -skip, -short, a fuzz or list run) checks nothing.
func everyProblemWorded() int {
	for _, name := range []string{"test.run", "test.skip", "test.fuzz", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return 0
		}
	}
	if testing.Short() {
		return 0
	}
	const file = "dashboard-roster-problems.en.toml"
	data, err := locales.FS.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defs, errs := locale.ParseMessages(data)
	if len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "%s: %v\n", file, errs[0])
		return 1
	}
	code := 0
	inCatalog := map[string]bool{}
	for _, d := range defs {
		inCatalog[d.ID] = true
	}
	for _, id := range slices.Concat(notProblems, untriggered) {
		if !inCatalog[id] || wordedIDs.ids[id] {
			fmt.Fprintf(os.Stderr, "--- FAIL: everyProblemWorded: %s is listed as never produced, but is not in %s or a test produces it: take it off the list\n", id, file)
			code = 1
		}
	}
	for _, d := range defs {
		if wordedIDs.ids[d.ID] || slices.Contains(notProblems, d.ID) || slices.Contains(untriggered, d.ID) {
			continue
		}
		fmt.Fprintf(os.Stderr, "--- FAIL: everyProblemWorded: no test produces %s of %s (add a case that does, or say in untriggered why none can)\n", d.ID, file)
		code = 1
	}
	return code
}
