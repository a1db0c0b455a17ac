package support_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/support"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

var tags = []string{"en", "es", "ar", "zh-Hans"}

func TestClean(t *testing.T) {
	long := strings.Repeat("a", support.MaxLen)
	tests := []struct {
		name, in, want string
		problem        string // part of the error; "" for accepted
	}{
		{"empty", "", "", ""},
		{"only spaces", " \t\n \r\n", "", ""},
		{"trimmed", "  Ms. Diaz, room 12  ", "Ms. Diaz, room 12", ""},
		{"line ends made \\n, trailing spaces and blank runs dropped", "Ms. Diaz, room 12 \r\n\r\n\r\nCall or text 988\r", "Ms. Diaz, room 12\n\nCall or text 988", ""},
		{"at the limit", long, long, ""},
		{"counted in characters, not bytes", strings.Repeat("学", support.MaxLen), strings.Repeat("学", support.MaxLen), ""},
		{"too long", long + "b", "", "281 characters, at most 280"},
		{"five lines", "a\nb\nc\nd\ne", "a\nb\nc\nd\ne", ""},
		{"six lines", "a\nb\nc\nd\ne\nf", "", "6 lines, at most 5"},
		{"tab", "room\t12", "", "no tabs"},
		{"escape", "room \x1b[31m12", "", "control characters"},
		{"invalid UTF-8", "room \xff", "", "control characters"},
		{"markup is text", "<b>Room 12</b>", "<b>Room 12</b>", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := support.Clean(tc.in)
			if tc.problem == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Clean(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("Clean(%q) error = %v, want one saying %q", tc.in, err, tc.problem)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	got, err := support.Check(tags, support.Texts{"en": " Ms. Diaz ", "es": "", "ar": "الغرفة 12"})
	if err != nil || len(got) != 2 || got["en"] != "Ms. Diaz" || got["ar"] != "الغرفة 12" {
		t.Fatalf("Check = %q, %v", got, err)
	}
	_, err = support.Check(tags, support.Texts{"fr": "Salle 12"})
	var fe *support.FieldError
	if !errors.As(err, &fe) || fe.Lang != "fr" || !errors.Is(err, support.ErrText) {
		t.Fatalf("a language not shipped: %v", err)
	}
	got, err = support.Check(tags, support.Texts{"en": "ok", "es": strings.Repeat("x", support.MaxLen+1), "ar": "a\tb"})
	if !errors.As(err, &fe) || fe.Lang != "es" || !strings.Contains(fe.Problem, "at most 280") {
		t.Fatalf("the first problem in the order of tags: %v", err)
	}
	if got["en"] != "ok" {
		t.Fatalf("texts cleaned so far are given back for the form: %q", got)
	}
}

func TestPick(t *testing.T) {
	school := support.Texts{"en": "Ms. Diaz, room 12", "es": "Sra. Díaz, salón 12"}
	district := support.Texts{"en": "Call or text 988", "ar": "اتصل بالرقم 988"}
	tests := []struct {
		name             string
		lang             string
		school, district support.Texts
		want             support.Shown
	}{
		{"the school's own, in the page's language", "es", school, district, support.Shown{Text: "Sra. Díaz, salón 12", Lang: "es", From: "school"}},
		{"the district's in the page's language before the school's English", "ar", school, district, support.Shown{Text: "اتصل بالرقم 988", Lang: "ar", From: "district"}},
		{"then the school's English", "vi", school, district, support.Shown{Text: "Ms. Diaz, room 12", Lang: "en", From: "school"}},
		{"then the district's English", "vi", support.Texts{"es": "x"}, district, support.Shown{Text: "Call or text 988", Lang: "en", From: "district"}},
		{"a school without texts gets the district's", "en", nil, district, support.Shown{Text: "Call or text 988", Lang: "en", From: "district"}},
		{"nothing anywhere", "so", support.Texts{"es": "x"}, support.Texts{"ar": "y"}, support.Shown{}},
		{"nothing at all", "en", nil, nil, support.Shown{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := support.Pick(tc.lang, tc.school, tc.district); got != tc.want {
				t.Fatalf("Pick(%s) = %+v, want %+v", tc.lang, got, tc.want)
			}
		})
	}
}

// Change replaces a school's texts (or the district's) with their audit row; ForPage reads them
// back under the fallback rule; a school of another district is not found and changes nothing.
func TestChangeAndForPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		d, other := testdb.NewDistrict(t, st), testdb.NewDistrict(t, st)
		now := st.Now()
		school := store.NewID()
		if err := st.DB.Create(&store.School{DistrictID: d, ID: school, SourcedID: "s1", Name: "Adams", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
		uid := int64(7)
		by := auth.Actor{UserID: &uid, Email: "lead@adams.test", IP: "192.0.2.1"}
		if _, err := support.Change(ctx, st, d, support.District, tags, support.Texts{"en": "Call or text 988", "es": "Llama o textea al 988"}, by); err != nil {
			t.Fatal(err)
		}
		if _, err := support.Change(ctx, st, d, school, tags, support.Texts{"en": "Ms. Diaz, room 12", "ar": "السيدة دياز"}, by); err != nil {
			t.Fatal(err)
		}
		for lang, want := range map[string]support.Shown{
			"en": {Text: "Ms. Diaz, room 12", Lang: "en", From: "school"},
			"es": {Text: "Llama o textea al 988", Lang: "es", From: "district"},
			"ar": {Text: "السيدة دياز", Lang: "ar", From: "school"},
			"vi": {Text: "Ms. Diaz, room 12", Lang: "en", From: "school"},
		} {
			got, err := support.ForPage(ctx, st.DB, d, school, lang)
			if err != nil || got != want {
				t.Errorf("ForPage(%s) = %+v, %v; want %+v", lang, got, err, want)
			}
		}
		// A second save replaces: the Arabic text is gone, the English one changed.
		if _, err := support.Change(ctx, st, d, school, tags, support.Texts{"en": "Mr. Okafor, room 3"}, by); err != nil {
			t.Fatal(err)
		}
		if got, _ := support.ForPage(ctx, st.DB, d, school, "ar"); got.Text != "Mr. Okafor, room 3" {
			t.Errorf("after the second save, Arabic shows %+v", got)
		}
		// A refused text changes nothing.
		if _, err := support.Change(ctx, st, d, school, tags, support.Texts{"en": strings.Repeat("x", 300)}, by); !errors.Is(err, support.ErrText) {
			t.Fatalf("too long: %v", err)
		}
		if got, _ := support.ForPage(ctx, st.DB, d, school, "en"); got.Text != "Mr. Okafor, room 3" {
			t.Errorf("after a refused save, English shows %+v", got)
		}
		if _, err := support.Change(ctx, st, other, school, tags, support.Texts{"en": "x"}, by); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a school of another district: %v", err)
		}
		var rows []store.AuditEntry
		if err := st.DB.Where("district_id = ? AND action = ?", d, support.ActionChange).Order("at").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].Target != "district" || rows[1].Target != "school "+itoa(school) ||
			!strings.Contains(rows[2].Detail, `en "Mr. Okafor, room 3"`) || rows[2].Actor != "lead@adams.test" || rows[2].UserID == nil {
			t.Fatalf("audit rows: %+v", rows)
		}
		var n int64
		st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", other, support.ActionChange).Count(&n)
		if n != 0 {
			t.Fatalf("the refused change in another district was audited %d times", n)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
