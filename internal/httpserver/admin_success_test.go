package httpserver_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// successFixture names the admin fixture's students (Adams: Ava Adler grade 05, Ben Brook 06;
// Baker: Cleo Cole, Dan Dorn), links staffA to a roster teacher of Adams' homeroom with both
// Adams students in it, and runs a confidential student wave at each school where the first
// student answered "A little true" to the adult-connection item and the second "Very true".
func successFixture(t *testing.T) (f *adminFixture, confA, confB store.Wave) {
	f = newAdminFixture(t)
	ctx := context.Background()
	now := f.st.Now()
	names := map[int64][][2]string{f.school: {{"Ava", "Adler"}, {"Ben", "Brook"}}, f.schoolB: {{"Cleo", "Cole"}, {"Dan", "Dorn"}}}
	students := map[int64][]int64{}
	for _, school := range []int64{f.school, f.schoolB} {
		var ps []store.Person
		must(t, f.st.DB.Where("district_id = ? AND school_id = ? AND kind = ?", f.district, school, store.KindStudent).Order("grade").Find(&ps).Error)
		for i, p := range ps {
			must(t, f.st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, p.ID).
				Updates(map[string]any{"given_name": names[school][i][0], "family_name": names[school][i][1]}).Error)
			students[school] = append(students[school], p.ID)
		}
	}
	var room store.Class
	must(t, f.st.DB.Where("district_id = ? AND school_id = ?", f.district, f.school).First(&room).Error)
	teacher := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: "t-rivera", Kind: store.KindStaff, GivenName: "Ana", FamilyName: "Rivera", SchoolID: &f.school, Active: true, CreatedAt: now, UpdatedAt: now}
	must(t, f.st.DB.Create(&teacher).Error)
	must(t, f.st.DB.Create(&store.Enrollment{DistrictID: f.district, ClassID: room.ID, PersonID: teacher.ID, Role: "teacher", Active: true}).Error)
	for _, id := range students[f.school] {
		must(t, f.st.DB.Create(&store.Enrollment{DistrictID: f.district, ClassID: room.ID, PersonID: id, Role: "student", Active: true}).Error)
	}
	must(t, f.st.DB.Model(&store.User{}).Where("district_id = ? AND id = ?", f.district, f.users["staffA"].ID).Update("person_id", teacher.ID).Error)
	in, _ := f.waves.Surveys.Get("student-pulse", 1)
	idx, _, _ := success.ItemIndex(in, success.ConnectionMeasure)
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	mk := func(school int64, name string) store.Wave {
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeConfidential, SchoolIDs: []int64{school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link"}})
		must(t, err)
		for i, pid := range students[school] {
			ans := []byte(strings.Repeat("3", len(in.Items)))
			if i == 0 {
				ans[idx] = '1'
			}
			p := pid
			r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: string(ans), PersonID: &p, SubmittedAt: &now}
			must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&r).Error; err != nil {
					return err
				}
				return sc.ScoreResponse(ctx, tx, in, &r)
			}))
		}
		return w
	}
	return f, mk(f.school, "Adams winter check-in"), mk(f.schoolB, "Baker winter check-in")
}

// TestSuccessAccess: every new page × role × school. The team page is for district admins and the
// leaders and counselors of the school (another school is 404 and names nothing); the follow-up
// list is for confidential student waves only (an anonymous wave is 404 for everyone) and shows
// other staff only the students assigned to them.
func TestSuccessAccess(t *testing.T) {
	f, confA, confB := successFixture(t)
	a, b := fmt.Sprint(f.school), fmt.Sprint(f.schoolB)
	type want map[string]int
	all := func(code int) want {
		return want{"admin": code, "leaderA": code, "leaderB": code, "counselorA": code, "staffA": code, "analystA": code}
	}
	tests := []struct {
		path string
		want want
	}{
		{"/admin/mapping", all(200)},
		{"/admin/team?school=" + a, want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 200, "staffA": 403, "analystA": 403}},
		{"/admin/team?school=" + b, want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/team?school=999", want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/followup", all(200)},
		{fmt.Sprintf("/admin/followup?wave=%d&school=%s", confA.ID, a), want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 200, "staffA": 200, "analystA": 200}},
		{fmt.Sprintf("/admin/followup?wave=%d&school=%s", confB.ID, b), want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 404, "staffA": 404, "analystA": 404}},
		{fmt.Sprintf("/admin/followup?wave=%d&school=%s", confA.ID, b), all(404)},
		{fmt.Sprintf("/admin/followup?wave=%d&school=%s", f.waveA.ID, a), all(404)}, // anonymous: no list, not even for a district admin
	}
	for _, role := range []string{"admin", "leaderA", "leaderB", "counselorA", "staffA", "analystA"} {
		br := f.signIn(role)
		for _, tc := range tests {
			t.Run(tc.path+" as "+role, func(t *testing.T) {
				code, body, _ := br.do("GET", tc.path, nil)
				if code != tc.want[role] {
					t.Fatalf("status %d, want %d", code, tc.want[role])
				}
				if code != 200 && (strings.Contains(body, "Baker") || strings.Contains(body, "Adler") || strings.Contains(body, "Cole")) {
					t.Fatalf("refusal names something: %s", body)
				}
				if code == 200 && (role == "staffA" || role == "analystA") && (strings.Contains(body, "Adler") || strings.Contains(body, "Brook")) {
					t.Fatalf("%s sees a student nobody assigned to them:\n%s", role, body)
				}
				if code == 200 && strings.Contains(tc.path, "followup?") && role != "staffA" && role != "analystA" {
					if (strings.Contains(tc.path, "school="+a) && !strings.Contains(body, "Adler, Ava")) || strings.Contains(body, "Brook") {
						t.Fatalf("%s: the list is not the low answers:\n%s", role, body)
					}
				}
			})
		}
	}
	// Starting a round at another school is 404, like a school that does not exist.
	br := f.signIn("leaderA")
	_, page, _ := br.do("GET", "/admin/mapping", nil)
	if code, _, _ := br.do("POST", "/admin/mapping/rounds", url.Values{"_csrf": {csrfOf(t, page)}, "school": {b}, "name": {"Fall"}}); code != http.StatusNotFound {
		t.Fatalf("leader of Adams started a round at Baker: %d", code)
	}
	staff := f.signIn("counselorA")
	_, page, _ = staff.do("GET", "/admin/mapping", nil)
	if code, _, _ := staff.do("POST", "/admin/mapping/rounds", url.Values{"_csrf": {csrfOf(t, page)}, "school": {a}, "name": {"Fall"}}); code != http.StatusForbidden {
		t.Fatalf("a counselor started a round: %d", code)
	}
}

// TestSuccessFlow walks the loop over HTTP: a leader starts a round; the teacher marks one of her
// two students; the counselor sees the other unclaimed and assigns the teacher with a due date (a
// past date is refused with the field named); the teacher's home page shows the task and the
// student; the counselor assigns her the student who answered "A little true", she marks them
// reached, and the counselor's list says so.
func TestSuccessFlow(t *testing.T) {
	f, confA, _ := successFixture(t)
	var ava, ben store.Person
	must(t, f.st.DB.Where("district_id = ? AND family_name = ?", f.district, "Adler").First(&ava).Error)
	must(t, f.st.DB.Where("district_id = ? AND family_name = ?", f.district, "Brook").First(&ben).Error)
	lead := f.signIn("leaderA")
	_, page, _ := lead.do("GET", "/admin/mapping", nil)
	code, _, h := lead.do("POST", "/admin/mapping/rounds", url.Values{"_csrf": {csrfOf(t, page)}, "school": {fmt.Sprint(f.school)}, "name": {"Fall term"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/team?school=") {
		t.Fatalf("start round: %d %v", code, h)
	}

	teacher := f.signIn("staffA")
	code, page, _ = teacher.do("GET", "/admin/mapping", nil)
	if code != 200 || !strings.Contains(page, "Adler, Ava") || !strings.Contains(page, "Brook, Ben") || !strings.Contains(page, "Room 1") {
		t.Fatalf("teacher's mapping page: %d\n%s", code, page)
	}
	var round store.MappingRound
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&round).Error)
	form := url.Values{"_csrf": {csrfOf(t, page)}, "student": {fmt.Sprint(ava.ID), fmt.Sprint(ben.ID)}, fmt.Sprintf("known_%d", ben.ID): {"1"}}
	if code, body, _ := teacher.do("POST", fmt.Sprintf("/admin/mapping/%d", round.ID), form); code != http.StatusSeeOther {
		t.Fatalf("save marks: %d %s", code, body)
	}
	if _, page, _ = teacher.do("GET", "/admin/mapping", nil); !strings.Contains(page, fmt.Sprintf(`name="known_%d" value="1" checked`, ben.ID)) || strings.Contains(page, fmt.Sprintf(`name="known_%d" value="1" checked`, ava.ID)) {
		t.Fatalf("marks not shown back:\n%s", page)
	}

	couns := f.signIn("counselorA")
	code, page, _ = couns.do("GET", fmt.Sprintf("/admin/team?school=%d", f.school), nil)
	if code != 200 || !strings.Contains(page, "Claimed by no adult (1)") || !strings.Contains(page, "Claimed by one adult (1)") ||
		!strings.Contains(page, "Said “A little true” to “an adult I can go to” (Adams winter check-in)") {
		t.Fatalf("team page: %d\n%s", code, page)
	}
	assign := url.Values{"_csrf": {csrfOf(t, page)}, "school": {fmt.Sprint(f.school)}, "student": {fmt.Sprint(ava.ID)}, "adult": {fmt.Sprint(f.users["staffA"].ID)}, "due": {"2001-01-01"}}
	if code, body, _ := couns.do("POST", "/admin/team/assign", assign); code != http.StatusUnprocessableEntity || !strings.Contains(body, "The due date is in the past.") {
		t.Fatalf("past due date: %d\n%s", code, body)
	}
	assign.Set("due", "2099-01-15")
	if code, body, _ := couns.do("POST", "/admin/team/assign", assign); code != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", code, body)
	}
	if _, page, _ = couns.do("GET", fmt.Sprintf("/admin/team?school=%d", f.school), nil); !strings.Contains(page, "Assigned to "+strings.ToLower(f.email("staffA"))+", by 2099-01-15.") {
		t.Fatalf("assignment not shown:\n%s", page)
	}

	_, home, _ := teacher.do("GET", "/admin", nil)
	if !strings.Contains(home, "Relationship mapping: mark the students you know") || !strings.Contains(home, "Fall term, Adams") ||
		!strings.Contains(home, "Students assigned to you") || !strings.Contains(home, "Adler, Ava") || !strings.Contains(home, "check in by 2099-01-15") {
		t.Fatalf("teacher's home:\n%s", home)
	}
	list := fmt.Sprintf("/admin/followup?wave=%d&school=%d", confA.ID, f.school)
	if _, page, _ = teacher.do("GET", list, nil); !strings.Contains(page, "Adler, Ava") || !strings.Contains(page, "You see the students assigned to you.") {
		t.Fatalf("teacher's follow-up list:\n%s", page)
	}
	reached := url.Values{"_csrf": {csrfOf(t, page)}, "wave": {fmt.Sprint(confA.ID)}, "school": {fmt.Sprint(f.school)}, "student": {fmt.Sprint(ava.ID)}, "action": {"check-in"}, "note": {"talked at lunch"}}
	if code, body, _ := teacher.do("POST", "/admin/followup/reached", reached); code != http.StatusSeeOther {
		t.Fatalf("reached: %d %s", code, body)
	}
	if _, page, _ = couns.do("GET", list, nil); !strings.Contains(page, "Students listed: 1; reached: 1.") {
		t.Fatalf("counselor's list after:\n%s", page)
	}
	if !strings.Contains(page, "Check-in conversation") || !strings.Contains(page, "“talked at lunch”") {
		t.Fatalf("reached row:\n%s", page)
	}
	var views int64
	must(t, f.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", f.district, "view.confidential").Count(&views).Error)
	if views != 2 {
		t.Fatalf("%d view.confidential rows, want 2", views)
	}
}

// uploadIndicators posts a grading period's CSV through the page and returns status and body.
func uploadIndicators(t *testing.T, a *browser, period, name, data string) (int, string) {
	t.Helper()
	return uploadIndicatorsIn(t, a, "", period, name, data)
}

// uploadIndicatorsIn is uploadIndicators with the page in lang ("" for the viewer's own).
func uploadIndicatorsIn(t *testing.T, a *browser, lang, period, name, data string) (int, string) {
	t.Helper()
	_, page, _ := a.do("GET", "/admin/indicators", nil)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	must(t, mw.WriteField("_csrf", csrfOf(t, page)))
	must(t, mw.WriteField("period", period))
	fw, err := mw.CreateFormFile("file", name)
	must(t, err)
	_, err = fw.Write([]byte(data))
	must(t, err)
	must(t, mw.Close())
	target := a.base + "/admin/indicators"
	if lang != "" {
		target += "?lang=" + lang
	}
	req, _ := http.NewRequest("POST", target, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := a.c.Do(req)
	must(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestIndicatorsPageTeamStudentsAndRates: a district admin imports a grading period through the
// page (a bad file shows its file:line problems in the banner and stores nothing); the team's
// student list shows the flags (team roles of the school only); the school's results page shows
// attendance and courses under the floor — here every group is below it, so no figure at all.
func TestIndicatorsPageTeamStudentsAndRates(t *testing.T) {
	f, _, _ := successFixture(t)
	var ava, ben store.Person
	must(t, f.st.DB.Where("district_id = ? AND family_name = ?", f.district, "Adler").First(&ava).Error)
	must(t, f.st.DB.Where("district_id = ? AND family_name = ?", f.district, "Brook").First(&ben).Error)
	admin := f.signIn("admin")
	good := "student_sourced_id,attendance_rate,courses_failing\n" + ava.SourcedID + ",82.5,1\n" + ben.SourcedID + ",97,0\n"
	code, page := uploadIndicators(t, admin, "Quarter 1", "q1.csv", good+"ghost,90,0\n")
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `q1.csv:4: student &#34;ghost&#34; is not a student in the roster`) {
		t.Fatalf("bad file: %d\n%s", code, page)
	}
	// In another language the summary, each problem's file and line and its sentence are worded in
	// the page's language (#16 line 6).
	badRows := good + "s9,101,0\ns10,95,21\n"
	for _, tc := range []struct {
		lang, file string
		want       []string
	}{
		{"es", good + "ghost,90,0\n", []string{"1 problema en el archivo; no se importó nada", "q1.csv, línea 4: «ghost» no es un estudiante del padrón"}},
		{"es", badRows, []string{"2 problemas en el archivo; no se importó nada", "q1.csv, línea 4: attendance_rate 101 no está entre 0 y 100",
			"q1.csv, línea 5: courses_failing «21»: indique un número entero de 0 a 20"}},
		{"ar", badRows, []string{"q1.csv، السطر 4: قيمة attendance_rate 101 ليست بين 0 و100"}},
	} {
		code, page := uploadIndicatorsIn(t, admin, tc.lang, "Quarter 1", "q1.csv", tc.file)
		for _, w := range tc.want {
			if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(page), w) {
				t.Errorf("bad file in %s: %d, want %q\n%s", tc.lang, code, w, page)
			}
		}
	}
	admin.do("GET", "/admin/indicators?lang=en", nil) // ?lang= stays the viewer's choice
	if code, page = uploadIndicators(t, admin, "Quarter 1", "q1.csv", good); code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, page)
	}
	if _, page, _ = admin.do("GET", "/admin/indicators", nil); !strings.Contains(page, "Quarter 1: 2 students") {
		t.Fatalf("periods:\n%s", page)
	}
	if code, _, _ := f.signIn("leaderA").do("GET", "/admin/indicators", nil); code != http.StatusForbidden {
		t.Fatalf("a leader opened the import page: %d", code)
	}
	students := fmt.Sprintf("/admin/team/students?school=%d", f.school)
	for role, want := range map[string]int{"admin": 200, "leaderA": 200, "counselorA": 200, "leaderB": 404, "staffA": 403, "analystA": 403} {
		code, body, _ := f.signIn(role).do("GET", students+"&chronic=1", nil)
		if code != want {
			t.Errorf("%s: %d, want %d", role, code, want)
		}
		if code == 200 && (!strings.Contains(body, "Adler, Ava") || strings.Contains(body, "Brook, Ben") || !strings.Contains(body, "Attended 82.5% of days; failing 1 courses.")) {
			t.Errorf("%s: chronic filter:\n%s", role, body)
		}
	}
}

// TestResultsShowIndicatorRates: the school results page of a student wave shows chronic absence
// and course failure by the page's breakdown from the latest grading period, under the floor:
// grade 05's 24 students are shown, grade 06's 3 are not, and neither is grade 07's 12 (the
// school's 39 minus grade 05 would otherwise give grade 06 away).
func TestResultsShowIndicatorRates(t *testing.T) {
	f := newAPIFixture(t)
	now := f.st.Now()
	var lines []string
	for i := range 39 {
		grade := "05"
		switch {
		case i >= 27:
			grade = "07"
		case i >= 24:
			grade = "06"
		}
		p := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: fmt.Sprintf("ind-%d", i), Kind: store.KindStudent, Grade: grade, SchoolID: &f.school, Active: true, CreatedAt: now, UpdatedAt: now}
		must(t, f.st.DB.Create(&p).Error)
		must(t, f.st.DB.Create(&store.PersonSchool{DistrictID: f.district, PersonID: p.ID, SchoolID: f.school}).Error)
		rate := "97"
		if i%4 == 0 {
			rate = "80"
		}
		lines = append(lines, fmt.Sprintf("%s,%s,%d", p.SourcedID, rate, i%3/2))
	}
	code, page := uploadIndicators(t, f.signIn("admin"), "Quarter 1", "q1.csv", "student_sourced_id,attendance_rate,courses_failing\n"+strings.Join(lines, "\n")+"\n")
	if code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, page)
	}
	_, body, _ := f.signIn("leaderA").do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=grade", f.school, f.waveAB.ID), nil)
	i := strings.Index(body, "Attendance and courses")
	if i < 0 {
		t.Fatalf("no attendance section:\n%s", body)
	}
	section := body[i:]
	section = section[:strings.Index(section, "</table>")]
	// The fixture's two rostered Adams students have no indicators; the school row counts 27.
	if !strings.Contains(section, "Quarter 1 (39 students with data)") || !strings.Contains(section, "Grade 5</th><td>25.0% (6 of 24)</td><td>33.3% (8 of 24)</td>") ||
		strings.Contains(section, "of 3)") || strings.Contains(section, "of 12)") || strings.Count(section, "Not shown (fewer than 10 students") != 4 {
		t.Fatalf("attendance section:\n%s", section)
	}
}

// TestSuccessRefusalWorded (#16 line 6): a refused student-success form says why in the page's
// language — the success package's message from the staff catalog, with its plural — and in
// English exactly as the package words it.
func TestSuccessRefusalWorded(t *testing.T) {
	f, _, _ := successFixture(t)
	lead := f.signIn("leaderA")
	long := strings.Repeat("x", success.RoundNameMax+1)
	for _, tc := range []struct{ lang, want string }{
		{"", "Give the round a name of up to 80 characters, e.g. “Fall term”."},
		{"es", "Dé a la ronda un nombre de 80 caracteres como máximo, p. ej. «Trimestre de otoño»."},
		{"ar", "سمِّ الجولة باسم لا يزيد على 80 حرفًا، مثلًا «الفصل الأول»."},
	} {
		_, page, _ := lead.do("GET", "/admin/mapping", nil)
		code, body, _ := lead.do("POST", "/admin/mapping/rounds?lang="+tc.lang, url.Values{"_csrf": {csrfOf(t, page)}, "school": {fmt.Sprint(f.school)}, "name": {long}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("lang %q: %d, want 422 with %q\n%.600s", tc.lang, code, tc.want, body)
		}
	}
	var ava store.Person
	must(t, f.st.DB.Where("district_id = ? AND family_name = ?", f.district, "Adler").First(&ava).Error)
	couns := f.signIn("counselorA")
	_, page, _ := couns.do("GET", fmt.Sprintf("/admin/team?school=%d", f.school), nil)
	assign := url.Values{"_csrf": {csrfOf(t, page)}, "school": {fmt.Sprint(f.school)}, "student": {fmt.Sprint(ava.ID)}, "adult": {fmt.Sprint(f.users["staffA"].ID)}, "due": {"2001-01-01"}}
	if code, body, _ := couns.do("POST", "/admin/team/assign?lang=es", assign); code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "La fecha límite ya pasó.") {
		t.Errorf("past due date in Spanish: %d\n%.600s", code, body)
	}
}
