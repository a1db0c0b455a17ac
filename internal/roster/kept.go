package roster

import (
	"encoding/json"

	"github.com/trustpulse/trustpulse/internal/store"
)

// JobProblems is what a roster job or import keeps, as JSON, for the roster page to word in the
// viewer's language (issue 16 line 6): roster_jobs.problems_json for a failed job and
// roster_imports.problems_json for each import of the history. A failed import keeps its problems
// (the first MaxListed, as its English text lists them) and how many there were in all; a failure
// that is not a problem list keeps its Reason instead; an import keeps its warnings too (as many
// as its English text lists) and their total. The English text beside it (roster_jobs.message,
// roster_imports.problems and warnings) says the same, for the command line and for rows from
// before the column.
type JobProblems struct {
	Total        int       `json:"total"`
	Problems     []Problem `json:"problems,omitempty"`
	Reason       *Reason   `json:"reason,omitempty"`
	WarningTotal int       `json:"warning_total,omitempty"`
	Warnings     []Problem `json:"warnings,omitempty"`
}

// Reason is a failure that is not a list of problems (a refused mass deactivation, a file that is
// not a zip, an import that could not run or kept stopping), worded as a Problem is: ID is its
// message in the staff catalog (locales/dashboard-roster-problems.<tag>.toml), Data its
// placeholders as Msg shows them, Msg the English sentence.
type Reason struct {
	ID   string         `json:"id"`
	Data map[string]any `json:"data,omitempty"`
	Msg  string         `json:"msg"`
}

// newReason is the reason of message id (its "roster_problem." prefix left out) with format's
// English sentence; kv are the placeholders' names and values, as for problems.add.
func newReason(id, format string, kv ...any) *Reason {
	msg, data := say(format, kv...)
	return &Reason{ID: "roster_problem." + id, Data: data, Msg: msg}
}

// keptProblems is a failed import's problems as its job and history keep them.
func keptProblems(ps []Problem, total int) JobProblems {
	return JobProblems{Total: max(total, len(ps)), Problems: ps[:min(len(ps), MaxListed)]}
}

// withWarnings adds an import's warnings, the first limit of total.
func (jp JobProblems) withWarnings(ws []Problem, total, limit int) JobProblems {
	jp.WarningTotal, jp.Warnings = max(total, len(ws)), ws[:min(len(ws), limit)]
	return jp
}

func (jp JobProblems) empty() bool {
	return len(jp.Problems) == 0 && jp.Reason == nil && len(jp.Warnings) == 0
}

// encode is jp as its column holds it; nil when there is nothing to keep (or it cannot be
// encoded: the page then shows the English text).
func (jp JobProblems) encode() *string {
	if jp.empty() {
		return nil
	}
	b, err := json.Marshal(jp)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

func decodeProblems(col *string) (JobProblems, bool) {
	var jp JobProblems
	if col == nil || json.Unmarshal([]byte(*col), &jp) != nil || jp.empty() {
		return JobProblems{}, false
	}
	return jp, true
}

// StoredProblems is the problems, or the reason, a failed job kept for the roster page; false for
// a job that has none (it succeeded, or ended before they were kept): its message says it all.
func StoredProblems(j store.RosterJob) (JobProblems, bool) { return decodeProblems(j.ProblemsJSON) }

// ImportProblems is what an import of the history kept for the roster page: its problems or
// reason if it failed, and its warnings; false for an import with none, or from before they were
// kept: its problems and warnings text say it all.
func ImportProblems(r store.RosterImport) (JobProblems, bool) { return decodeProblems(r.ProblemsJSON) }
