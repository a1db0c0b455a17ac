// Package support is "help right away" (#15 line 6): each school's short "who to talk to" text
// (a counselor's name, a room, a crisis line) in every shipped locale, and the rule for which text
// a student's thank-you page shows. The page shows it after every student survey, whatever was
// answered: the text depends only on the school and the page's language, never on the response.
package support

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Limits of one text: a name, a room and a crisis line fit, and the thank-you page stays short on
// a phone.
const (
	MaxLen   = 280 // characters
	MaxLines = 5
)

// District is the school id of the district's default texts, used where a school has none.
const District int64 = 0

// Fallback is the language a page falls back to when neither the school nor the district has a
// text in the page's own language: better a crisis line in English than none.
const Fallback = "en"

// ActionChange is the audit action for a change of a school's (or the district's) texts.
const ActionChange = "support.help_text"

// ErrText wraps a text that cannot be accepted (a *FieldError says which language and why).
var ErrText = errors.New("invalid help text")

// FieldError is a refused text: Lang names the field, Problem says what is wrong in English.
type FieldError struct {
	Lang, Problem string
}

func (e *FieldError) Error() string        { return fmt.Sprintf("%s: %s: %s", ErrText, e.Lang, e.Problem) }
func (e *FieldError) Is(target error) bool { return target == ErrText }

// Texts are one school's texts by locale tag; a language without a text is absent.
type Texts map[string]string

// Clean is a text as stored: trimmed, line ends made "\n", trailing spaces of each line and runs of
// blank lines dropped. A text over MaxLen characters or MaxLines lines, or with a control
// character other than a line break, is refused with what is wrong.
func Clean(s string) (string, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" && (len(lines) == 0 || lines[len(lines)-1] == "") {
			continue
		}
		lines = append(lines, l)
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	s = strings.TrimSpace(strings.Join(lines, "\n"))
	if n := utf8.RuneCountInString(s); n > MaxLen {
		return s, fmt.Errorf("%d characters, at most %d", n, MaxLen)
	}
	if n := strings.Count(s, "\n") + 1; s != "" && n > MaxLines {
		return s, fmt.Errorf("%d lines, at most %d", n, MaxLines)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && (unicode.IsControl(r) || r == utf8.RuneError) }) {
		return s, errors.New("only text and line breaks (no tabs or other control characters)")
	}
	return s, nil
}

// Check cleans each text of in; tags are the shipped locales, and a text in any other language
// is refused. Empty texts are dropped. The first problem, in the order of tags, is returned as a
// *FieldError with the texts as cleaned so far, for the form to show back.
func Check(tags []string, in Texts) (Texts, error) {
	out := Texts{}
	for tag := range in {
		if !slices.Contains(tags, tag) {
			return out, &FieldError{Lang: tag, Problem: "not a shipped language"}
		}
	}
	var first error
	for _, tag := range tags {
		s, err := Clean(in[tag])
		if s != "" {
			out[tag] = s
		}
		if err != nil && first == nil {
			first = &FieldError{Lang: tag, Problem: err.Error()}
		}
	}
	return out, first
}

// Shown is the text a thank-you page shows: Lang is the text's own language (it may be the
// fallback's, not the page's), From says whose text it is ("school", "district"), and both are
// empty when there is no text at all (the page then says to talk to an adult at school).
type Shown struct {
	Text, Lang, From string
}

// Pick is the fallback rule, in order: the school's text in the page's language, the district's
// default in that language, the school's text in Fallback, the district's in Fallback. A child
// reads their own language first, and the school's own words before the district's.
func Pick(lang string, school, district Texts) Shown {
	for _, l := range []string{lang, Fallback} {
		if s := school[l]; s != "" {
			return Shown{Text: s, Lang: l, From: "school"}
		}
		if s := district[l]; s != "" {
			return Shown{Text: s, Lang: l, From: "district"}
		}
	}
	return Shown{}
}

// Load reads a school's texts and the district's defaults (for District, both are the defaults).
func Load(ctx context.Context, db *gorm.DB, districtID, schoolID int64) (school, district Texts, err error) {
	var rows []store.HelpText
	if err := db.WithContext(ctx).Where("district_id = ? AND school_id IN ?", districtID, []int64{District, schoolID}).Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("load help texts: %w", err)
	}
	school, district = Texts{}, Texts{}
	for _, r := range rows {
		if r.SchoolID == schoolID {
			school[r.Lang] = r.Body
		}
		if r.SchoolID == District {
			district[r.Lang] = r.Body
		}
	}
	return school, district, nil
}

// ForPage is what the thank-you page of a student survey at schoolID shows in lang.
func ForPage(ctx context.Context, db *gorm.DB, districtID, schoolID int64, lang string) (Shown, error) {
	school, district, err := Load(ctx, db, districtID, schoolID)
	if err != nil {
		return Shown{}, err
	}
	return Pick(lang, school, district), nil
}

// Change is the use case behind the help text form: the checked texts of schoolID (District for
// the district's defaults) replace the saved ones, with their audit row (ActionChange, by) in the
// same transaction. Who may change which school is the caller's check (district admin: every
// school and the defaults; school leader: their schools). A school not in the district is
// store.ErrNotFound.
func Change(ctx context.Context, st *store.Store, districtID, schoolID int64, tags []string, in Texts, by auth.Actor) (Texts, error) {
	texts, err := Check(tags, in)
	if err != nil {
		return texts, err
	}
	target := "district"
	if schoolID != District {
		target = fmt.Sprintf("school %d", schoolID)
	}
	err = st.Tx(ctx, func(tx *gorm.DB) error {
		if schoolID != District {
			var n int64
			if err := tx.Model(&store.School{}).Where("district_id = ? AND id = ?", districtID, schoolID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("school %d: %w", schoolID, store.ErrNotFound)
			}
		}
		if err := tx.Where("district_id = ? AND school_id = ?", districtID, schoolID).Delete(&store.HelpText{}).Error; err != nil {
			return err
		}
		now := st.Now()
		var detail []string
		for _, tag := range tags {
			if s, ok := texts[tag]; ok {
				if err := tx.Create(&store.HelpText{DistrictID: districtID, SchoolID: schoolID, Lang: tag, Body: s, UpdatedAt: now}).Error; err != nil {
					return err
				}
				detail = append(detail, fmt.Sprintf("%s %q", tag, s))
			}
		}
		if len(detail) == 0 {
			detail = []string{"no texts"}
		}
		return auth.AuditTx(tx, now, by.Entry(districtID, ActionChange, target, strings.Join(detail, "; ")))
	})
	if err != nil {
		return texts, fmt.Errorf("save help texts: %w", err)
	}
	return texts, nil
}
