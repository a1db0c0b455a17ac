package browsertest

import (
	_ "embed" // for the vendored axe-core
	"fmt"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the version of the vendored axe-core in axe/.
const AxeVersion = "4.14.1"

// AxeSource is axe-core's axe.min.js (MPL-2.0, see axe/LICENSE and axe/LICENSE-3RD-PARTY.txt),
// vendored so that accessibility tests need no network and no npm.
//
//go:embed axe/axe.min.js
var AxeSource string

// WCAG2AA are the axe rule tags for WCAG 2.0 and 2.1, levels A and AA.
var WCAG2AA = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// Violation is one failed axe rule with the elements that fail it.
type Violation struct {
	ID      string          `json:"id"`
	Impact  string          `json:"impact"`
	Help    string          `json:"help"`
	HelpURL string          `json:"helpUrl"`
	Nodes   []ViolationNode `json:"nodes"`
}

// ViolationNode is one failing element.
type ViolationNode struct {
	Target  string `json:"target"` // CSS selector path, as JSON
	HTML    string `json:"html"`
	Summary string `json:"summary"`
}

// AxeResult is what axe found on one page.
type AxeResult struct {
	Violations []Violation `json:"violations"`
	Incomplete []Violation `json:"incomplete"` // needs a person to judge; reported, not failed
	Passes     int         `json:"passes"`
	PassIDs    []string    `json:"passIDs"` // the rules that ran and passed
}

// axeRun runs axe on the document with the given tags and returns the findings flattened to JSON.
const axeRun = `(() => {
  const flat = (list) => list.map(v => ({id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: JSON.stringify(n.target), html: n.html, summary: n.failureSummary || ""}))}));
  return axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations", "incomplete"]})
    .then(r => ({violations: flat(r.violations), incomplete: flat(r.incomplete), passes: r.passes.length, passIDs: r.passes.map(p => p.id)}));
})()`

// Axe injects the vendored axe-core into the page (through the DevTools protocol, which the
// page's Content-Security-Policy does not govern) and runs it with the given rule tags.
func (tab *Tab) Axe(tags ...string) AxeResult {
	tab.t.Helper()
	if !Eval[bool](tab, `typeof window.axe === "object"`) {
		Eval[chromedp.Void](tab, AxeSource)
	}
	q := make([]string, len(tags))
	for i, tg := range tags {
		q[i] = strconv.Quote(tg)
	}
	return Eval[AxeResult](tab, fmt.Sprintf(axeRun, "["+strings.Join(q, ",")+"]"), chromedp.EvalAwaitPromise)
}

// AssertAxe runs axe with the WCAG 2.1 A and AA rules and fails the test for every violation,
// naming the rule, its help text and the failing elements.
func (tab *Tab) AssertAxe(page string) AxeResult {
	tab.t.Helper()
	res := tab.Axe(WCAG2AA...)
	if len(res.Violations) > 0 {
		tab.t.Errorf("%s: %d axe violation(s) (axe-core %s, WCAG 2.1 A/AA):\n%s", page, len(res.Violations), AxeVersion, FormatViolations(res.Violations))
	}
	if res.Passes == 0 {
		tab.t.Errorf("%s: axe ran no passing rules: did it run at all?", page)
	}
	return res
}

// FormatViolations lists each violation's id, impact, help and failing elements.
func FormatViolations(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "  - %s [%s]: %s (%s)\n", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "      %s  %s\n", n.Target, n.HTML)
			if n.Summary != "" {
				fmt.Fprintf(&b, "        %s\n", strings.ReplaceAll(n.Summary, "\n", "\n        "))
			}
		}
	}
	return b.String()
}
