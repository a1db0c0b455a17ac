// Package locale holds the shipped UI languages: their go-i18n messages, language negotiation and
// a T() that never panics.
//
// Every shipped locale gets its own go-i18n bundle. That keeps go-i18n's traps out of callers:
// go-i18n's own English fallback returns the English text *and* an error (and MustLocalize then
// panics), so T does the fallback itself, explicitly, once per miss. It also lets a language that
// CLDR has no plural rules for (Haitian Creole) borrow the rules of a named CLDR locale without
// that locale's tag leaking into matching.
package locale

import (
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	texttemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// MetaFile lists the shipped locales; each has a MessageFile.
const MetaFile = "locales.toml"

// Default is the source language: every message exists in it, and T falls back to it.
const Default = "en"

// MessageFile is the go-i18n message file name for tag.
func MessageFile(tag string) string { return "active." + tag + ".toml" }

// Info describes a shipped locale for pages: <html lang=… dir=…> and the language switcher.
type Info struct {
	Tag      string
	Name     string // endonym
	Dir      string // "ltr" or "rtl"
	Reviewed bool
}

// Catalog is every shipped locale, loaded once at start-up and read-only afterwards, so it and
// its Localizers are safe for concurrent use.
type Catalog struct {
	tags   []string // Default first, then locales.toml order
	langs  map[string]*lang
	byBase map[string][]string // base language ("zh") → shipped tags, in tags order
	logger *slog.Logger
	// parser makes a placeholder without data an error instead of go-i18n's "<no value>", so T
	// can fall back rather than show respondents "<no value>".
	parser *texttemplate.TextParser

	// Misses reported so far, so a page rendered a million times logs a missing message once.
	mu       sync.Mutex
	reported map[string]bool
}

type lang struct {
	info  Info
	tag   language.Tag
	forms []string // plural forms the language needs
	defs  map[string]MessageDef
	loc   *i18n.Localizer // over a bundle holding only this language's messages
}

// maxReported bounds the memory spent remembering reported misses.
const maxReported = 10000

// Option configures Load.
type Option func(*Catalog)

// WithLogger sets where missing messages are reported (default: slog.Default() at report time).
func WithLogger(l *slog.Logger) Option { return func(c *Catalog) { c.logger = l } }

// Load reads locales.toml and every active.<tag>.toml it names from fsys. Any problem — bad TOML,
// a shipped locale without its file, a file for a locale not listed, a duplicate message ID — is
// an error listing every problem as "file:line: problem", because a half-loaded catalog would
// show respondents message IDs. Missing translations are not errors here (T falls back to
// English); `trustpulse survey lint` reports them.
func Load(fsys fs.FS, opts ...Option) (*Catalog, error) {
	c := &Catalog{
		langs:    map[string]*lang{},
		byBase:   map[string][]string{},
		reported: map[string]bool{},
		parser:   &texttemplate.TextParser{Option: "missingkey=error"},
	}
	for _, o := range opts {
		o(c)
	}
	src, err := ReadSource(fsys)
	if err != nil {
		return nil, fmt.Errorf("load locales: %w", err)
	}
	var probs []string
	for _, p := range src.Problems {
		probs = append(probs, fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg))
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("load locales:\n%s", strings.Join(probs, "\n"))
	}
	c.tags = append(c.tags, Default)
	for _, m := range src.Metas {
		if m.Tag != Default {
			c.tags = append(c.tags, m.Tag)
		}
	}
	for _, tag := range c.tags {
		l, err := newLang(src.Files[tag])
		if err != nil {
			return nil, fmt.Errorf("load locales: %w", err)
		}
		c.langs[tag] = l
		base, _ := l.tag.Base()
		c.byBase[base.String()] = append(c.byBase[base.String()], tag)
	}
	return c, nil
}

// newLang builds one language's go-i18n bundle from its (problem-free) message file.
func newLang(f *File) (*lang, error) {
	m := f.Meta
	t, err := language.Parse(m.Tag)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %s is not a language tag: %w", MetaFile, m.Line, m.Tag, err)
	}
	l := &lang{
		info:  Info{Tag: m.Tag, Name: m.Name, Dir: m.Dir, Reviewed: m.Reviewed},
		tag:   t,
		forms: f.Forms,
		defs:  f.Defs,
	}
	pt := language.Make(m.PluralTag())
	bundle := i18n.NewBundle(pt)
	var msgs []*i18n.Message
	for _, id := range f.Order {
		msgs = append(msgs, bundleMessage(f.Defs[id], f.Forms))
	}
	if err := bundle.AddMessages(pt, msgs...); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	l.loc = i18n.NewLocalizer(bundle, pt.String())
	return l, nil
}

// bundleMessage converts d for go-i18n. A plural message missing one of the language's forms
// gets its "other" text there: go-i18n would do the same but also return an error, and lint
// reports the gap anyway.
func bundleMessage(d MessageDef, forms []string) *i18n.Message {
	get := func(f string) string {
		if s, ok := d.Forms[f]; ok {
			return s
		}
		if d.Plural() && slices.Contains(forms, f) {
			return d.Forms["other"]
		}
		return ""
	}
	return &i18n.Message{
		ID: d.ID, Description: d.Description,
		Zero: get("zero"), One: get("one"), Two: get("two"), Few: get("few"), Many: get("many"), Other: get("other"),
	}
}

// Tags lists the shipped locales, Default first.
func (c *Catalog) Tags() []string { return slices.Clone(c.tags) }

// Info describes tag, resolved like Localizer (an unknown tag gets Default's info).
func (c *Catalog) Info(tag string) Info { return c.resolve(tag).info }

// PluralForms lists the plural categories tag's messages need ({{.Count}} messages only).
func (c *Catalog) PluralForms(tag string) []string { return slices.Clone(c.resolve(tag).forms) }

// MessageIDs lists the message IDs written in tag's file, sorted; nil for an unshipped tag.
func (c *Catalog) MessageIDs(tag string) []string {
	l, ok := c.langs[tag]
	if !ok {
		return nil
	}
	ids := make([]string, 0, len(l.defs))
	for id := range l.defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Message returns tag's message id as written, for completeness checks.
func (c *Catalog) Message(tag, id string) (MessageDef, bool) {
	l, ok := c.langs[tag]
	if !ok {
		return MessageDef{}, false
	}
	d, ok := l.defs[id]
	return d, ok
}

func (c *Catalog) resolve(tag string) *lang {
	if t, ok := c.Supported(tag); ok {
		return c.langs[t]
	}
	return c.langs[Default]
}

// Supported normalises a candidate tag (from a URL, a cookie, a roster's home language) to a
// shipped one: "es-MX" → "es", "zh-CN" or "zh" → "zh-Hans", "AR" → "ar". Matching is on the base
// language; where several shipped tags share it, the script decides. A Traditional-Chinese tag
// ("zh-TW", "zh-Hant") gets zh-Hans while no zh-Hant is shipped: most readers of Traditional
// characters can read Simplified, which serves them better than English.
func (c *Catalog) Supported(tag string) (string, bool) {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return "", false
	}
	base, conf := t.Base()
	if conf != language.Exact { // "und", "und-MX": no language named, so nothing to honour
		return "", false
	}
	cands := c.byBase[base.String()]
	switch len(cands) {
	case 0:
		return "", false
	case 1:
		return cands[0], true
	}
	script, _ := t.Script()
	for _, cand := range cands {
		if s, _ := c.langs[cand].tag.Script(); s == script {
			return cand, true
		}
	}
	return cands[0], true
}

// maxAcceptEntries bounds the work one Accept-Language header can cause.
const maxAcceptEntries = 32

// MatchAccept picks the best shipped tag for an Accept-Language header, Default if none fits.
// It is parsed by hand rather than with language.ParseAcceptLanguage, which rejects the whole
// header over one malformed entry; here a bad entry is skipped and the rest still count.
func (c *Catalog) MatchAccept(header string) string {
	type entry struct {
		tag string
		q   float64
	}
	var entries []entry
	for i, part := range strings.Split(header, ",") {
		if i >= maxAcceptEntries {
			break
		}
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		if tag == "" || tag == "*" || q <= 0 {
			continue
		}
		entries = append(entries, entry{tag, q})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].q > entries[j].q })
	for _, e := range entries {
		if t, ok := c.Supported(e.tag); ok {
			return t
		}
	}
	return Default
}

// Localizer translates into one shipped locale. It is a small value over the read-only
// Catalog, so handlers may create one per request, and it is safe for concurrent use.
type Localizer struct {
	c    *Catalog
	lang *lang
}

// Localizer returns the Localizer for tag, resolved with Supported; unknown tags get Default.
func (c *Catalog) Localizer(tag string) *Localizer { return &Localizer{c: c, lang: c.resolve(tag)} }

// Tag is the shipped tag this Localizer translates into, for <html lang>.
func (l *Localizer) Tag() string { return l.lang.info.Tag }

// Dir is "ltr" or "rtl", for <html dir>.
func (l *Localizer) Dir() string { return l.lang.info.Dir }

// T translates message id. data maps are merged (later keys win) and fill the message's
// placeholders; "Count" also selects the CLDR plural form. T never panics: a message missing in
// this locale falls back to English, and a message that cannot be rendered at all comes back as
// its id, so the gap is visible on the page. Either miss is logged once per locale and id.
func (l *Localizer) T(id string, data ...map[string]any) string {
	td := merge(data)
	if s, ok := l.render(l.lang, id, td); ok {
		return s
	}
	if en := l.c.langs[Default]; l.lang != en {
		if s, ok := l.render(en, id, td); ok {
			l.c.reportMissing(l.lang.info.Tag, id, "missing translation, showing English")
			return s
		}
	}
	l.c.reportMissing(l.lang.info.Tag, id, "message missing or not renderable with the data given")
	return id
}

func (l *Localizer) render(lg *lang, id string, td map[string]any) (string, bool) {
	d, ok := lg.defs[id]
	if !ok {
		return "", false
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: td, TemplateParser: l.c.parser}
	if n, ok := td["Count"]; ok && d.Plural() {
		cfg.PluralCount = pluralCount(n)
	}
	s, err := lg.loc.Localize(cfg)
	if err != nil {
		return "", false
	}
	return s, true
}

func merge(data []map[string]any) map[string]any {
	switch len(data) {
	case 0:
		return map[string]any{}
	case 1:
		if data[0] != nil {
			return data[0]
		}
		return map[string]any{}
	}
	td := map[string]any{}
	for _, d := range data {
		for k, v := range d {
			td[k] = v
		}
	}
	return td
}

// pluralCount converts a count to a type go-i18n's plural operands accept (ints and decimal
// strings; unsigned and float values would fail).
func pluralCount(n any) any {
	switch v := n.(type) {
	case uint:
		return strconv.FormatUint(uint64(v), 10)
	case uint8:
		return int(v)
	case uint16:
		return int(v)
	case uint32:
		return int64(v)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return n
}

func (c *Catalog) reportMissing(tag, id, what string) {
	key := tag + "\x00" + id
	c.mu.Lock()
	first := !c.reported[key] && len(c.reported) < maxReported
	if first {
		c.reported[key] = true
	}
	c.mu.Unlock()
	if !first {
		return
	}
	logger := c.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("locale: "+what, "locale", tag, "message", id)
}
