package roster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // schools' IANA zones must check out on hosts without a zoneinfo database

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// Attribute keys in people.attributes: the subgroups reports break results down by.
const (
	AttrGender         = "gender"
	AttrRaceEthnicity  = "race_ethnicity"
	AttrAgeBand        = "age_band"
	AttrHomeLanguage   = "home_language"
	AttrEnglishLearner = "english_learner"
	AttrDisability     = "disability"
	AttrLowIncome      = "low_income"
	AttrDepartment     = "department"
	AttrTenure         = "tenure"
)

// DefaultTimeZone is a school's zone when the roster gives none (OneRoster has no field for it).
const DefaultTimeZone = "America/New_York"

// Race/ethnicity values, one per person as US federal reporting counts them: Hispanic or Latino
// first, whatever the race; then two or more races; then the one race.
const (
	RaceHispanic        = "hispanic"
	RaceAmericanIndian  = "american_indian"
	RaceAsian           = "asian"
	RaceBlack           = "black"
	RacePacificIslander = "pacific_islander"
	RaceWhite           = "white"
	RaceTwoOrMore       = "two_or_more"
)

// RaceValues lists the race_ethnicity values.
func RaceValues() []string {
	return []string{RaceHispanic, RaceAmericanIndian, RaceAsian, RaceBlack, RacePacificIslander, RaceWhite, RaceTwoOrMore}
}

// Gender values.
const (
	GenderFemale    = "female"
	GenderMale      = "male"
	GenderNonbinary = "nonbinary"
)

// yesNo is how flag-like attributes are stored: reports group by value, and "yes"/"no" read well.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// parseBool reads the booleans rosters hold. OneRoster writes true/false; spreadsheets often hold
// TRUE, yes, Y or 1.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

// parseDate reads a calendar date, YYYY-MM-DD.
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// parseDateTime reads OneRoster's dateLastModified: ISO 8601 with a zone ("2017-08-15T12:00:00.000Z"),
// or, as some exports write it, without one or as a bare date.
func parseDateTime(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateOnly} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// normGrade turns a grade into its CEDS code as OneRoster uses them ("01".."13", "KG", "PK"...).
// Plain numbers ("5") and "K" are accepted as the common spellings they are.
func normGrade(s string) (string, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= 13 {
			return fmt.Sprintf("%02d", n), true
		}
		return "", false
	}
	switch u := strings.ToUpper(s); u {
	case "IT", "PR", "PK", "TK", "KG", "PS", "UG":
		return u, true
	case "K":
		return "KG", true
	case "OTHER":
		return "Other", true
	}
	return "", false
}

// normLanguage turns a language code into the BCP 47 tag people.preferred_language and the
// home_language attribute hold: the language, with its script where the script is what tells
// written forms apart (zh-Hans, zh-Hant, sr-Latn), without a region, so reports group
// "es-MX" and "es-US" as Spanish. ISO 639-2 codes ("spa", "chi") are accepted, as many student
// information systems use them.
func normLanguage(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if b := iso639B(strings.ToLower(s)); b != "" {
		s = b
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	base, conf := t.Base()
	if conf != language.Exact {
		return "", false
	}
	script, _ := t.Script()
	if base.String() == "zh" {
		return "zh-" + script.String(), true
	}
	def, _ := language.Make(base.String()).Script()
	if script != def && script.String() != "Zzzz" {
		return base.String() + "-" + script.String(), true
	}
	return base.String(), true
}

// iso639B maps the ISO 639-2 bibliographic codes, which BCP 47 does not know, to their
// terminology twins, which it does.
func iso639B(s string) string {
	switch s {
	case "alb":
		return "sqi"
	case "arm":
		return "hye"
	case "baq":
		return "eus"
	case "bur":
		return "mya"
	case "chi":
		return "zho"
	case "cze":
		return "ces"
	case "dut":
		return "nld"
	case "fre":
		return "fra"
	case "geo":
		return "kat"
	case "ger":
		return "deu"
	case "gre":
		return "ell"
	case "ice":
		return "isl"
	case "mac":
		return "mkd"
	case "mao":
		return "mri"
	case "may":
		return "msa"
	case "per":
		return "fas"
	case "rum":
		return "ron"
	case "slo":
		return "slk"
	case "tib":
		return "bod"
	case "wel":
		return "cym"
	}
	return ""
}

// normPhone turns a phone number into E.164; numbers without a country code are read as US ones.
func normPhone(s string) (string, bool) {
	n, err := phonenumbers.Parse(s, "US")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// normGender reads OneRoster's sex vocabulary (male, female, and the "other" of later versions;
// "X" as on US documents). "unspecified" gives no value.
func normGender(s string) (v string, ok bool) {
	switch strings.ToLower(s) {
	case "female", "f":
		return GenderFemale, true
	case "male", "m":
		return GenderMale, true
	case "other", "x", "nonbinary", "non-binary":
		return GenderNonbinary, true
	case "unspecified", "":
		return "", true
	}
	return "", false
}

// normRace reads a race_ethnicity value of the simple format; spaces and hyphens count as
// underscores ("Two or more").
func normRace(s string) (string, bool) {
	v := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(s))
	if slices.Contains(RaceValues(), v) {
		return v, true
	}
	return "", false
}

// ageBand is a person's age band on day now: narrow bands through school age, where they follow
// school levels, wider ones for adults.
func ageBand(birth, now time.Time) string {
	age := fullYears(birth, now)
	switch {
	case age < 10:
		return "0-9"
	case age <= 12:
		return "10-12"
	case age <= 15:
		return "13-15"
	case age <= 18:
		return "16-18"
	case age <= 29:
		return "19-29"
	case age <= 39:
		return "30-39"
	case age <= 49:
		return "40-49"
	case age <= 59:
		return "50-59"
	}
	return "60+"
}

// tenureBand is a staff member's years of service on day now, in the bands staff surveys report.
func tenureBand(hired, now time.Time) string {
	years := fullYears(hired, now)
	switch {
	case years < 2:
		return "0-1"
	case years < 5:
		return "2-4"
	case years < 10:
		return "5-9"
	}
	return "10+"
}

// fullYears counts the whole years from since to now, as birthdays and anniversaries do.
func fullYears(since, now time.Time) int {
	n := now.Year() - since.Year()
	if now.Month() < since.Month() || (now.Month() == since.Month() && now.Day() < since.Day()) {
		n--
	}
	return n
}

// slugify makes a district slug from an org identifier or name.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// oneOf renders an enumeration for a problem message.
func oneOf(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}
