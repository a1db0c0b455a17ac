package sms

import (
	"errors"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/store"
)

func TestCheckTextSettings(t *testing.T) {
	tests := []struct {
		name     string
		in, want TextSettings
		problem  string // part of the error; "" for accepted
	}{
		{"empty means the defaults", TextSettings{}, TextSettings{}, ""},
		{"trimmed", TextSettings{Name: "  Riverside USD ", Contact: "\t555-0100 "}, TextSettings{Name: "Riverside USD", Contact: "555-0100"}, ""},
		{"name at the limit", TextSettings{Name: strings.Repeat("n", MaxNameLen)}, TextSettings{Name: strings.Repeat("n", MaxNameLen)}, ""},
		{"name in characters, not bytes", TextSettings{Name: strings.Repeat("学", MaxNameLen)}, TextSettings{Name: strings.Repeat("学", MaxNameLen)}, ""},
		{"name too long", TextSettings{Name: strings.Repeat("n", MaxNameLen+1)}, TextSettings{}, "Name in texts: 21 characters, at most 20"},
		{"contact at the limit", TextSettings{Contact: strings.Repeat("c", MaxContactLen)}, TextSettings{Contact: strings.Repeat("c", MaxContactLen)}, ""},
		{"contact too long", TextSettings{Contact: strings.Repeat("ó", MaxContactLen+1)}, TextSettings{}, "Help contact: 31 characters, at most 30"},
		{"line break in a name", TextSettings{Name: "Riverside\nUSD"}, TextSettings{}, "Name in texts: one line"},
		{"tab in a contact", TextSettings{Contact: "555\t0100"}, TextSettings{}, "Help contact: one line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckTextSettings(tc.in)
			if tc.problem == "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckTextSettings(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("CheckTextSettings(%q) error = %v, want one saying %q", tc.in, err, tc.problem)
			}
			// The staff page words it from its message (#16 line 6), which in English reads as
			// the error's sentence.
			var r *refusal.Error
			if !errors.As(err, &r) || err.Error() != ErrSettings.Error()+": "+r.Msg {
				t.Fatalf("CheckTextSettings(%q) error = %v, want a refusal", tc.in, err)
			}
			refusaltest.Rendered(t, "dashboard-refusals-sms.en.toml", r)
		})
	}
}

// The preview is the texts as sent: the saved name and contact, else the district name (cut at a
// word) and the site's address.
func TestPreviewUsesSettingsElseDefaults(t *testing.T) {
	cat := loadCatalog(t)
	d := store.District{Name: "Riverside Unified School District"}
	invite, help := Preview(cat, "en", d, "Adams Elementary School", "https://tp.example")
	if !strings.HasPrefix(invite, "Adams Elementary School:") || !strings.Contains(invite, "https://tp.example/s/"+strings.Repeat("x", 32)) {
		t.Errorf("default invitation: %q", invite)
	}
	if !strings.HasPrefix(help, "Riverside Unified ") || !strings.Contains(help, "Questions: https://tp.example.") {
		t.Errorf("default HELP reply: %q", help)
	}
	d.Settings = store.Attrs{SettingName: "RUSD", SettingContact: "555-0100"}
	invite, help = Preview(cat, "es", d, "Adams Elementary School", "https://tp.example")
	if !strings.HasPrefix(invite, "Adams Elementary School:") || !strings.HasPrefix(help, "RUSD") || !strings.Contains(help, "555-0100") {
		t.Errorf("with settings, in Spanish: %q / %q", invite, help)
	}
}
