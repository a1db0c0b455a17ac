package httpserver_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/comments"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// commentsFixture adds a family wave at each school of the admin fixture: 25 released responses
// at Adams (with comments naming a rostered teacher, a phone and an email, and 5 held back) and
// 5 at Baker.
func commentsFixture(t *testing.T) (*adminFixture, store.Wave, store.Wave) {
	f := newAdminFixture(t)
	ctx := context.Background()
	now := f.st.Now()
	must(t, f.st.DB.Create(&store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: "teacher-1", Kind: store.KindStaff, GivenName: "Maria", FamilyName: "Gonzalez",
		SchoolID: &f.school, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	mk := func(school int64, name string, released, held int) store.Wave {
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: "family-pulse", InstrumentVersion: 1,
			Mode: store.ModeAnonymous, SchoolIDs: []int64{school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link"}})
		must(t, err)
		for i := range released + held {
			id := store.NewID()
			comment := ""
			switch {
			case i >= released:
				comment = "held back comment"
			case i%2 == 0:
				comment = fmt.Sprintf("Thank you Ms. Gonzalez (%d), call 555-867-5309 or maria@example.org", i)
			}
			must(t, f.st.DB.Create(&store.Response{DistrictID: f.district, ID: id, WaveID: w.ID, SchoolID: school, Language: "en", Answers: "3333", Comment: comment}).Error)
			if i < released {
				must(t, f.st.DB.Create(&store.ResponseRelease{DistrictID: f.district, ResponseID: id, WaveID: w.ID, Batch: 1}).Error)
			}
		}
		return w
	}
	return f, mk(f.school, "Adams families", 25, 5), mk(f.schoolB, "Baker families", 5, 0)
}

// TestCommentsAccess: district admins read every school's comments; leaders and counselors their
// own schools (another school, or a wave not at the school, is 404 and names nothing); no other
// role opens the page. Every read and export is audited; the page shows nothing before a choice.
func TestCommentsAccess(t *testing.T) {
	f, wa, wb := commentsFixture(t)
	a, b := fmt.Sprint(f.school), fmt.Sprint(f.schoolB)
	ga, gb := fmt.Sprint(wa.ID), fmt.Sprint(wb.ID)
	type want map[string]int
	tests := []struct {
		path string
		want want
	}{
		{"/admin/comments", want{"admin": 200, "leaderA": 200, "leaderB": 200, "counselorA": 200, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + ga + "&school=" + a, want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 200, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + gb + "&school=" + b, want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + ga + "&school=" + b, want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + gb + "&school=" + a, want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + ga + "&school=" + a + "&format=csv", want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 200, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + gb + "&school=" + b + "&format=csv", want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=999&school=" + a, want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/comments?wave=" + fmt.Sprint(f.waveA.ID) + "&school=" + a, want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}}, // a student wave without comments
	}
	reads := 0
	for _, role := range []string{"admin", "leaderA", "leaderB", "counselorA", "staffA", "analystA"} {
		br := f.signIn(role)
		for _, tc := range tests {
			t.Run(tc.path+" as "+role, func(t *testing.T) {
				code, body, _ := br.do("GET", tc.path, nil)
				if code != tc.want[role] {
					t.Fatalf("status %d, want %d", code, tc.want[role])
				}
				if code == 200 && strings.Contains(tc.path, "school=") {
					reads++
				}
				if code != 200 && (strings.Contains(body, "Baker") || strings.Contains(body, "Adams") || strings.Contains(body, "Gonzalez")) {
					t.Fatalf("refusal names something: %s", body)
				}
				if code == 200 && (role == "leaderA" || role == "counselorA") && strings.Contains(body, "Baker") {
					t.Fatalf("%s is offered Baker:\n%s", role, body)
				}
			})
		}
	}
	var n int64
	must(t, f.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action IN ?", f.district, []string{comments.ActionView, comments.ActionExport}).Count(&n).Error)
	if int(n) != reads {
		t.Fatalf("%d audit rows for %d reads", n, reads)
	}
}

// The page and its CSV show the released comments of a group at the floor, redacted and without
// dates; a group under the floor shows none, in the page or the file.
func TestCommentsPageAndCSV(t *testing.T) {
	f, wa, wb := commentsFixture(t)
	br := f.signIn("counselorA")
	path := fmt.Sprintf("/admin/comments?wave=%d&school=%d", wa.ID, f.school)
	code, page, _ := br.do("GET", path, nil)
	if code != 200 || strings.Count(page, "<li>Thank you Ms. [name] (") != 13 || strings.Contains(page, "Gonzalez") || strings.Contains(page, "555-867") ||
		strings.Contains(page, "example.org") || strings.Contains(page, "held back") || !strings.Contains(page, "13 comments from 25 people who answered.") {
		t.Fatalf("page: %d\n%s", code, page)
	}
	if !strings.Contains(page, "[phone] or [email]") || !strings.Contains(page, "at least 20 people") {
		t.Fatalf("page:\n%s", page)
	}
	code, csv, h := br.do("GET", path+"&format=csv", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") ||
		strings.Count(csv, "Thank you Ms. [name]") != 13 || strings.Contains(csv, "Gonzalez") || strings.Contains(csv, "held back") {
		t.Fatalf("csv: %d %v\n%s", code, h, csv)
	}
	// Filters: English is everyone (shown); a band nobody is in is under the floor.
	if _, page, _ := br.do("GET", path+"&lang=en", nil); !strings.Contains(page, "13 comments") {
		t.Fatalf("English:\n%s", page)
	}
	if _, page, _ := br.do("GET", path+"&filter=family-school-trust:0", nil); !strings.Contains(page, "Not shown: fewer than 20") || strings.Contains(page, "<li>Thank") {
		t.Fatalf("band 0:\n%s", page)
	}
	if code, _, _ := br.do("GET", path+"&filter=nope:9", nil); code != http.StatusBadRequest {
		t.Fatalf("unknown filter: %d", code)
	}
	ab := f.signIn("admin")
	bpath := fmt.Sprintf("/admin/comments?wave=%d&school=%d", wb.ID, f.schoolB)
	if _, page, _ := ab.do("GET", bpath, nil); !strings.Contains(page, "Not shown: fewer than 20") || strings.Contains(page, "Thank you") {
		t.Fatalf("Baker (5):\n%s", page)
	}
	if _, csv, _ := ab.do("GET", bpath+"&format=csv", nil); strings.TrimSpace(strings.TrimPrefix(csv, "\ufeff")) != "comment" {
		t.Fatalf("Baker CSV: %q", csv)
	}
}

// A district admin raises the comment floor on the page (never below the results floor); a
// leader may not change it.
func TestCommentsFloorSetting(t *testing.T) {
	f, wa, _ := commentsFixture(t)
	path := fmt.Sprintf("/admin/comments?wave=%d&school=%d", wa.ID, f.school)
	lb := f.signIn("leaderA")
	_, page, _ := lb.do("GET", path, nil)
	if strings.Contains(page, `action="/admin/comments/floor"`) {
		t.Fatal("a leader is offered the floor form")
	}
	if code, _, _ := lb.do("POST", "/admin/comments/floor", url.Values{"_csrf": {csrfOf(t, page)}, "floor": {"5"}}); code != http.StatusForbidden {
		t.Fatalf("leader POST: %d", code)
	}
	ab := f.signIn("admin")
	_, page, _ = ab.do("GET", "/admin/comments", nil)
	if code, body, _ := ab.do("POST", "/admin/comments/floor", url.Values{"_csrf": {csrfOf(t, page)}, "floor": {"9"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "from 10 (the results floor)") {
		t.Fatalf("floor 9: %d\n%s", code, body)
	}
	// The refusal is worded in the page's language (#16 line 6).
	for lang, want := range map[string]string{
		"es": "Umbral de comentarios: escriba un número entero de 10 (el umbral de resultados) a 1000.",
		"ar": "حد التعليقات: أدخل عددًا صحيحًا من 10 (حد النتائج) إلى 1000.",
	} {
		code, body, _ := ab.do("POST", "/admin/comments/floor?lang="+lang, url.Values{"_csrf": {csrfOf(t, page)}, "floor": {"abc"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), want) || !strings.Contains(body, `lang="`+lang+`"`) {
			t.Errorf("floor abc in %s: %d, want %q\n%s", lang, code, want, body)
		}
	}
	if code, _, h := ab.do("POST", "/admin/comments/floor", url.Values{"_csrf": {csrfOf(t, page)}, "floor": {"30"}}); code != http.StatusSeeOther || h.Get("Location") != "/admin/comments?notice=comment-floor" {
		t.Fatalf("floor 30: %d %s", code, h.Get("Location"))
	}
	if _, page, _ := lb.do("GET", path, nil); !strings.Contains(page, "Not shown: fewer than 30") || strings.Contains(page, "<li>Thank") {
		t.Fatalf("after floor 30:\n%s", page)
	}
}
