package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/support"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestThanksPageSaysWhoToTalkToWhateverTheAnswers: three students answer the same survey as
// differently as they can (every item "Not true", every item at the top, every item skipped). Their
// thank-you pages carry the school's text, and are the same bytes once each page's own link
// (which holds the student's token) is taken out: nothing on the page depends on the answers.
func TestThanksPageSaysWhoToTalkToWhateverTheAnswers(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	ctx := context.Background()
	tags := []string{"en", "es", "zh-Hans", "vi", "ar", "ht", "pt", "so"}
	_, err := support.Change(ctx, f.st, f.district, f.school, tags, support.Texts{"en": "Ms. Diaz, counselor, room 12\nCall or text 988 <any time>"}, auth.Actor{})
	must(t, err)
	_, err = support.Change(ctx, f.st, f.district, support.District, tags, support.Texts{"es": "Llama o textea al 988"}, auth.Actor{})
	must(t, err)
	_, tokens := f.openWave(store.ModeConfidential, "link")
	answers := []func(string) string{
		func(string) string { return "0" },
		func(string) string { return "3" },
		func(string) string { return "skip" },
	}
	pages := map[string][]string{} // lang -> one page per student
	for i, id := range f.students {
		b := f.browser()
		base := "/s/" + tokens[id]
		b.answerAll(base, 4, answers[i])
		for _, lang := range []string{"en", "es", "ar"} {
			code, page, _ := b.do("GET", base+"/thanks?lang="+lang, nil)
			if code != http.StatusOK {
				t.Fatalf("thanks (%s): %d", lang, code)
			}
			pages[lang] = append(pages[lang], strings.ReplaceAll(page, tokens[id], "TOKEN"))
		}
	}
	for lang, ps := range pages {
		for i := 1; i < len(ps); i++ {
			if ps[i] != ps[0] {
				t.Errorf("%s: the thank-you page of student %d differs from student 0's:\n%s\n---\n%s", lang, i, ps[i], ps[0])
			}
		}
	}
	if p := pages["en"][0]; !strings.Contains(p, "Ms. Diaz, counselor, room 12\nCall or text 988 &lt;any time&gt;") || !strings.Contains(p, "Want to talk to someone?") {
		t.Errorf("English page lacks the school's text (escaped, lines kept):\n%s", p)
	}
	if p := pages["es"][0]; !strings.Contains(p, `<p class="help-text">Llama o textea al 988</p>`) {
		t.Errorf("Spanish page lacks the district's Spanish text:\n%s", p)
	}
	if p := pages["ar"][0]; !strings.Contains(p, `<p class="help-text" lang="en" dir="ltr">Ms. Diaz`) {
		t.Errorf("Arabic page lacks the school's English text, marked as English:\n%s", p)
	}
}

// A school and district without texts still say, on a student's thank-you page, that an adult at
// school can help; a staff survey's thank-you page says neither.
func TestThanksPageWithoutTextsAndForStaff(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	b := f.browser()
	base := "/s/" + tokens[f.students[0]]
	b.answerAll(base, 4, func(string) string { return "1" })
	_, page, _ := b.do("GET", base+"/thanks?lang=en", nil)
	if !strings.Contains(page, "A teacher, a counselor or another adult at your school can help.") || strings.Contains(page, "help-text") {
		t.Errorf("student page without texts:\n%s", page)
	}

	ctx := context.Background()
	now := f.st.Now()
	staff := store.NewID()
	must(t, f.st.DB.Create(&store.Person{DistrictID: f.district, ID: staff, SourcedID: "t1", Kind: store.KindStaff, SchoolID: &f.school, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	must(t, f.st.DB.Create(&store.PersonSchool{DistrictID: f.district, PersonID: staff, SchoolID: f.school}).Error)
	_, err := support.Change(ctx, f.st, f.district, f.school, []string{"en"}, support.Texts{"en": "Ms. Diaz, room 12"}, auth.Actor{})
	must(t, err)
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "Staff pulse", InstrumentID: "staff-pulse", InstrumentVersion: 1,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), Channels: []string{"link"}})
	must(t, err)
	must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	issued, err := f.waves.Invite(ctx, f.district, w.ID)
	must(t, err)
	var tok string
	for _, is := range issued {
		if is.PersonID == staff {
			tok = is.Token
		}
	}
	if tok == "" {
		t.Fatal("no staff invitation")
	}
	sb := f.browser()
	sbase := "/s/" + tok
	sb.answerAll(sbase, pageCount(t, sb, sbase), func(string) string { return "1" })
	_, page, _ = sb.do("GET", sbase+"/thanks?lang=en", nil)
	if strings.Contains(page, "Ms. Diaz") || strings.Contains(page, "help-now") {
		t.Errorf("a staff survey's thank-you page says who to talk to:\n%s", page)
	}
}

// TestHelpTextsAccess: district admins edit every school and the district default; a leader edits
// their own school only (another school, or the district default, is 404 and leaks no name); no
// other role opens the page.
func TestHelpTextsAccess(t *testing.T) {
	f := newAdminFixture(t)
	roles := []string{"admin", "leaderA", "leaderB", "counselorA", "staffA", "analystA"}
	a, bs := fmt.Sprint(f.school), fmt.Sprint(f.schoolB)
	type want map[string]int
	tests := []struct {
		method, path, school string
		want                 want
	}{
		{"GET", "/admin/help-texts", "", want{"admin": 200, "leaderA": 200, "leaderB": 200, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"GET", "/admin/help-texts?school=" + a, "", want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"GET", "/admin/help-texts?school=" + bs, "", want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"GET", "/admin/help-texts?school=0", "", want{"admin": 200, "leaderA": 404, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"GET", "/admin/help-texts?school=12345", "", want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"POST", "/admin/help-texts", a, want{"admin": 303, "leaderA": 303, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"POST", "/admin/help-texts", bs, want{"admin": 303, "leaderA": 404, "leaderB": 303, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"POST", "/admin/help-texts", "0", want{"admin": 303, "leaderA": 404, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
	}
	for _, role := range roles {
		b := f.signIn(role)
		for _, tc := range tests {
			t.Run(tc.method+" "+tc.path+tc.school+" as "+role, func(t *testing.T) {
				var form url.Values
				if tc.method == "POST" {
					_, page, _ := b.do("GET", "/admin", nil)
					form = url.Values{"_csrf": {csrfOf(t, page)}, "school": {tc.school}, "text_en": {"Room 12 (" + role + ")"}}
				}
				code, body, _ := b.do(tc.method, tc.path, form)
				if code != tc.want[role] {
					t.Fatalf("status %d, want %d", code, tc.want[role])
				}
				if code == 200 && role == "leaderA" && strings.Contains(body, "Baker") {
					t.Fatalf("leader A is offered school B:\n%s", body)
				}
				if code == 404 && (strings.Contains(body, "Baker") || strings.Contains(body, "Adams")) {
					t.Fatalf("refusal names a school: %s", body)
				}
			})
		}
	}
	// Each accepted save is audited once, with who did it; the refused ones are not.
	var rows []store.AuditEntry
	must(t, f.st.DB.Where("district_id = ? AND action = ?", f.district, httpserver.ActionHelpTexts).Find(&rows).Error)
	if len(rows) != 5 {
		t.Fatalf("%d audit rows, want 5 (admin ×3, leader A, leader B): %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.UserID == nil || !strings.Contains(r.Detail, "Room 12 (") || !strings.Contains(strings.ToLower(r.Detail), "("+strings.SplitN(r.Actor, "@", 2)[0]+")") {
			t.Errorf("audit row %+v", r)
		}
	}
}

// The form shows a refused text back unsaved, marked invalid and named; a good one is saved for
// every language posted, and the page says what students see in each.
func TestHelpTextsForm(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("leaderA")
	_, page, _ := b.do("GET", "/admin/help-texts", nil)
	for _, tag := range []string{"en", "es", "zh-Hans", "vi", "ar", "ht", "pt", "so"} {
		if !strings.Contains(page, `name="text_`+tag+`"`) {
			t.Errorf("no field for %s", tag)
		}
	}
	if !strings.Contains(page, `lang="ar" dir="rtl"`) || !strings.Contains(page, "No text in this language or in English") {
		t.Errorf("form:\n%s", page)
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "school": {fmt.Sprint(f.school)}, "text_en": {"Ms. Diaz, room 12"}, "text_es": {strings.Repeat("x", 281)}}
	code, page, _ := b.do("POST", "/admin/help-texts", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "Español: 281 characters, at most 280.") ||
		!strings.Contains(page, `aria-invalid="true">`+strings.Repeat("x", 281)) || !strings.Contains(page, ">Ms. Diaz, room 12</textarea>") {
		t.Fatalf("too long: %d\n%s", code, page)
	}
	school, _, err := support.Load(context.Background(), f.st.DB, f.district, f.school)
	must(t, err)
	if len(school) != 0 {
		t.Fatalf("a refused form saved %v", school)
	}
	form.Set("text_es", "Sra. Díaz, salón 12")
	code, _, h := b.do("POST", "/admin/help-texts", form)
	if code != http.StatusSeeOther || h.Get("Location") != "/admin/help-texts?school="+fmt.Sprint(f.school)+"&notice=help-texts" {
		t.Fatalf("save: %d %s", code, h.Get("Location"))
	}
	_, page, _ = b.do("GET", h.Get("Location"), nil)
	if !strings.Contains(page, "Help texts saved") || !strings.Contains(page, ">Sra. Díaz, salón 12</textarea>") ||
		strings.Count(page, "Students see this text.") != 2 || strings.Count(page, "Empty here: students see this school&#39;s English text.") != 6 {
		t.Fatalf("after saving:\n%s", page)
	}
}
