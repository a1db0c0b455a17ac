package httpserver

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// devEmailRoutes is the demo's email outbox page, like /dev/outbox for texts: demo mode only,
// because it shows live survey links.
func (s *Server) devEmailRoutes() {
	if s.DevOutbox && s.Email != nil {
		s.echo.GET("/dev/email", s.devEmail)
	}
}

var devEmailPage = template.Must(template.New("email").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Email outbox (demo)</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main>
<h1>Email outbox</h1>
<p>Demo mode: mails are not sent; the newest {{len .}} are shown here with their links.</p>
<table>
<thead><tr><th scope="col">Queued</th><th scope="col">To</th><th scope="col">Kind</th><th scope="col">Language</th><th scope="col">Status</th><th scope="col">Subject</th><th scope="col">Text</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.CreatedAt.Format "2006-01-02 15:04"}}</td><td>{{.ToAddress}}</td><td>{{.Kind}}</td><td>{{.Language}}</td><td>{{.Status}}</td><td dir="auto">{{.Subject}}</td><td dir="auto" style="white-space:pre-line">{{.Body}}</td></tr>
{{else}}<tr><td colspan="7">No mails yet.</td></tr>
{{end}}</tbody></table>
</main></body></html>
`))

// devEmail shows the newest 100 mails, their links opened (demo only, see devEmailRoutes).
func (s *Server) devEmail(c echo.Context) error {
	msgs, err := s.Email.Outbox(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := devEmailPage.Execute(&buf, msgs); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
