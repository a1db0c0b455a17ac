package httpserver_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/roster"
)

// uploadRoster posts a roster zip through the roster page's form and runs the queued job.
func uploadRoster(t *testing.T, f *adminFixture, a *browser, name string, data []byte) string {
	t.Helper()
	_, page, _ := a.do("GET", "/admin/roster", nil)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	must(t, mw.WriteField("_csrf", csrfOf(t, page)))
	must(t, mw.WriteField("allow_mass_deactivation", "yes"))
	fw, err := mw.CreateFormFile("file", name)
	must(t, err)
	_, err = fw.Write(data)
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
	if ran, err := (&roster.Jobs{Store: f.st}).RunOnce(context.Background()); err != nil || !ran {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	_, page, _ = a.do("GET", loc, nil)
	return page
}

// TestAdminRosterSimpleTemplate: the roster page offers the simple CSV template as a download;
// the template, uploaded as it is, imports; a broken one fails with its problems in a banner.
func TestAdminRosterSimpleTemplate(t *testing.T) {
	f := newAdminFixture(t)
	a := f.signIn("admin")
	_, page, _ := a.do("GET", "/admin/roster", nil)
	if !strings.Contains(page, `href="/admin/roster/template.zip"`) || !strings.Contains(page, "simple CSV template") {
		t.Fatalf("roster page offers no template:\n%s", page)
	}
	if code, _, _ := f.signIn("leaderA").do("GET", "/admin/roster/template.zip", nil); code != http.StatusForbidden {
		t.Errorf("leader downloads the template: %d", code)
	}
	code, tmpl, h := a.do("GET", "/admin/roster/template.zip", nil)
	if code != 200 || h.Get("Content-Type") != "application/zip" || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("template: %d %v", code, h)
	}
	zr, err := zip.NewReader(strings.NewReader(tmpl), int64(len(tmpl)))
	must(t, err)
	var names []string
	files := map[string]string{}
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		rc, err := zf.Open()
		must(t, err)
		b, err := io.ReadAll(rc)
		must(t, err)
		files[zf.Name] = string(b)
	}
	if strings.Join(names, " ") != "schools.csv students.csv staff.csv guardians.csv" {
		t.Fatalf("template files %v", names)
	}
	page = uploadRoster(t, f, a, "template.zip", []byte(tmpl))
	if !strings.Contains(page, "template.zip is imported") || !strings.Contains(page, "students: 1,") {
		t.Fatalf("the template did not import:\n%s", page)
	}
	// A broken template: its problems, file:line, in the page's alert banner.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("students.csv")
	must(t, err)
	_, err = io.WriteString(w, strings.Replace(files["students.csv"], ",female,", ",purple,", 1))
	must(t, err)
	must(t, zw.Close())
	page = uploadRoster(t, f, a, "broken.zip", buf.Bytes())
	i := strings.Index(page, `class="error" role="alert"`)
	if i < 0 || !strings.Contains(page[i:], "students.csv:2") || !strings.Contains(page[i:], "nothing was imported") {
		t.Fatalf("a failed import's problems are not in a banner:\n%s", page)
	}
}
