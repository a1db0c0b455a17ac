// Package survey is the instrument model: loading the YAML instruments in surveys/, the item →
// measure mapping, and linting instruments together with the locale files and templates.
//
// An instrument is versioned and immutable once a wave has used it: scores are calibrated per
// instrument version, so changing an item's wording means a new version, not an edit.
package survey

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Audience is who answers an instrument.
type Audience string

// The audiences an instrument can address.
const (
	Student Audience = "student"
	Staff   Audience = "staff"
	Family  Audience = "family"
)

// Facets: the four discernments relational trust rests on (Bryk & Schneider), plus belonging for
// the connectedness measures.
const (
	FacetRespect        = "respect"
	FacetCompetence     = "competence"
	FacetPersonalRegard = "personal_regard"
	FacetIntegrity      = "integrity"
	FacetBelonging      = "belonging"
)

// relationships maps each relationship a measure can describe to the audience that reports on
// it, so a student instrument cannot carry a staff-leader measure by copy-paste.
var relationships = map[string]Audience{
	"student-teacher": Student,
	"student-student": Student,
	"student-school":  Student,
	"student-adult":   Student,
	"teacher-teacher": Staff,
	"staff-leader":    Staff,
	"staff-family":    Staff,
	"family-school":   Family,
}

var facets = []string{FacetRespect, FacetCompetence, FacetPersonalRegard, FacetIntegrity, FacetBelonging}

// Design limits from PRODUCT.md: the student pulse must fit in under 3 minutes on a phone.
const (
	MaxStudentItems = 14
	minMeasureItems = 3
	maxReverseItems = 1 // per non-student instrument; students get none (confusing for young readers)
)

// Instrument is one version of a survey, with every locale's text.
type Instrument struct {
	ID       string
	Version  int
	Audience Audience
	Locales  []string // locales the instrument is offered in, "en" first by convention
	Scale    Scale
	Measures []Measure
	Items    []Item // in presentation order
	Comment  Comment
	File     string // file name within the loaded fs.FS, for messages

	pos positions // line of every field, for lint
}

// Scale is the answer scale shared by all items. Points is even: no neutral midpoint.
type Scale struct {
	Points int
	Labels map[string][]string // locale → Points labels, lowest first
}

// Measure is a score reported per relationship, computed from its items.
type Measure struct {
	ID, Relationship string
	Name             map[string]string // locale → name shown on dashboards
	SingleItem       bool              // a one-item indicator (e.g. "an adult I can go to")
	Reporting        Reporting
}

// Reporting maps logits to the 0–100 reporting scale: score = Center + PerLogit·θ, and the four
// Cuts split it into very weak / weak / moderate / strong / very strong.
type Reporting struct {
	Center, PerLogit float64
	Cuts             []float64
}

// Item is one question.
type Item struct {
	ID, Measure, Facet string
	Reverse            bool              // agreeing means less trust; scoring flips it
	Text               map[string]string // locale → text
}

// Comment is the optional free-text question at the end.
type Comment struct {
	Enabled bool
	Prompt  map[string]string // locale → prompt; empty means the UI's generic comment.label
}

// ItemsOf lists the items of measureID in presentation order.
func (in *Instrument) ItemsOf(measureID string) []Item {
	var items []Item
	for _, it := range in.Items {
		if it.Measure == measureID {
			items = append(items, it)
		}
	}
	return items
}

// MeasureOf returns the measure itemID belongs to.
func (in *Instrument) MeasureOf(itemID string) (Measure, bool) {
	for _, it := range in.Items {
		if it.ID == itemID {
			for _, m := range in.Measures {
				if m.ID == it.Measure {
					return m, true
				}
			}
		}
	}
	return Measure{}, false
}

// Catalog is every loaded instrument. It is read-only after Load.
type Catalog struct {
	list []*Instrument // sorted by ID, Version
}

// Instruments lists every instrument sorted by id, then version.
func (c *Catalog) Instruments() []*Instrument {
	return append([]*Instrument(nil), c.list...)
}

// Get returns one version of an instrument.
func (c *Catalog) Get(id string, version int) (*Instrument, bool) {
	for _, in := range c.list {
		if in.ID == id && in.Version == version {
			return in, true
		}
	}
	return nil, false
}

// Latest returns the highest version of an instrument.
func (c *Catalog) Latest(id string) (*Instrument, bool) {
	var latest *Instrument
	for _, in := range c.list {
		if in.ID == id {
			latest = in // list is sorted by version within an id
		}
	}
	return latest, latest != nil
}

// Problem is one finding of Load or Lint, at a file and line.
type Problem struct {
	File    string
	Line    int
	Msg     string
	Warning bool // reported but does not fail lint (e.g. a locale not yet reviewed)
}

func (p Problem) String() string {
	w := ""
	if p.Warning {
		w = "warning: "
	}
	return fmt.Sprintf("%s:%d: %s%s", p.File, p.Line, w, p.Msg)
}

// LoadError lists every problem that stopped Load, so one run shows them all.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads every *.yaml instrument at the top of fsys. Any problem in any file fails the whole
// load with a *LoadError: serving half a catalog would make waves silently lose instruments.
func Load(fsys fs.FS) (*Catalog, error) {
	list, probs, err := loadAll(fsys)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, &LoadError{Problems: probs}
	}
	return &Catalog{list: list}, nil
}

// loadAll parses and checks every instrument, returning what parsed (even with problems, so lint
// can go on checking it against the locales) and every problem found.
func loadAll(fsys fs.FS) ([]*Instrument, []Problem, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("load surveys: %w", err)
	}
	var list []*Instrument
	var probs []Problem
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, nil, fmt.Errorf("load surveys: %w", err)
		}
		in, fprobs := parseInstrument(f, data)
		probs = append(probs, fprobs...)
		if in != nil {
			probs = append(probs, in.check()...)
			list = append(list, in)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].ID != list[j].ID {
			return list[i].ID < list[j].ID
		}
		return list[i].Version < list[j].Version
	})
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if a.ID == b.ID && a.Version == b.Version && a.ID != "" {
			probs = append(probs, Problem{File: b.File, Line: b.pos.at("id"),
				Msg: fmt.Sprintf("duplicate instrument %s version %d (also in %s)", b.ID, b.Version, a.File)})
		}
	}
	sortProblems(probs)
	return list, probs, nil
}

func sortProblems(probs []Problem) {
	sort.SliceStable(probs, func(i, j int) bool {
		if probs[i].File != probs[j].File {
			return probs[i].File < probs[j].File
		}
		return probs[i].Line < probs[j].Line
	})
}
