package sms

import (
	"strings"
	"unicode/utf8"

	"github.com/trustpulse/trustpulse/internal/locale"
)

// Message IDs of the SMS texts in locales/active.*.toml.
const (
	msgInvite   = "sms.invite"
	msgReminder = "sms.reminder"
	msgHelp     = "sms.help"
	msgStopped  = "sms.stopped"
	msgStarted  = "sms.started"
)

// MessageIDs lists the SMS message IDs, for `trustpulse survey lint` and the segment test.
func MessageIDs() []string {
	return []string{msgInvite, msgReminder, msgHelp, msgStopped, msgStarted,
		msgInviteAnswer, msgAnswerStart, msgAnswerPrompt, msgAnswerRetry, msgAnswerThanks, msgAnswerSep}
}

// Limits behind the two-segment promise: every text, in every locale, fits two UCS-2 segments
// (134 UTF-16 units) when its link is at most MaxLinkLen characters (a BASE_URL of up to 27
// characters plus "/s/" and a token of up to wave.MaxTokenLen: the 32-character secret after
// its district's route of one or two characters), the sender name at most MaxNameLen, the
// school at most MaxSchoolLen and the help contact at most MaxContactLen. Longer values still
// send, as three or more segments.
const (
	MaxLinkLen    = 64
	MaxNameLen    = 20
	MaxSchoolLen  = 24
	MaxContactLen = 30
	MaxSegments   = 2
)

// SchoolLabel is how a text names the school an invitation is for: a parent with children at
// two schools tells the two texts apart by it, and knows the school better than the district's
// sender name. A long name loses its generic words first ("Washington Elementary School" becomes
// "Washington Elementary", then "Washington Elem."), so what is cut is never the part that
// tells two schools apart; only then is it clipped like the sender name.
func SchoolLabel(name string) string {
	s := strings.Join(strings.Fields(name), " ")
	for _, shorten := range []func(string) string{
		func(s string) string { return strings.TrimSuffix(s, " School") },
		func(s string) string {
			return strings.NewReplacer("Elementary", "Elem.", "Intermediate", "Int.", "Middle", "Mid.", "Academy", "Acad.").Replace(s)
		},
	} {
		if utf8.RuneCountInString(s) <= MaxSchoolLen {
			return s
		}
		s = shorten(s)
	}
	return clip(s, MaxSchoolLen)
}

// clip shortens s to at most n characters (runes). It cuts at the last space when that keeps
// more than half, and drops what a cut leaves dangling ("Riverside Unified (demo)" becomes
// "Riverside Unified", not "Riverside Unified (d"), so a long district name still reads as a name.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := string(r[:n])
	if r[n] != ' ' {
		if i := strings.LastIndexByte(cut, ' '); utf8.RuneCountInString(cut[:i+1]) > n/2 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(cut, " ([{-–—,;:/&")
}

// render is one SMS text in lang with the sender name (clipped) and other data.
func render(cat *locale.Catalog, lang, id, name string, data map[string]any) string {
	td := map[string]any{"Name": clip(name, MaxNameLen)}
	for k, v := range data {
		td[k] = v
	}
	if c, ok := td["Contact"].(string); ok {
		td["Contact"] = clip(c, MaxContactLen)
	}
	// A text without a school (or a school without a name) names the district instead: a
	// missing placeholder would make go-i18n give up and send the message id.
	if c, _ := td["School"].(string); strings.TrimSpace(c) != "" {
		td["School"] = SchoolLabel(c)
	} else {
		td["School"] = td["Name"]
	}
	return cat.Localizer(lang).T(id, td)
}

// Link is the personal survey link for token.
func Link(baseURL, token string) string { return strings.TrimRight(baseURL, "/") + "/s/" + token }

// RedactLinks replaces every survey token in s (the 32 characters after "/s/") with REDACTED,
// so a text can be logged.
func RedactLinks(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "/s/")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		n := 0
		for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= '2' && s[n] <= '7') {
			n++
		}
		if n > 0 {
			b.WriteString("REDACTED")
		}
		s = s[n:]
	}
}
