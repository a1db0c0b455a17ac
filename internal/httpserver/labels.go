package httpserver

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/report"
)

// labels is the one place where the machine keys of the data become words a reader of a staff
// page understands: subgroup attributes and their values (race_ethnicity, female, 05), surveys
// (family-pulse version 1), and a wave's audience, mode, status and channels. Words come from the
// staff catalog (locales/dashboard-labels.<tag>.toml); a key the catalog does not know is still
// never shown raw: it is written as words ("special_ed" → "Special ed"), and values the roster
// wrote in people's own words (a department) are kept as they are. Exports keep the machine keys
// in their key columns and use these words only in their *_name columns.
type labels struct {
	l          *locale.Localizer
	lang       string
	cat        *locale.Catalog
	respondent *locale.Catalog // language names for language groups; nil: none
}

func newLabels(cat *locale.Catalog, tag string, respondent *locale.Catalog) labels {
	l := cat.Localizer(tag)
	return labels{l: l, lang: l.Tag(), cat: cat, respondent: respondent}
}

// t translates id when the catalog has it (in the viewer's language or English).
func (lb labels) t(id string, data ...map[string]any) (string, bool) {
	if _, ok := lb.cat.Message(lb.lang, id); !ok {
		if _, ok := lb.cat.Message(locale.Default, id); !ok {
			return "", false
		}
	}
	return lb.l.T(id, data...), true
}

// Attr is an attribute's name ("Grade × Gender" for a two-way breakdown).
func (lb labels) Attr(a string) string {
	if x, y, ok := report.SplitPair(a); ok {
		return lb.Attr(x) + " × " + lb.Attr(y)
	}
	if s, ok := lb.t("attr." + a); ok {
		return s
	}
	return words(a)
}

// Value is a group's label: languages by their own name, grades as "Grade 5", known values from
// the catalog, anything else as recorded (machine-like keys as words).
func (lb labels) Value(attr, v string) string {
	if x, y, ok := report.SplitPair(attr); ok {
		if v == report.HiddenTable {
			s, _ := lb.t("value.pair_withheld")
			return s
		}
		vx, vy, _ := strings.Cut(v, ",")
		return lb.Value(x, vx) + " × " + lb.Value(y, vy)
	}
	if v == report.Combined {
		s, _ := lb.t("pooling.combined")
		return s
	}
	switch attr {
	case "home_language", "response_language", "language":
		if v == report.All || v == report.NotRecorded {
			break
		}
		if lb.respondent != nil {
			if tag, ok := lb.respondent.Supported(v); ok {
				return lb.respondent.Info(tag).Name
			}
		}
		if t, err := language.Parse(v); err == nil {
			if name := display.Self.Name(t); name != "" {
				return capitalize(name)
			}
		}
	case "grade", "child_grade":
		if n, err := strconv.Atoi(v); err == nil {
			s, _ := lb.t("value.grade", map[string]any{"Grade": n})
			return s
		}
		if s, ok := lb.t("grade." + v); ok {
			return s
		}
	case "tenure":
		if s, ok := lb.t("tenure." + v); ok {
			return s
		}
	}
	if s, ok := lb.t(valueID(v)); ok {
		return s
	}
	if isKey(v) {
		return words(v)
	}
	return v
}

// valueID is the catalog id of a value's label. The names of CLDR plural categories would make
// their table read as a plural message, so those take a trailing underscore ("value.other_").
func valueID(v string) string {
	switch v {
	case "zero", "one", "two", "few", "many", "other":
		return "value." + v + "_"
	}
	return "value." + v
}

// Instrument names a survey: "Family pulse", with its version only past the first
// ("Family pulse, version 2"), so two versions on one list are told apart.
func (lb labels) Instrument(id string, version int) string {
	name, ok := lb.t("instrument." + id)
	if !ok {
		name = words(id)
	}
	if version > 1 {
		s, _ := lb.t("instrument.versioned", map[string]any{"Name": name, "Version": version})
		return s
	}
	return name
}

// Audience, Mode and Status name a wave's audience (student, staff, family), mode (anonymous,
// confidential) and status (draft, scheduled, open, closed); Job a background job's status.
func (lb labels) Audience(a string) string { return lb.keyed("audience.", a) }
func (lb labels) Mode(m string) string     { return lb.keyed("mode.", m) }
func (lb labels) Status(s string) string   { return lb.keyed("status.", s) }
func (lb labels) Job(s string) string      { return lb.keyed("job.", s) }
func (lb labels) Role(r string) string     { return lb.keyed("role.", r) }

// Channels names a wave's channels ("link,sms" → "Personal links, Text messages").
func (lb labels) Channels(csv string) string {
	var out []string
	for _, ch := range strings.Split(csv, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			out = append(out, lb.keyed("channel.", ch))
		}
	}
	return strings.Join(out, ", ")
}

func (lb labels) keyed(prefix, key string) string {
	if s, ok := lb.t(prefix + key); ok {
		return s
	}
	return words(key)
}

// isKey reports whether v looks like a machine key (lower case letters, digits, _ and -) rather
// than words someone typed into a roster.
func isKey(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// words writes a machine key as words: underscores and hyphens become spaces, the first letter
// a capital ("race_ethnicity" → "Race ethnicity").
func words(key string) string {
	return capitalize(strings.NewReplacer("_", " ", "-", " ").Replace(key))
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
