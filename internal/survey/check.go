package survey

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/trustpulse/trustpulse/internal/locale"
)

// idRE: ids end up in URLs, exports and database keys.
var idRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// check finds the problems of one instrument on its own (without the shipped locales).
func (in *Instrument) check() []Problem {
	c := &checker{in: in}
	c.header()
	c.scale()
	measures := c.measures()
	c.items(measures)
	if in.Comment.Enabled && in.Comment.Prompt != nil {
		c.text(in.Comment.Prompt, "comment.prompt", "comment prompt")
	}
	return c.probs
}

type checker struct {
	in    *Instrument
	probs []Problem
}

func (c *checker) bad(path, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: c.in.File, Line: c.in.pos.at(path), Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) header() {
	in := c.in
	if in.ID != "" && !idRE.MatchString(in.ID) {
		c.bad("id", "id %q must be lowercase letters, digits and dashes", in.ID)
	}
	if in.Version < 1 {
		c.bad("version", "version must be 1 or more")
	}
	if in.Audience != "" && !validAudience(in.Audience) {
		c.bad("audience", "unknown audience %q (want student, staff or family)", in.Audience)
	}
	seen := map[string]bool{}
	for i, l := range in.Locales {
		if seen[l] {
			c.bad(fmt.Sprintf("locales[%d]", i), "locale %s is listed twice", l)
		}
		seen[l] = true
	}
	if len(in.Locales) > 0 && !seen[locale.Default] {
		c.bad("locales", "locales must include %s, the source language", locale.Default)
	}
}

func (c *checker) scale() {
	s := c.in.Scale
	if s.Points < 2 || s.Points%2 != 0 {
		c.bad("scale.points", "scale.points must be even and at least 2 (no neutral midpoint), not %d", s.Points)
	}
	if s.Labels == nil {
		return
	}
	for _, l := range c.in.Locales {
		labels, ok := s.Labels[l]
		switch {
		case !ok:
			c.bad("scale.labels", "missing translation: scale has no %s labels", l)
		case len(labels) != s.Points:
			c.bad("scale.labels."+l, "scale has %d points but %d %s labels", s.Points, len(labels), l)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(s.Labels)) {
		if !slices.Contains(c.in.Locales, l) {
			c.bad("scale.labels."+l, "scale has %s labels, but %s is not in locales", l, l)
		}
	}
}

// measures checks each measure and returns the index of every measure id.
func (c *checker) measures() map[string]int {
	byID := map[string]int{}
	for i, m := range c.in.Measures {
		p := fmt.Sprintf("measures[%d]", i)
		if m.ID == "" {
			continue // reported by the reader
		}
		if j, dup := byID[m.ID]; dup {
			c.bad(p+".id", "duplicate measure %s (first at line %d)", m.ID, c.in.pos.at(fmt.Sprintf("measures[%d].id", j)))
			continue
		}
		byID[m.ID] = i
		if !idRE.MatchString(m.ID) {
			c.bad(p+".id", "measure id %q must be lowercase letters, digits and dashes", m.ID)
		}
		if aud, ok := relationships[m.Relationship]; !ok && m.Relationship != "" {
			c.bad(p+".relationship", "measure %s: unknown relationship %q", m.ID, m.Relationship)
		} else if ok && validAudience(c.in.Audience) && aud != c.in.Audience {
			c.bad(p+".relationship", "measure %s: relationship %s is reported by %s respondents, not %s", m.ID, m.Relationship, aud, c.in.Audience)
		}
		c.text(m.Name, p+".name", "measure "+m.ID+" name")
		c.reporting(m, p)
	}
	return byID
}

func (c *checker) reporting(m Measure, p string) {
	r := m.Reporting
	if r.Center <= 0 || r.Center >= 100 {
		c.bad(p+".reporting.center", "measure %s: reporting.center must be within 0–100, not %g", m.ID, r.Center)
	}
	if r.PerLogit <= 0 {
		c.bad(p+".reporting.per_logit", "measure %s: reporting.per_logit must be positive, not %g", m.ID, r.PerLogit)
	}
	ok := len(r.Cuts) == 4
	for i, cut := range r.Cuts {
		if cut < 0 || cut > 100 || i > 0 && cut <= r.Cuts[i-1] {
			ok = false
		}
	}
	if !ok {
		c.bad(p+".reporting.cuts", "measure %s: reporting.cuts must be 4 ascending numbers within 0–100, not %v", m.ID, r.Cuts)
	}
}

func (c *checker) items(measures map[string]int) {
	in := c.in
	byID := map[string]int{}
	count := map[string]int{}
	reversed := 0
	for i, it := range in.Items {
		p := fmt.Sprintf("items[%d]", i)
		if it.ID == "" {
			continue
		}
		if j, dup := byID[it.ID]; dup {
			c.bad(p+".id", "duplicate item %s (first at line %d)", it.ID, in.pos.at(fmt.Sprintf("items[%d].id", j)))
			continue
		}
		byID[it.ID] = i
		if !idRE.MatchString(it.ID) {
			c.bad(p+".id", "item id %q must be lowercase letters, digits and dashes", it.ID)
		}
		if _, ok := measures[it.Measure]; !ok && it.Measure != "" {
			c.bad(p+".measure", "item %s: unknown measure %q", it.ID, it.Measure)
		}
		count[it.Measure]++
		if it.Facet != "" && !slices.Contains(facets, it.Facet) {
			c.bad(p+".facet", "item %s: unknown facet %q (want %s)", it.ID, it.Facet, strings.Join(facets, ", "))
		}
		if it.Reverse {
			reversed++
			switch {
			case in.Audience == Student:
				c.bad(p+".reverse", "item %s: no reverse-coded items for students (they confuse young readers)", it.ID)
			case reversed > maxReverseItems:
				c.bad(p+".reverse", "item %s: at most %d reverse-coded item per instrument", it.ID, maxReverseItems)
			}
		}
		c.text(it.Text, p+".text", "item "+it.ID)
	}
	for i, m := range in.Measures {
		if j, ok := measures[m.ID]; !ok || j != i {
			continue
		}
		p := fmt.Sprintf("measures[%d].id", i)
		n := count[m.ID]
		switch {
		case m.SingleItem && n != 1:
			c.bad(p, "measure %s is single_item but has %d items", m.ID, n)
		case !m.SingleItem && n < minMeasureItems:
			c.bad(p, "measure %s has %d items; a measure needs at least %d (or single_item: true)", m.ID, n, minMeasureItems)
		}
	}
	if in.Audience == Student && len(in.Items) > MaxStudentItems {
		c.bad("items", "student instrument has %d items; at most %d fit a 3-minute pulse", len(in.Items), MaxStudentItems)
	}
}

// text checks one locale → text map: a text for every locale the instrument offers, none for
// others, and the same placeholders as English.
func (c *checker) text(t map[string]string, path, what string) {
	if t == nil {
		return // missing field, reported by the reader
	}
	for _, l := range c.in.Locales {
		if strings.TrimSpace(t[l]) == "" {
			c.bad(path, "missing translation: %s has no %s text", what, l)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(t)) {
		if !slices.Contains(c.in.Locales, l) {
			c.bad(path+"."+l, "%s has %s text, but %s is not in locales", what, l, l)
		}
	}
	en, ok := t[locale.Default]
	if !ok {
		return
	}
	want := locale.Placeholders(en)
	for _, l := range slices.Sorted(maps.Keys(t)) {
		if got := locale.Placeholders(t[l]); l != locale.Default && t[l] != "" && !slices.Equal(got, want) {
			c.bad(path+"."+l, "placeholder mismatch: %s: %s has %s, %s has %s", what,
				locale.Default, formatPlaceholders(want), l, formatPlaceholders(got))
		}
	}
}

func validAudience(a Audience) bool { return a == Student || a == Staff || a == Family }

func formatPlaceholders(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{{." + n + "}}"
	}
	return strings.Join(out, " ")
}
