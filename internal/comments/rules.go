// Package comments is the comment reader (#15 line 5): the free-text answers of staff and family
// surveys (and of any instrument that asks for a comment), shown to the people who act on them
// under rules of their own. A comment is read only in a group of at least Floor respondents (a
// higher floor than the results', since a sentence can name its writer where a number cannot),
// only once its response is released into results, in random order and without dates, with the
// roster's names, phone numbers and email addresses taken out; every view and export is audited.
//
// This file holds the rules as pure functions; comments.go applies them to the database.
package comments

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustpulse/trustpulse/internal/store"
)

// DefaultFloor is the comment floor when a district chose none: no comment of a group is shown
// until at least this many respondents are in it.
const DefaultFloor = 20

// SettingFloor is the district setting holding its comment floor.
const SettingFloor = "comment_floor"

// What a redacted part becomes.
const (
	NameMark  = "[name]"
	PhoneMark = "[phone]"
	EmailMark = "[email]"
)

// FloorOf is a district's comment floor: its own setting, or DefaultFloor, and never below the
// results floor (a group too small for a number is too small for a sentence).
func FloorOf(settings store.Attrs, resultsFloor int) int {
	floor := DefaultFloor
	if n, err := strconv.Atoi(settings[SettingFloor]); err == nil && n > 0 {
		floor = n
	}
	return max(floor, resultsFloor)
}

// Why a group's comments are not shown ("" when they are).
const (
	HiddenSmall = "small" // fewer respondents than the floor
	HiddenRest  = "rest"  // a filter leaves the rest of the group below the floor
)

// Hidden is the floor rule for a group of group respondents of which a filter (measure band,
// language) keeps n: shown only if the filtered group has at least floor respondents and the rest
// of the group has none or at least floor too. Without the second rule, comparing the filtered
// comments with the whole group's would give away the comments, and so the band or language, of
// the few left out.
func Hidden(group, n, floor int) string {
	switch {
	case group < floor || n < floor:
		return HiddenSmall
	case group-n != 0 && group-n < floor:
		return HiddenRest
	}
	return ""
}

// Shuffle puts comments in random order: the order they were written in (and so the time, next
// to a person seen at a keyboard) must not show.
func Shuffle[T any](xs []T, rnd *rand.Rand) {
	rnd.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

var (
	emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+`)
	// A phone number: 7 to 15 digits, optionally after a +, with at most two of space . - ( )
	// between digits. Dates (with /) and short numbers (a room, a grade, a year) are left alone.
	phoneRE = regexp.MustCompile(`\+?\(?\d(?:[ .\-()]{0,2}\d){6,14}`)
)

// particles are parts of names that name nobody alone (de la Cruz, van Dijk): never redacted by
// themselves, or every Spanish comment would lose its "de" and "la".
var particles = set("de", "la", "las", "los", "del", "da", "das", "do", "dos", "di", "du", "le", "el", "al", "van", "von", "der", "den", "ten", "ter", "bin", "ibn", "bint", "y", "e", "st")

// commonWords are roster names that are everyday words too ("will", "may", "rose"): they are
// redacted only where written with a capital letter, so "I will ask" stays readable while "Will
// said" loses the name. Words of one or two letters (Li, Wu) follow the same rule.
var commonWords = set(
	// English
	"will", "may", "june", "april", "august", "grace", "hope", "joy", "faith", "mark", "bill", "rose", "ray", "dean",
	"chase", "hunter", "summer", "autumn", "amber", "iris", "jack", "pat", "sue", "don", "guy", "art", "sunny", "rich",
	"frank", "earl", "miles", "dawn", "eve", "gene", "lily", "penny", "ruby", "sky", "storm", "carol", "holly", "ivy",
	"jade", "jean", "rob", "young", "brown", "black", "white", "green", "gray", "grey", "king", "long", "little", "love",
	"price", "hall", "wood", "more", "bell", "case", "cook", "hill", "lane", "park", "rice", "page", "ward", "west",
	"north", "south", "best", "stone", "field", "fox", "hart", "key", "baker", "miller", "smith", "carter", "taylor",
	"booker", "major", "noble", "sharp", "strong", "wise", "hunt", "bush", "lake", "marsh", "day", "knight", "rush",
	"new", "good", "man", "low", "hand", "hope", "rain", "river", "star", "sun", "angel", "honey", "pearl", "violet",
	"destiny", "harmony", "heaven", "justice", "liberty", "trinity", "unity", "max", "sage", "reed", "page", "joy",
	// Spanish and Portuguese
	"rosa", "luz", "paz", "cruz", "santos", "blanco", "mar", "sol", "leon", "flores", "rios", "campos", "nieves",
	"reyes", "soledad", "dolores", "rocio", "esperanza", "mercedes", "pilar", "amparo", "consuelo", "alegria", "vida",
	"fe", "lucero", "rey", "prado", "montes", "vega", "bosque", "delgado", "moreno", "rubio", "bravo", "franco",
	"salvador", "guerra", "lima", "costa", "rocha", "silva", "pinto", "serra", "fonte",
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Redactor takes the roster's names, phone numbers and emails out of comments.
type Redactor struct {
	words  map[string]bool // lower-cased name words: redacted in any case
	capped map[string]bool // common words and short names: redacted where capitalized
	joined []string        // names in scripts written without spaces (Han, kana, Thai), longest first
}

// NewRedactor prepares the names of people (given and family names, any number of words each).
func NewRedactor(names []string) *Redactor {
	r := &Redactor{words: map[string]bool{}, capped: map[string]bool{}}
	seenJoined := map[string]bool{}
	for _, name := range names {
		if unspaced(name) {
			// "王伟": the whole name, and each part of two or more characters.
			for _, part := range append(strings.Fields(name), strings.Join(strings.Fields(name), "")) {
				if utf8.RuneCountInString(part) >= 2 && !seenJoined[part] {
					seenJoined[part] = true
					r.joined = append(r.joined, part)
				}
			}
			continue
		}
		for _, w := range nameWords(name) {
			lw := strings.ToLower(w)
			switch {
			case particles[lw]:
			case commonWords[lw] || utf8.RuneCountInString(lw) <= 2:
				r.capped[lw] = true
			default:
				r.words[lw] = true
			}
		}
	}
	// Longest first, so "王小明" is taken whole before "小明" would split it.
	sortLongestFirst(r.joined)
	return r
}

// nameWords splits a roster name into its words and the parts of hyphenated or apostrophed ones
// ("Smith-Jones" gives smith-jones, smith and jones; "O'Brien" gives o'brien, o and brien).
func nameWords(name string) []string {
	var out []string
	for _, tok := range tokens(name) {
		if !tok.word {
			continue
		}
		out = append(out, tok.text)
		if parts := strings.FieldsFunc(tok.text, joiner); len(parts) > 1 {
			out = append(out, parts...)
		}
	}
	return out
}

func joiner(r rune) bool { return r == '-' || r == '\'' || r == '’' }

// Redact returns text with emails, phone numbers and roster names replaced by their marks.
func (r *Redactor) Redact(text string) string {
	text = emailRE.ReplaceAllString(text, EmailMark)
	text = phoneRE.ReplaceAllStringFunc(text, func(m string) string {
		digits := 0
		for _, c := range m {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits < 7 {
			return m
		}
		return PhoneMark
	})
	for _, name := range r.joined {
		text = strings.ReplaceAll(text, name, NameMark)
	}
	var b strings.Builder
	for _, tok := range tokens(text) {
		if tok.word && r.isName(tok.text) {
			b.WriteString(NameMark)
		} else {
			b.WriteString(tok.text)
		}
	}
	return b.String()
}

// isName reports whether a word of a comment is a roster name (or a hyphen/apostrophe part of it
// is: "Smith's", "Ana-María").
func (r *Redactor) isName(w string) bool {
	if r.match(w) {
		return true
	}
	for _, part := range strings.FieldsFunc(w, joiner) {
		if r.match(part) {
			return true
		}
	}
	return false
}

func (r *Redactor) match(w string) bool {
	lw := strings.ToLower(w)
	if r.words[lw] {
		return true
	}
	first, _ := utf8.DecodeRuneInString(w)
	return r.capped[lw] && unicode.IsUpper(first)
}

type token struct {
	text string
	word bool
}

// tokens splits text into words (letters and marks, with inner hyphens and apostrophes) and the
// text between them, so that joining the tokens gives the text back.
func tokens(text string) []token {
	var out []token
	inWord := func(rs []rune, i int) bool {
		c := rs[i]
		if unicode.IsLetter(c) || unicode.IsMark(c) {
			return true
		}
		// A joiner between two letters belongs to the word.
		return joiner(c) && i > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i-1]) && unicode.IsLetter(rs[i+1])
	}
	rs := []rune(text)
	start := 0
	for i := 0; i <= len(rs); i++ {
		if i == len(rs) || (i > start && inWord(rs, i) != inWord(rs, start)) {
			if i > start {
				out = append(out, token{text: string(rs[start:i]), word: inWord(rs, start)})
			}
			start = i
		}
	}
	return out
}

// unspaced reports whether name is in a script written without spaces between words.
func unspaced(name string) bool {
	for _, c := range name {
		if unicode.In(c, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) {
			return true
		}
	}
	return false
}

func sortLongestFirst(xs []string) {
	slices.SortStableFunc(xs, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
}
