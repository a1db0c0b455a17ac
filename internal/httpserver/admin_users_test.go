package httpserver_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/roster/rostergen"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestAdminUsersPage creates an account with a generated password through the page, signs in
// with it, changes its role, and finds both in the audit log.
func TestAdminUsersPage(t *testing.T) {
	f := newAdminFixture(t)
	a := f.signIn("admin")
	_, page, _ := a.do("GET", "/admin/users", nil)
	email := fmt.Sprintf("new%d@d.test", f.district)
	code, page, _ := a.do("POST", "/admin/users", url.Values{"_csrf": {csrfOf(t, page)}, "email": {email}, "role": {"analyst"}, "school": {fmt.Sprint(f.school)}})
	if code != http.StatusOK {
		t.Fatalf("create user: %d", code)
	}
	m := regexp.MustCompile(`One-time password, shown only now: <code>([^<]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no one-time password shown:\n%s", page)
	}
	// Invalid input comes back on the page with the reason.
	code, bad, _ := a.do("POST", "/admin/users", url.Values{"_csrf": {csrfOf(t, page)}, "email": {email}, "role": {"analyst"}, "school": {fmt.Sprint(f.school)}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(bad, "already has an account") {
		t.Fatalf("duplicate: %d", code)
	}
	b := f.browser()
	_, login, _ := b.do("GET", "/login", nil)
	if code, _, _ := b.do("POST", "/login", url.Values{"_csrf": {csrfOf(t, login)}, "email": {email}, "password": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("sign in with the generated password: %d", code)
	}
	if code, _, _ := b.do("GET", "/admin/roster", nil); code != http.StatusForbidden {
		t.Fatalf("analyst on roster: %d", code)
	}
	var uid int64
	must(t, f.st.DB.Table("users").Where("district_id = ? AND email = ?", f.district, email).Pluck("id", &uid).Error)
	_, page, _ = a.do("GET", "/admin/users", nil)
	if code, _, _ := a.do("POST", fmt.Sprintf("/admin/users/%d/role", uid), url.Values{"_csrf": {csrfOf(t, page)}, "role": {"district_admin"}}); code != http.StatusSeeOther {
		t.Fatalf("role change: %d", code)
	}
	// The new role applies to the session already open.
	if code, _, _ := b.do("GET", "/admin/roster", nil); code != http.StatusOK {
		t.Fatalf("promoted user on roster: %d", code)
	}
	// Changing the password: wrong current refused; then the other session ends, this one stays.
	other := f.browser()
	_, login, _ = other.do("GET", "/login", nil)
	if code, _, _ := other.do("POST", "/login", url.Values{"_csrf": {csrfOf(t, login)}, "email": {email}, "password": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("second sign in: %d", code)
	}
	_, pw, _ := b.do("GET", "/admin/password", nil)
	tok := csrfOf(t, pw)
	if code, _, _ := b.do("POST", "/admin/password", url.Values{"_csrf": {tok}, "current": {"wrong"}, "new": {"a new long password"}, "confirm": {"a new long password"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: %d", code)
	}
	if code, _, _ := b.do("POST", "/admin/password", url.Values{"_csrf": {tok}, "current": {m[1]}, "new": {"a new long password"}, "confirm": {"a new long password"}}); code != http.StatusSeeOther {
		t.Fatalf("change password: %d", code)
	}
	if code, _, _ := b.do("GET", "/admin", nil); code != http.StatusOK {
		t.Errorf("own session after change: %d", code)
	}
	if code, _, _ := other.do("GET", "/admin", nil); code != http.StatusSeeOther {
		t.Errorf("other session after change: %d, want redirect to sign-in", code)
	}
	_, audit, _ := a.do("GET", "/admin/audit", nil)
	for _, want := range []string{"user.create", "user.role_change", "analyst → district_admin", "user.password_change"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}

// TestAdminRosterUpload uploads a generated OneRoster zip through the page and finds the import
// in the history.
func TestAdminRosterUpload(t *testing.T) {
	f := newAdminFixture(t)
	a := f.signIn("admin")
	dir := t.TempDir()
	cfg := rostergen.Demo(2026)
	cfg.Schools = cfg.Schools[:1]
	cfg.Students, cfg.Staff, cfg.Guardians = 30, 4, 20
	if _, err := rostergen.Write(dir, cfg); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		w, err := zw.Create(filepath.Base(p))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}))
	must(t, zw.Close())

	_, page, _ := a.do("GET", "/admin/roster", nil)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	must(t, mw.WriteField("_csrf", csrfOf(t, page)))
	// The fixture's own people are not in the file: confirm that they go.
	must(t, mw.WriteField("allow_mass_deactivation", "yes"))
	fw, err := mw.CreateFormFile("file", "roster.zip")
	must(t, err)
	_, err = io.Copy(fw, &zbuf)
	must(t, err)
	must(t, mw.Close())
	req, _ := http.NewRequest("POST", a.base+"/admin/roster", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := a.c.Do(req)
	must(t, err)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/roster?job=") {
		t.Fatalf("upload: %d %s", resp.StatusCode, loc)
	}
	// The request only stored the file: the import waits for the worker, and the page says so,
	// refreshing itself without JavaScript.
	_, page, _ = a.do("GET", loc, nil)
	for _, want := range []string{"Import of roster.zip is waiting to start", "<progress", "Refresh the status", "follow=1"} {
		if !strings.Contains(page, want) {
			t.Fatalf("job page lacks %q:\n%s", want, page)
		}
	}
	// Refreshing by itself is the viewer's choice (WCAG 2.2.1), and they can stop it.
	if strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("the page refreshes itself unasked:\n%s", page)
	}
	if _, followed, _ := a.do("GET", loc+"&follow=1", nil); !strings.Contains(followed, `<meta http-equiv="refresh" content="5">`) || !strings.Contains(followed, "Stop refreshing") {
		t.Fatalf("follow=1 page:\n%s", followed)
	}
	if strings.Contains(page, "succeeded") {
		t.Fatalf("imported inside the request:\n%s", page)
	}
	if ran, err := (&roster.Jobs{Store: f.st}).RunOnce(context.Background()); err != nil || !ran {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	_, page, _ = a.do("GET", loc, nil)
	if _, followed, _ := a.do("GET", loc+"&follow=1", nil); strings.Contains(followed, `http-equiv="refresh"`) {
		t.Fatalf("a finished job's page still refreshes:\n%s", followed)
	}
	if !strings.Contains(page, "roster.zip is imported") || !strings.Contains(page, "Imported — schools: 1, students: 30,") {
		t.Fatalf("job page after the import:\n%s", page)
	}
	// Worded in the page's language (#16 line 6), not the command line's English summary.
	if _, es, _ := a.do("GET", loc+"&lang=es", nil); !strings.Contains(es, "Importado — escuelas: 1, estudiantes: 30,") || strings.Contains(es, "imported: 1 schools") {
		t.Fatalf("job page in Spanish:\n%s", es)
	}
	a.do("GET", loc+"&lang=en", nil)
	_, page, _ = a.do("GET", "/admin/roster", nil)
	if !strings.Contains(page, "roster.zip") || !strings.Contains(page, "Imported") {
		t.Fatalf("import history:\n%s", page)
	}
	// Another district's job is not found.
	if code, _, _ := a.do("GET", "/admin/roster?job=12345", nil); code != http.StatusNotFound {
		t.Fatalf("unknown job: %d", code)
	}
}

// TestAdminRosterProblemsBanner shows a failed import's problems as file:line lines in the
// banner, and the mass-deactivation refusal with the checkbox that confirms it.
func TestAdminRosterProblemsBanner(t *testing.T) {
	f := newAdminFixture(t)
	a := f.signIn("admin")
	var loc string
	upload := func(name string, files map[string]string, allow bool) string {
		var zbuf bytes.Buffer
		zw := zip.NewWriter(&zbuf)
		for n, c := range files {
			w, _ := zw.Create(n)
			w.Write([]byte(c))
		}
		must(t, zw.Close())
		_, page, _ := a.do("GET", "/admin/roster", nil)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		must(t, mw.WriteField("_csrf", csrfOf(t, page)))
		if allow {
			must(t, mw.WriteField("allow_mass_deactivation", "yes"))
		}
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(zbuf.Bytes())
		must(t, mw.Close())
		req, _ := http.NewRequest("POST", a.base+"/admin/roster", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := a.c.Do(req)
		must(t, err)
		resp.Body.Close()
		if _, err := (&roster.Jobs{Store: f.st, MassDeactivationShare: 0.2}).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		loc = resp.Header.Get("Location")
		_, page, _ = a.do("GET", loc, nil)
		return page
	}
	page := upload("bad.zip", map[string]string{"manifest.csv": "propertyName,value\n"}, false)
	for _, want := range []string{"bad.zip was not imported", `role="alert"`, "2 problems; nothing was imported", "orgs.csv:0: required file is missing"} {
		if !strings.Contains(page, want) {
			t.Fatalf("page lacks %q:\n%s", want, page)
		}
	}
	// Each problem and the summary in the page's language (#16 line 6), from the problems the
	// job kept; a quoted value keeps its quotes.
	_, got, _ := a.do("GET", loc+"&lang=es", nil)
	for _, want := range []string{"bad.zip no se importó", "2 problemas; no se importó nada", "orgs.csv:0: falta un archivo obligatorio", "users.csv:0: falta un archivo obligatorio"} {
		if !strings.Contains(html.UnescapeString(got), want) {
			t.Fatalf("Spanish page lacks %q:\n%s", want, got)
		}
	}
	upload("cols.zip", map[string]string{"manifest.csv": "propertyName,value\n", "orgs.csv": "sourcedId,type\n", "users.csv": "sourcedId\n"}, false)
	_, got, _ = a.do("GET", loc+"&lang=en", nil)
	if !strings.Contains(html.UnescapeString(got), `orgs.csv:1: required column "name" is missing`) {
		t.Fatalf("page lacks the missing column:\n%s", got)
	}
	_, got, _ = a.do("GET", loc+"&lang=ar", nil)
	if !strings.Contains(html.UnescapeString(got), `orgs.csv:1: العمود المطلوب "name" مفقود`) {
		t.Fatalf("Arabic page lacks the missing column:\n%s", got)
	}
	// A job that ended before its problems were kept shows its stored English text.
	old := store.RosterJob{DistrictID: f.district, ID: store.NewID(), Status: store.JobFailed, Source: "old.zip",
		Message: "1 problems; nothing was imported\norgs.csv:0: required file is missing", CreatedAt: time.Now()}
	must(t, f.st.DB.Create(&old).Error)
	_, got, _ = a.do("GET", fmt.Sprintf("/admin/roster?job=%d&lang=es", old.ID), nil)
	if !strings.Contains(got, "1 problems; nothing was imported") || !strings.Contains(got, "orgs.csv:0: required file is missing") {
		t.Fatalf("old job's page:\n%s", got)
	}
	if !strings.Contains(page, "Allow this import to deactivate more than 20% of the district") {
		t.Fatalf("no confirmation checkbox:\n%s", page)
	}
	// A refused mass deactivation, on the job's page and in the history, in the page's language
	// (#16 line 6), and in English as the command line says it.
	simple := map[string]string{
		"schools.csv":  "id,name,time_zone\nlincoln,Lincoln Elementary,America/Denver\n",
		"students.csv": "id,school,first_name,last_name,grade\nS1,lincoln,Ana,Diaz,3\n",
		"guardians.csv": "id,first_name,last_name,phone,email,language,student_ids,do_not_text\n" +
			"P1,Maria,Diaz,555-12,maria@example.com,es,S1,\n",
	}
	upload("simple.zip", simple, false)
	_, got, _ = a.do("GET", loc+"&lang=en", nil)
	mass := regexp.MustCompile(`this import would deactivate (\d+) of (\d+) active people \(more than 20%\); nothing was imported — confirm the mass deactivation to go ahead`).FindStringSubmatch(got)
	if mass == nil || !strings.Contains(got, "simple.zip was not imported") {
		t.Fatalf("English mass deactivation page:\n%s", got)
	}
	_, got, _ = a.do("GET", loc+"&lang=es", nil)
	es := fmt.Sprintf("esta importación desactivaría a %s de %s personas activas (más del 20 %%); no se importó nada — confirme la desactivación masiva para continuar", mass[1], mass[2])
	if strings.Count(got, es) != 2 || strings.Contains(got, mass[0]) {
		t.Fatalf("Spanish page lacks %q on the job and in the history:\n%s", es, got)
	}
	// Confirmed, the import goes in with its warning: the history words it, with its count.
	upload("simple.zip", simple, true)
	_, got, _ = a.do("GET", "/admin/roster?lang=es", nil)
	for _, want := range []string{"1 advertencia\n", `guardians.csv:2: advertencia: phone: no se puede leer "555-12" como número de teléfono; se importó sin teléfono`} {
		if !strings.Contains(html.UnescapeString(got), want) {
			t.Fatalf("Spanish history lacks %q:\n%s", want, got)
		}
	}
	_, got, _ = a.do("GET", "/admin/roster?lang=en", nil)
	if want := `1 warning` + "\n" + `guardians.csv:2: warning: phone: cannot read "555-12" as a phone number; imported without a phone`; !strings.Contains(html.UnescapeString(got), want) {
		t.Fatalf("English history lacks %q:\n%s", want, got)
	}
	// The count of the warnings not listed, from a row as the column holds it.
	kept := `{"total":0,"warning_total":3,"warnings":[{"file":"users.csv","line":5,"msg":"sms: cannot read \"555-12\" as a phone number; imported without a phone",` +
		`"warning":true,"id":"roster_problem.phone","data":{"Column":"sms","Value":"\"555-12\""}}]}`
	many := store.RosterImport{DistrictID: f.district, ID: store.NewID(), Source: "many.zip", Format: "oneroster", Mode: "full", Status: store.ImportSucceeded,
		StartedAt: time.Now(), FinishedAt: time.Now(), WarningCount: 3, Warnings: "(English)", ProblemsJSON: &kept}
	must(t, f.st.DB.Create(&many).Error)
	_, got, _ = a.do("GET", "/admin/roster?lang=es", nil)
	if want := "3 advertencias\nusers.csv:5: advertencia: sms: no se puede leer \"555-12\" como número de teléfono; se importó sin teléfono\n… y 2 advertencias más</pre>"; !strings.Contains(html.UnescapeString(got), want) {
		t.Fatalf("Spanish history lacks %q:\n%s", want, got)
	}
	// An import from before its problems and warnings were kept shows its stored English text.
	oldImport := store.RosterImport{DistrictID: f.district, ID: store.NewID(), Source: "old.zip", Format: "oneroster", Mode: "full", Status: store.ImportSucceeded,
		StartedAt: time.Now(), FinishedAt: time.Now(), WarningCount: 1, Warnings: `users.csv:5: warning: sms: cannot read "555-12" as a phone number; imported without a phone`}
	must(t, f.st.DB.Create(&oldImport).Error)
	_, got, _ = a.do("GET", "/admin/roster?lang=es", nil)
	if !strings.Contains(html.UnescapeString(got), "<pre>"+oldImport.Warnings+"</pre>") {
		t.Fatalf("old import's details:\n%s", got)
	}
}

// TestAuthRefusalWorded (#16 line 6): the user, token and password forms say why they refuse in
// the page's language — the auth refusal's message from the staff catalog, with its plural —
// and in English exactly as before.
func TestAuthRefusalWorded(t *testing.T) {
	f := newAdminFixture(t)
	a := f.signIn("admin")
	_, page, _ := a.do("GET", "/admin/users", nil)
	tok := csrfOf(t, page)
	for _, tc := range []struct {
		lang, path string
		form       url.Values
		want       string
	}{
		{"en", "/admin/users", url.Values{"email": {"nope"}, "role": {"analyst"}, "school": {fmt.Sprint(f.school)}}, `"nope" is not an email address`},
		{"es", "/admin/users", url.Values{"email": {"nope"}, "role": {"analyst"}, "school": {fmt.Sprint(f.school)}}, `"nope" no es una dirección de correo electrónico.`},
		{"en", "/admin/users", url.Values{"email": {"x@d.test"}, "role": {"counselor"}}, "the role Counselor needs at least one school"},
		// A role by its label, never its code (school_leader).
		{"es", "/admin/users", url.Values{"email": {"x@d.test"}, "role": {"school_leader"}}, "La función Directivo escolar necesita al menos una escuela."},
		{"vi", "/admin/users", url.Values{"email": {"x@d.test"}, "role": {"staff"}, "school": {fmt.Sprint(f.school)}, "password": {"short"}}, "Mật khẩu ngắn hơn 12 ký tự."},
		{"en", "/admin/password", url.Values{"current": {"wrong"}, "new": {"a new long password"}, "confirm": {"a new long password"}}, "the current password is wrong"},
		{"ar", "/admin/password", url.Values{"current": {"wrong"}, "new": {"a new long password"}, "confirm": {"a new long password"}}, "كلمة المرور الحالية غير صحيحة."},
		{"en", "/admin/tokens", url.Values{"name": {" "}}, "give the token a name"},
		{"zh-Hans", "/admin/tokens", url.Values{"name": {strings.Repeat("x", 101)}}, "名称超过 100 个字符。"},
	} {
		tc.form.Set("_csrf", tok)
		code, body, _ := a.do("POST", tc.path+"?lang="+tc.lang, tc.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("lang %q %s: %d, want 422 with %q\n%.600s", tc.lang, tc.path, code, tc.want, body)
		}
	}
}
