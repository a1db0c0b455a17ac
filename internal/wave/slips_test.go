package wave_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// homeroomOf puts people in a new homeroom class of school.
func (w *world) homeroomOf(t *testing.T, school int64, title string, people ...int64) {
	t.Helper()
	cl := store.Class{DistrictID: w.district, ID: store.NewID(), SourcedID: fmt.Sprintf("c-%s-%d", title, store.NewID()), SchoolID: school, Title: title, ClassType: "homeroom", Active: true}
	must(t, w.st.DB.Create(&cl).Error)
	for _, p := range people {
		must(t, w.st.DB.Create(&store.Enrollment{DistrictID: w.district, ClassID: cl.ID, PersonID: p, Role: "student", Active: true}).Error)
	}
}

func named(given, family string) func(*store.Person) {
	return func(p *store.Person) { p.GivenName, p.FamilyName = given, family }
}

// Printing slips gives each unanswered invitation of the group a fresh link and personal code,
// both of which open that person's survey, while the link made before stops; a reprint replaces
// one person's slip only; answered people get no slip; every print is audited.
func TestIssueSlipsGivesFreshLinksAndCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		ana := w.person(t, store.KindStudent, "04", w.schools[0], named("Ana", "Zamora"))
		ben := w.person(t, store.KindStudent, "04", w.schools[0], named("Ben", "Adams"))
		w.person(t, store.KindStudent, "04", w.schools[0], named("Cy", "Moss")) // no homeroom
		w.person(t, store.KindStudent, "04", w.schools[1], named("Dee", "Other"))
		w.homeroomOf(t, w.schools[0], "Room 12", ana, ben)
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"})
		issued, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		original := map[int64]string{}
		for _, is := range issued {
			original[is.PersonID] = is.Token
		}

		roster, err := w.svc.SlipRoster(ctx, w.district, wv.ID, w.schools[0])
		must(t, err)
		var got []string
		for _, p := range roster {
			got = append(got, p.Group+"/"+p.SortName)
		}
		if want := "Room 12/Adams, Ben|Room 12/Zamora, Ana|/Moss, Cy"; strings.Join(got, "|") != want {
			t.Fatalf("roster %q, want %q", strings.Join(got, "|"), want)
		}
		if g := wave.SlipGroups(roster); len(g) != 2 || g[0].Key != "Room 12" || g[0].Invited != 2 || g[1].Key != wave.NoGroup {
			t.Fatalf("groups %+v", g)
		}

		room := "Room 12"
		uid := int64(7)
		batch, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], Group: &room, Format: "pdf",
			Audit: auth.Entry{UserID: &uid, Actor: "lead@example.org", IP: "192.0.2.1"}})
		must(t, err)
		if len(batch.Slips) != 2 || batch.Invited != 2 || len(batch.NotAnswered) != 2 || batch.SchoolName != "S" {
			t.Fatalf("batch %+v", batch)
		}
		if _, err := w.svc.ByToken(ctx, original[ana]); !errors.Is(err, wave.ErrUnknown) {
			t.Fatalf("the link made before printing still opens: %v", err)
		}
		if _, err := w.svc.ByToken(ctx, original[w.personOf(t, "Cy")]); err != nil {
			t.Fatalf("a student outside the printed group lost their link: %v", err)
		}
		slipOf := map[string]wave.Slip{}
		for _, sl := range batch.Slips {
			slipOf[sl.Name] = sl
			for _, credential := range []string{sl.Token, sl.Code, strings.ToLower(sl.Code), strings.ReplaceAll(sl.Code, "-", " ")} {
				sess, err := w.svc.ByToken(ctx, credential)
				if err != nil || sess.Invitation.ID != sl.InvitationID {
					t.Fatalf("slip credential %q of %s: %v", credential, sl.Name, err)
				}
			}
		}
		var audits []store.AuditEntry
		must(t, st.DB.Where("district_id = ? AND action = ?", w.district, auth.ActionSlipsPrint).Find(&audits).Error)
		if len(audits) != 1 || !strings.Contains(audits[0].Target, "group:Room 12") || audits[0].Detail != "2 slips, pdf" || audits[0].Actor != "lead@example.org" {
			t.Fatalf("audit %+v", audits)
		}

		// Reprint Ana's slip: her old code and link stop, Ben's keep working.
		old := slipOf["Ana Zamora"]
		re, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], InvitationID: old.InvitationID})
		must(t, err)
		if len(re.Slips) != 1 || re.Slips[0].Code == old.Code || re.Group != "Room 12" {
			t.Fatalf("reprint %+v", re)
		}
		for _, stale := range []string{old.Code, old.Token} {
			if _, err := w.svc.ByToken(ctx, stale); !errors.Is(err, wave.ErrUnknown) {
				t.Fatalf("reprinted slip's old credential %q still opens: %v", stale, err)
			}
		}
		if _, err := w.svc.ByToken(ctx, slipOf["Ben Adams"].Code); err != nil {
			t.Fatalf("a reprint for Ana stopped Ben's slip: %v", err)
		}

		// Ben answers: the next print of the room is Ana's slip alone, and Ben cannot be reprinted.
		sess, err := w.svc.ByToken(ctx, slipOf["Ben Adams"].Code)
		must(t, err)
		must(t, w.svc.Submit(ctx, sess, "en"))
		again, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], Group: &room})
		must(t, err)
		if len(again.Slips) != 1 || again.Slips[0].Name != "Ana Zamora" || again.Answered != 1 || again.Invited != 2 {
			t.Fatalf("print after an answer %+v", again)
		}
		if _, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], InvitationID: slipOf["Ben Adams"].InvitationID}); !errors.Is(err, wave.ErrUsed) {
			t.Fatalf("reprint of an answered invitation: %v", err)
		}
		nobody := "Room 99"
		if _, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], Group: &nobody}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("print of an empty group: %v", err)
		}
		all, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0]})
		must(t, err)
		if len(all.Slips) != 2 || !all.Whole || all.Invited != 3 {
			t.Fatalf("print of the whole school %+v", all)
		}

		must(t, w.svc.SetStatus(ctx, w.district, wv.ID, store.StatusClosed))
		if _, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0]}); !errors.Is(err, wave.ErrClosed) {
			t.Fatalf("print in a closed wave: %v", err)
		}
		fam := w.wave(t, "family-pulse", store.ModeAnonymous, []string{"link"})
		if _, err := w.svc.SlipRoster(ctx, w.district, fam.ID, w.schools[0]); !errors.Is(err, wave.ErrNoSlips) {
			t.Fatalf("slips of a family wave: %v", err)
		}
	})
}

// personOf finds a test person by given name.
func (w *world) personOf(t *testing.T, given string) int64 {
	t.Helper()
	var p store.Person
	must(t, w.st.DB.Where("district_id = ? AND given_name = ?", w.district, given).First(&p).Error)
	return p.ID
}

func TestCodeShapes(t *testing.T) {
	for _, tc := range []struct {
		in              string
		personal, class bool
	}{
		{"ABCDEFGHJKMN", true, false},
		{"ABCDEFGHJK", false, true},
		{"ABCDEFGHJKM0", false, false}, // 0 is not in the alphabet
		{"ABCDEFGHJKMNP", false, false},
		{"", false, false},
		{"abcdefghjkmn", false, false}, // shapes are checked on normalized codes
	} {
		if got := wave.IsPersonalCode(tc.in); got != tc.personal {
			t.Errorf("IsPersonalCode(%q) = %v", tc.in, got)
		}
		if got := wave.IsClassCode(tc.in); got != tc.class {
			t.Errorf("IsClassCode(%q) = %v", tc.in, got)
		}
	}
	if got := wave.FormatPersonalCode("ABCDEFGHJKMN"); got != "ABCD-EFGH-JKMN" {
		t.Errorf("FormatPersonalCode = %q", got)
	}
	if got := wave.NormalizeCode(" abcd-efgh jkmn "); got != "ABCDEFGHJKMN" {
		t.Errorf("NormalizeCode = %q", got)
	}
}

// Personal codes draw every letter of the alphabet about equally often: no modulo bias.
func TestPersonalCodesAreUniform(t *testing.T) {
	counts := map[rune]int{}
	const draws = 6000
	for range draws {
		c := wave.NewPersonalCode()
		if !wave.IsPersonalCode(c) {
			t.Fatalf("NewPersonalCode() = %q", c)
		}
		for _, r := range c {
			counts[r]++
		}
	}
	const letters = 31
	want := draws * wave.PersonalCodeLength / letters // 2,322 each; sd about 47
	if len(counts) != letters {
		t.Fatalf("%d distinct letters, want %d", len(counts), letters)
	}
	for r, n := range counts {
		if n < want-400 || n > want+400 {
			t.Errorf("letter %q drawn %d times, want about %d", r, n, want)
		}
	}
}
