package sms

import (
	"fmt"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Message IDs of answering by text.
const (
	msgInviteAnswer = "sms.invite_answer" // the invitation of a wave that can be answered by text
	msgAnswerStart  = "sms.answer_start"  // how to answer: the scale, SKIP and STOP
	msgAnswerPrompt = "sms.answer_prompt" // one item
	msgAnswerRetry  = "sms.answer_retry"  // any reply that is not a digit, SKIP or STOP
	msgAnswerThanks = "sms.answer_thanks" // after the last item
	msgAnswerSep    = "sms.answer_sep"    // separates the scale's "1=label" entries
)

// textFunc renders one message of one locale with data; ok is false when the locale lacks it.
type textFunc func(id string, data map[string]any) (text string, ok bool)

// MaxAnswerPoints is the largest scale answerable with one digit.
const MaxAnswerPoints = 9

// Answerable reports whether an instrument can be answered by text: one digit per answer.
func Answerable(in *survey.Instrument) bool {
	return in.Scale.Points >= 2 && in.Scale.Points <= MaxAnswerPoints
}

// instrumentTag is the locale an instrument's texts are read in: tag if the instrument has it,
// else English.
func instrumentTag(in *survey.Instrument, tag string) string {
	if _, ok := in.Scale.Labels[tag]; ok {
		return tag
	}
	return "en"
}

// scaleText lists the scale as the digits that answer it: "1=Strongly disagree, 2=Disagree, …".
// The digits map one to one onto the instrument's categories (digit d is category d-1), with the
// instrument's own labels, so a family answers exactly the scale the web page shows.
func scaleText(text textFunc, in *survey.Instrument, tag string) string {
	sep, ok := text(msgAnswerSep, nil)
	if !ok || sep == "" {
		sep = ", "
	}
	labels := in.Scale.Labels[instrumentTag(in, tag)]
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = fmt.Sprintf("%d=%s", i+1, l)
	}
	return strings.Join(parts, sep)
}

// itemText is item i's text in tag (English when the instrument lacks the locale).
func itemText(in *survey.Instrument, i int, tag string) string {
	it := in.Items[i]
	if t := it.Text[tag]; t != "" {
		return t
	}
	return it.Text["en"]
}

// startText explains how to answer; promptText asks item i; retryText re-asks for a digit.
func startText(text textFunc, in *survey.Instrument, tag string) string {
	s, _ := text(msgAnswerStart, map[string]any{"Total": len(in.Items), "Scale": scaleText(text, in, tag), "Max": in.Scale.Points})
	return s
}

func promptText(text textFunc, in *survey.Instrument, i int, tag string) string {
	s, _ := text(msgAnswerPrompt, map[string]any{"Number": i + 1, "Total": len(in.Items), "Item": itemText(in, i, instrumentTag(in, tag)), "Max": in.Scale.Points})
	return s
}

func retryText(text textFunc, in *survey.Instrument, tag string) string {
	s, _ := text(msgAnswerRetry, map[string]any{"Scale": scaleText(text, in, tag), "Max": in.Scale.Points})
	return s
}

// skipWords are the replies that skip the current item, normalized like keywords: SKIP and the
// word each locale's prompt names.
var skipWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"SKIP", "SALTAR", "OMITIR", "PULAR", "跳过", "BỎ QUA", "BO QUA", "تخطي", "تخطى", "SOTE", "KA BOOD", "BOOD"} {
		m[normalizeKeyword(w)] = true
	}
	return m
}()

// parseAnswer reads a reply to an item of a points-category scale: a digit 1..points (ASCII,
// Arabic-Indic, Persian or full-width, with any spaces or punctuation around it) gives the
// category "0".."points-1"; a SKIP word gives "skip". ok is false for anything else.
func parseAnswer(body string, points int) (value string, ok bool) {
	s := normalizeKeyword(body)
	if skipWords[s] {
		return "skip", true
	}
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || n != len(s) || !unicode.IsDigit(r) {
		return "", false
	}
	d := digitValue(r)
	if d < 1 || d > points {
		return "", false
	}
	return string(rune('0' + d - 1)), true
}

// digitValue is the value of a decimal digit from the scripts families' phones type, or -1.
func digitValue(r rune) int {
	for _, zero := range []rune{'0', '٠', '۰', '０'} {
		if r >= zero && r <= zero+9 {
			return int(r - zero)
		}
	}
	return -1
}

// TextCheck is one SMS text that does not fit MaxSegments in the worst case.
type TextCheck struct {
	ID       string // message id
	Segments int
	Units    int    // characters as sent: septets for GSM-7, UTF-16 units for UCS-2
	Encoding string // "GSM-7" or "UCS-2"
	With     string // the worst case that broke it
}

// Worst-case values the two-segment promise is checked with (see MaxLinkLen): the longest link,
// sender name and contact, in the GSM alphabet and forcing UCS-2.
func worstLink() string {
	token := strings.Repeat("a", wave.MaxTokenLen)
	return Link("https://"+strings.Repeat("s", MaxLinkLen-len("https://")-len("/s/")-len(token)), token)
}

var (
	worstNames    = []string{strings.Repeat("W", MaxNameLen), strings.Repeat("学", MaxNameLen)}
	worstContacts = []string{strings.Repeat("W", MaxContactLen), strings.Repeat("ó", MaxContactLen)}
	worstSchools  = []string{strings.Repeat("W", MaxSchoolLen), strings.Repeat("学", MaxSchoolLen)}
)

// CheckTexts renders every SMS text of one locale in its worst case and returns those longer
// than MaxSegments: the invitation, reminder and HELP/STOP/START texts with the longest link,
// name and contact; the answering texts with every instrument's scale and every item's text
// (each prompt with its own item, so the longest is covered). Messages the locale lacks are
// skipped (lint reports them as missing).
func CheckTexts(text textFunc, instruments []*survey.Instrument, tag string) []TextCheck {
	var out []TextCheck
	check := func(id, with, s string) {
		if n := Segments(s); n > MaxSegments {
			enc := "GSM-7"
			if !IsGSM(s) {
				enc = "UCS-2"
			}
			out = append(out, TextCheck{ID: id, Segments: n, Units: units(s), Encoding: enc, With: with})
		}
	}
	// clipped is text rendered with the sender name and school clipped as render does.
	clipped := func(id string, data map[string]any) (string, bool) {
		d := map[string]any{}
		for k, v := range data {
			d[k] = v
		}
		if n, ok := d["Name"].(string); ok {
			d["Name"] = clip(n, MaxNameLen)
		}
		if n, ok := d["School"].(string); ok {
			d["School"] = SchoolLabel(n)
		}
		return text(id, d)
	}
	link := worstLink()
	for _, id := range []string{msgInvite, msgReminder, msgInviteAnswer, msgHelp, msgStopped, msgStarted, msgAnswerThanks} {
		var worst TextCheck
		for _, name := range worstNames {
			for _, contact := range worstContacts {
				for _, school := range worstSchools {
					s, ok := clipped(id, map[string]any{"Name": name, "Link": link, "Contact": contact, "School": school})
					if !ok {
						continue
					}
					enc := "GSM-7"
					if !IsGSM(s) {
						enc = "UCS-2"
					}
					c := TextCheck{ID: id, Segments: Segments(s), Units: units(s), Encoding: enc,
						With: fmt.Sprintf("a %d-character link, a %d-character %s name, a %d-character %s school and a %d-character contact",
							MaxLinkLen, MaxNameLen, nameKind(name), MaxSchoolLen, nameKind(school), MaxContactLen)}
					if c.Segments > worst.Segments || c.Segments == worst.Segments && c.Units > worst.Units {
						worst = c
					}
				}
			}
		}
		if worst.Segments > MaxSegments {
			out = append(out, worst)
		}
	}
	for _, in := range instruments {
		if !Answerable(in) || len(in.Items) == 0 {
			continue
		}
		what := fmt.Sprintf("instrument %s v%d", in.ID, in.Version)
		if s := startText(text, in, tag); s != "" {
			check(msgAnswerStart, "the scale of "+what, s)
		}
		if s := retryText(text, in, tag); s != "" {
			check(msgAnswerRetry, "the scale of "+what, s)
		}
		for i, it := range in.Items {
			if s := promptText(text, in, i, tag); s != "" {
				check(msgAnswerPrompt, fmt.Sprintf("item %s of %s", it.ID, what), s)
			}
		}
	}
	return out
}

// units is the length of s as sent: septets in GSM-7, else UTF-16 code units.
func units(s string) int {
	gsm, n, u := IsGSM(s), 0, 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmExtended, r):
			n += 2
		default:
			n++
		}
		if r > 0xFFFF {
			u += 2
		} else {
			u++
		}
	}
	if gsm {
		return n
	}
	return u
}

func nameKind(name string) string {
	if IsGSM(name) {
		return "GSM-7"
	}
	return "UCS-2"
}

// LintTexts is `trustpulse survey lint`'s SMS check: every SMS text of every locale file in src,
// rendered in its worst case (see CheckTexts; links are checked at MaxLinkLen characters, lint
// has no base URL), must fit MaxSegments. Problems name the locale file and the message's line,
// relative to the locale tree. Messages a file lacks, or that do not parse as templates, are left
// to lint's other checks.
func LintTexts(src *locale.Source, instruments []*survey.Instrument) []survey.Problem {
	var probs []survey.Problem
	for _, m := range src.Metas {
		f := src.Files[m.Tag]
		if f == nil || f.Broken {
			continue
		}
		tmpls := map[string]*template.Template{}
		text := func(id string, data map[string]any) (string, bool) {
			d, ok := f.Defs[id]
			if !ok || d.Plural() {
				return "", false
			}
			t, ok := tmpls[id]
			if !ok {
				var err error
				if t, err = template.New(id).Parse(d.Forms["other"]); err != nil {
					t = nil
				}
				tmpls[id] = t
			}
			if t == nil {
				return "", false
			}
			var b strings.Builder
			if err := t.Execute(&b, data); err != nil {
				return "", false
			}
			return b.String(), true
		}
		for _, c := range CheckTexts(text, instruments, m.Tag) {
			limit := fmt.Sprintf("%d GSM-7 characters", MaxSegments*gsmPart)
			if c.Encoding == "UCS-2" {
				limit = fmt.Sprintf("%d UCS-2 characters", MaxSegments*ucs2Part)
			}
			probs = append(probs, survey.Problem{File: f.Name, Line: f.Defs[c.ID].Line,
				Msg: fmt.Sprintf("SMS text %s (%s) takes %d segments: %d %s characters with %s; at most %d segments (%s) are allowed",
					c.ID, m.Tag, c.Segments, c.Units, c.Encoding, c.With, MaxSegments, limit)})
		}
	}
	return probs
}
