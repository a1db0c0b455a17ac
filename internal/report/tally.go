package report

import (
	"slices"
	"strings"

	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// NotRecorded is the group of respondents whose record has no value for an attribute. It is a
// group like any other, so its siblings cannot be recovered by subtracting from the total.
const NotRecorded = "not_recorded"

// Attribute keys reported per audience, in the order dashboards list them.
var audienceAttributes = map[survey.Audience][]string{
	"student": {"grade", "gender", "race_ethnicity", "english_learner", "disability", "low_income", "home_language", "response_language"},
	"staff":   {"role", "department", "tenure", "response_language"},
	"family":  {"child_grade", "language", "response_language"},
}

// SettingAttributes is the district setting that narrows the reported attributes: a
// comma-separated list of keys (e.g. "grade,english_learner"); unset means all of them.
const SettingAttributes = "report_attributes"

// SettingPairs is the district setting listing two-way breakdowns: pairs of keys separated by
// ";" (e.g. "grade,gender;english_learner,low_income"); unset means none.
const SettingPairs = "report_pairs"

// Attributes lists the subgroup keys reported for an audience under a district's settings: the
// chosen one-way keys, then the chosen two-way pairs ("a,b") of those keys.
func Attributes(audience survey.Audience, settings store.Attrs) []string {
	out := slices.Clone(audienceAttributes[audience])
	if want := strings.TrimSpace(settings[SettingAttributes]); want != "" {
		chosen := splitTrim(want, ",")
		out = slices.DeleteFunc(out, func(k string) bool { return !slices.Contains(chosen, k) })
	}
	oneWay, offered := slices.Clone(out), Pairs(audience)
	for _, p := range splitTrim(settings[SettingPairs], ";") {
		a, b, _ := SplitPair(p)
		if !slices.Contains(oneWay, a) || !slices.Contains(oneWay, b) {
			continue
		}
		for _, key := range []string{Pair(a, b), Pair(b, a)} {
			if slices.Contains(offered, key) && !slices.Contains(out, key) {
				out = append(out, key)
			}
		}
	}
	return out
}

// Pair is the attribute key of the two-way breakdown of a by b; its groups are "va,vb".
func Pair(a, b string) string { return a + "," + b }

// SplitPair splits a two-way key into its two attributes; ok is false for a one-way key.
func SplitPair(attr string) (a, b string, ok bool) {
	a, b, ok = strings.Cut(attr, ",")
	return strings.TrimSpace(a), strings.TrimSpace(b), ok && strings.TrimSpace(a) != "" && strings.TrimSpace(b) != ""
}

// IsPair reports whether attr is a two-way breakdown.
func IsPair(attr string) bool { return strings.Contains(attr, ",") }

// Pairs lists the two-way breakdowns a district may choose for an audience: every pair of its
// keys but response_language, which is not known until someone answers.
func Pairs(audience survey.Audience) []string {
	var keys []string
	for _, k := range audienceAttributes[audience] {
		if k != "response_language" {
			keys = append(keys, k)
		}
	}
	var out []string
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			out = append(out, Pair(a, b))
		}
	}
	return out
}

// AllPairs lists every two-way breakdown any audience offers, for the settings page.
func AllPairs() []string {
	var out []string
	for _, a := range []survey.Audience{"student", "staff", "family"} {
		out = append(out, Pairs(a)...)
	}
	return out
}

func splitTrim(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// AllAttributes lists every attribute key any audience reports, for API validation.
func AllAttributes() []string {
	var out []string
	for _, a := range []survey.Audience{"student", "staff", "family"} {
		for _, k := range audienceAttributes[a] {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// Response is what a rollup needs from one stored response.
type Response struct {
	School  int64
	Answers string
	Groups  store.Attrs // the subgroup snapshot taken at submission
	Scores  []store.Score
}

// groups lists the (attribute, value) pairs a respondent is counted under, everyone first.
func groups(attrs []string, g store.Attrs) [][2]string {
	out := make([][2]string, 0, len(attrs)+1)
	out = append(out, [2]string{"", ""})
	value := func(a string) string {
		if v := g[a]; v != "" {
			return v
		}
		return NotRecorded
	}
	for _, a := range attrs {
		if x, y, ok := SplitPair(a); ok {
			out = append(out, [2]string{a, value(x) + "," + value(y)})
		} else {
			out = append(out, [2]string{a, value(a)})
		}
	}
	return out
}

// Add counts one response into its school's cells and the district's.
func (cs Cells) Add(in *survey.Instrument, attrs []string, r Response) {
	gs := groups(attrs, r.Groups)
	for _, school := range []int64{r.School, 0} {
		for _, g := range gs {
			cs.at(Key{School: school, Attribute: g[0], Value: g[1]}).N++
			for _, sc := range r.Scores {
				c := cs.at(Key{School: school, Measure: sc.MeasureID, Attribute: g[0], Value: g[1]})
				c.N++
				c.Sum += sc.Score
				c.SumSq += sc.Score * sc.Score
				c.Favorable += sc.Favorable
				c.Answered += sc.NAnswered
				if sc.Category >= 0 && sc.Category < len(c.Cats) {
					c.Cats[sc.Category]++
				}
			}
		}
		for i, it := range in.Items {
			if i >= len(r.Answers) || r.Answers[i] < '0' || r.Answers[i] > '9' {
				continue
			}
			c := cs.at(Key{School: school, Measure: it.Measure, Item: it.ID})
			c.N++
			c.Answered++
			if scoring.Favorable(int8(r.Answers[i]-'0'), in.Scale.Points, it.Reverse) {
				c.Favorable++
			}
		}
	}
}

// AddInvited counts one invitation into its school's and the district's respondent cells, so
// response rates can be shown per group. Response language is unknown until someone answers.
func (cs Cells) AddInvited(attrs []string, school int64, g store.Attrs) {
	for _, s := range []int64{school, 0} {
		for _, kv := range groups(attrs, g) {
			if kv[0] == "response_language" {
				continue
			}
			cs.at(Key{School: s, Attribute: kv[0], Value: kv[1]}).Invited++
		}
	}
}
