package sms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// District settings (store.District.Settings) of what texts say.
const (
	SettingName    = "sms_name"
	SettingContact = "sms_contact"
)

// ErrSettings wraps a text setting that cannot be accepted; the message names the field.
var ErrSettings = errors.New("invalid text message settings")

// TextSettings are a district's own words in its texts. Empty means the default: the district's
// name, and the site's address as the HELP contact.
type TextSettings struct {
	Name    string
	Contact string
}

// CurrentTextSettings are d's text settings as saved.
func CurrentTextSettings(d store.District) TextSettings {
	return TextSettings{Name: d.Settings[SettingName], Contact: d.Settings[SettingContact]}
}

// CheckTextSettings trims ts and refuses what would not fit: a name longer than MaxNameLen or a
// contact longer than MaxContactLen would be cut in every text (the two-segment promise is checked
// at those lengths), and a line break or other control character would break a text's layout.
// A refusal is ErrSettings and carries its message in locales/dashboard-refusals-sms.<tag>.toml.
func CheckTextSettings(ts TextSettings) (TextSettings, error) {
	ts.Name, ts.Contact = strings.TrimSpace(ts.Name), strings.TrimSpace(ts.Contact)
	for _, f := range []struct {
		field, label, value string
		max                 int
	}{{"name", "Name in texts", ts.Name, MaxNameLen}, {"contact", "Help contact", ts.Contact, MaxContactLen}} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return ts, refusal.Of(ErrSettings, refusal.New(f.field, "refusal.sms."+f.field+"_long",
				fmt.Sprintf("%s: %d characters, at most %d fit every text", f.label, n, f.max), "Count", n, "Max", f.max))
		}
		if strings.ContainsFunc(f.value, unicode.IsControl) {
			return ts, refusal.Of(ErrSettings, refusal.New(f.field, "refusal.sms."+f.field+"_lines", f.label+": one line, without tabs or line breaks"))
		}
	}
	return ts, nil
}

// SaveTextSettings checks and saves a district's text settings and returns them as saved.
func SaveTextSettings(ctx context.Context, st *store.Store, districtID int64, ts TextSettings) (TextSettings, error) {
	return ChangeTextSettings(ctx, st, districtID, ts, auth.Actor{})
}

// ActionTextSettings is the audit action for a change of the name or contact in texts.
const ActionTextSettings = "sms.settings"

// ChangeTextSettings is the use case behind the text message settings page: the checked
// settings and their audit row (ActionTextSettings, by) in one transaction.
func ChangeTextSettings(ctx context.Context, st *store.Store, districtID int64, ts TextSettings, by auth.Actor) (TextSettings, error) {
	ts, err := CheckTextSettings(ts)
	if err != nil {
		return ts, err
	}
	err = st.Tx(ctx, func(tx *gorm.DB) error {
		if err := st.ChangeSettings(tx, districtID, func(settings store.Attrs) {
			settings[SettingName], settings[SettingContact] = ts.Name, ts.Contact
		}, nil); err != nil {
			return err
		}
		return auth.AuditTx(tx, st.Now(), by.Entry(districtID, ActionTextSettings, "district", fmt.Sprintf("name %q, contact %q", ts.Name, ts.Contact)))
	})
	if err != nil {
		return ts, fmt.Errorf("save text message settings: %w", err)
	}
	return ts, nil
}

// Preview is the invitation and the HELP reply in lang as d's families get them now, with a
// made-up survey link of the real length, for a family of the school named school.
func Preview(cat *locale.Catalog, lang string, d store.District, school, baseURL string) (invite, help string) {
	name := senderName(d)
	invite = render(cat, lang, msgInvite, name, map[string]any{"Link": Link(baseURL, strings.Repeat("x", 32)), "School": school})
	help = render(cat, lang, msgHelp, name, map[string]any{"Contact": districtContact(d, baseURL)})
	return invite, help
}

// PreviewSchool is the school the settings preview names: the one whose label in texts is
// longest, so the preview shows the district's longest invitation.
func PreviewSchool(db *gorm.DB, districtID int64) (string, error) {
	var names []string
	if err := db.Model(&store.School{}).Where("district_id = ? AND active", districtID).Order("id").Pluck("name", &names).Error; err != nil {
		return "", fmt.Errorf("preview school: %w", err)
	}
	best := ""
	for _, n := range names {
		if utf8.RuneCountInString(SchoolLabel(n)) > utf8.RuneCountInString(SchoolLabel(best)) {
			best = n
		}
	}
	return best, nil
}
