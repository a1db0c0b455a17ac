package locale

import (
	"fmt"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// probeCounts reach every integer plural category CLDR defines: the rules look at n, n % 10,
// n % 100 and (for "many" in es, fr, pt, …) n % 1000000.
var probeCounts = func() []int {
	var ns []int
	for n := 0; n <= 200; n++ {
		ns = append(ns, n)
	}
	return append(ns, 1000, 1000000, 2000000)
}()

// PluralForms lists the plural categories a message taking {{.Count}} needs in the language
// tag (a CLDR locale; see Meta.PluralTag), in CLDR order.
//
// go-i18n keeps its CLDR rules internal, so we ask it: a probe message whose every form is the
// form's own name, localized for counts that reach every category. The answer is then exactly
// what go-i18n will pick at run time, never a hand-written copy of the rules.
func PluralForms(tag string) ([]string, error) {
	t, err := language.Parse(tag)
	if err != nil {
		return nil, fmt.Errorf("plural forms of %q: %w", tag, err)
	}
	b := i18n.NewBundle(t)
	probe := &i18n.Message{ID: "probe", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}
	if err := b.AddMessages(t, probe); err != nil {
		return nil, fmt.Errorf("plural forms of %q: go-i18n has no CLDR plural rules for it: %w", tag, err)
	}
	l := i18n.NewLocalizer(b, t.String())
	seen := map[string]bool{}
	for _, n := range probeCounts {
		form, err := l.Localize(&i18n.LocalizeConfig{MessageID: "probe", PluralCount: n})
		if err != nil {
			return nil, fmt.Errorf("plural forms of %q: count %d: %w", tag, n, err)
		}
		seen[form] = true
	}
	// "other" always counts: some languages (e.g. Russian) use it only for fractions, and
	// go-i18n falls back to it when a form is missing.
	seen["other"] = true
	var forms []string
	for _, f := range cldrForms {
		if seen[f] {
			forms = append(forms, f)
		}
	}
	return forms, nil
}
