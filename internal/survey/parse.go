package survey

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// positions maps a field path ("scale.labels.es", "items[3].text") to the line it is written on.
type positions map[string]int

// at returns the line of path or of its nearest recorded parent, so a problem always has a line.
func (p positions) at(path string) int {
	for {
		if l, ok := p[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 1
		}
		path = path[:i]
	}
}

// reader walks a yaml.v3 node tree by hand rather than unmarshalling into structs: it needs the
// line of every field and must report every problem, where Decode stops at the first.
type reader struct {
	file  string
	pos   positions
	probs []Problem
}

func (r *reader) bad(line int, format string, args ...any) {
	r.probs = append(r.probs, Problem{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are yaml.v3's parser (not scanner) errors. yaml.v3 reports their line
// 0-based (its scanner errors are 1-based), so these need one added; it omits "line 0" entirely.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlErrorLine turns a yaml.v3 error into a 1-based line and its message.
func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 1, msg
	}
	line, _ := strconv.Atoi(m[1])
	if yamlParserProblems[m[2]] {
		line++
	}
	return line, m[2]
}

func parseInstrument(file string, data []byte) (*Instrument, []Problem) {
	r := &reader{file: file, pos: positions{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err)
		r.bad(line, "invalid YAML: %s", msg)
		return nil, r.probs
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		r.bad(1, "empty instrument file")
		return nil, r.probs
	}
	in := &Instrument{File: file, pos: r.pos}
	f := r.fields(doc.Content[0], "", "id", "version", "audience", "locales", "scale", "measures", "items", "comment")
	if f == nil {
		return nil, r.probs
	}
	in.ID = r.str(f["id"], "id", true)
	in.Version = r.integer(f["version"], "version")
	in.Audience = Audience(r.str(f["audience"], "audience", true))
	in.Locales = r.strs(f["locales"], "locales")
	if s := r.fields(f["scale"], "scale", "points", "labels"); s != nil {
		in.Scale.Points = r.integer(s["points"], "scale.points")
		in.Scale.Labels = r.labels(s["labels"], "scale.labels")
	} else if f["scale"] == nil {
		r.bad(1, "missing field scale")
	}
	for i, n := range r.list(f["measures"], "measures", true) {
		in.Measures = append(in.Measures, r.measure(n, fmt.Sprintf("measures[%d]", i)))
	}
	for i, n := range r.list(f["items"], "items", true) {
		in.Items = append(in.Items, r.item(n, fmt.Sprintf("items[%d]", i)))
	}
	// Students get no comment box unless the file asks for one: free text from children is
	// hard to keep anonymous and needs someone to read it.
	in.Comment.Enabled = in.Audience != Student
	if c := r.fields(f["comment"], "comment", "enabled", "prompt"); c != nil {
		if c["enabled"] != nil {
			in.Comment.Enabled = r.boolean(c["enabled"], "comment.enabled")
		}
		if c["prompt"] != nil {
			in.Comment.Prompt = r.text(c["prompt"], "comment.prompt")
		}
	}
	return in, r.probs
}

func (r *reader) measure(n *yaml.Node, path string) Measure {
	var m Measure
	f := r.fields(n, path, "id", "name", "relationship", "single_item", "reporting")
	if f == nil {
		return m
	}
	m.ID = r.str(f["id"], path+".id", true)
	m.Name = r.text(f["name"], path+".name")
	m.Relationship = r.str(f["relationship"], path+".relationship", true)
	if f["single_item"] != nil {
		m.SingleItem = r.boolean(f["single_item"], path+".single_item")
	}
	if rep := r.fields(f["reporting"], path+".reporting", "center", "per_logit", "cuts"); rep != nil {
		m.Reporting.Center = r.number(rep["center"], path+".reporting.center")
		m.Reporting.PerLogit = r.number(rep["per_logit"], path+".reporting.per_logit")
		for i, c := range r.list(rep["cuts"], path+".reporting.cuts", false) {
			m.Reporting.Cuts = append(m.Reporting.Cuts, r.number(c, fmt.Sprintf("%s.reporting.cuts[%d]", path, i)))
		}
	} else if f["reporting"] == nil {
		r.bad(r.pos.at(path), "measure %s: missing field reporting", m.ID)
	}
	return m
}

func (r *reader) item(n *yaml.Node, path string) Item {
	var it Item
	f := r.fields(n, path, "id", "measure", "facet", "reverse", "text")
	if f == nil {
		return it
	}
	it.ID = r.str(f["id"], path+".id", true)
	it.Measure = r.str(f["measure"], path+".measure", true)
	it.Facet = r.str(f["facet"], path+".facet", true)
	if f["reverse"] != nil {
		it.Reverse = r.boolean(f["reverse"], path+".reverse")
	}
	it.Text = r.text(f["text"], path+".text")
	return it
}

// fields reads a mapping, recording each key's line under path.key. It reports keys outside
// known (a typo like "revers: true" would otherwise be silently ignored) and keys written twice
// (yaml.v3 accepts those when decoding into a Node). It returns nil for a missing node.
func (r *reader) fields(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.bad(n.Line, "%s must be a mapping of fields", describe(path))
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if _, dup := out[k.Value]; dup {
			r.bad(k.Line, "duplicate field %s (first at line %d)", kp, r.pos[kp])
			continue
		}
		if known != nil && !slices.Contains(known, k.Value) {
			r.bad(k.Line, "unknown field %s", kp)
			continue
		}
		r.pos[kp] = k.Line
		out[k.Value] = v
	}
	return out
}

func (r *reader) list(n *yaml.Node, path string, required bool) []*yaml.Node {
	if n == nil {
		if required {
			r.bad(r.pos.at(path), "missing field %s", path)
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.bad(n.Line, "%s must be a list", path)
		return nil
	}
	for i, c := range n.Content {
		r.pos[fmt.Sprintf("%s[%d]", path, i)] = c.Line
	}
	return n.Content
}

func (r *reader) scalar(n *yaml.Node, path string, required bool) bool {
	if n == nil {
		if required {
			r.bad(r.pos.at(path), "missing field %s", path)
		}
		return false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.bad(n.Line, "%s must be a single value", path)
		return false
	}
	return true
}

func (r *reader) str(n *yaml.Node, path string, required bool) string {
	if !r.scalar(n, path, required) {
		return ""
	}
	return n.Value
}

func (r *reader) integer(n *yaml.Node, path string) int {
	var v int
	if r.scalar(n, path, true) && n.Decode(&v) != nil {
		r.bad(n.Line, "%s must be a whole number, not %q", path, n.Value)
	}
	return v
}

func (r *reader) number(n *yaml.Node, path string) float64 {
	var v float64
	if r.scalar(n, path, true) && n.Decode(&v) != nil {
		r.bad(n.Line, "%s must be a number, not %q", path, n.Value)
	}
	return v
}

func (r *reader) boolean(n *yaml.Node, path string) bool {
	var v bool
	if r.scalar(n, path, true) && (n.Tag != "!!bool" || n.Decode(&v) != nil) {
		r.bad(n.Line, "%s must be true or false, not %q", path, n.Value)
	}
	return v
}

func (r *reader) strs(n *yaml.Node, path string) []string {
	var out []string
	for i, c := range r.list(n, path, true) {
		if s := r.str(c, fmt.Sprintf("%s[%d]", path, i), true); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// text reads a locale → string mapping (item text, measure name, comment prompt).
func (r *reader) text(n *yaml.Node, path string) map[string]string {
	f := r.fields(n, path)
	if f == nil {
		if n == nil {
			r.bad(r.pos.at(path), "missing field %s", path)
		}
		return nil
	}
	out := map[string]string{}
	for loc, v := range f {
		out[loc] = r.str(v, path+"."+loc, true)
	}
	return out
}

// labels reads scale.labels: locale → list of labels.
func (r *reader) labels(n *yaml.Node, path string) map[string][]string {
	f := r.fields(n, path)
	if f == nil {
		if n == nil {
			r.bad(r.pos.at(path), "missing field %s", path)
		}
		return nil
	}
	out := map[string][]string{}
	for loc, v := range f {
		out[loc] = r.strs(v, path+"."+loc)
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(path string) string {
	if path == "" {
		return "the instrument"
	}
	return path
}
