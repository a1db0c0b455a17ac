package httpserver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/twilio/twilio-go/client"

	"github.com/trustpulse/trustpulse/internal/sms"
)

// twilioRoutes are Twilio's webhooks and the demo's outbox page. The webhooks carry no CSRF
// token (Twilio cannot send one): the X-Twilio-Signature, checked against the public base URL,
// is what protects them.
func (s *Server) twilioRoutes() {
	s.echo.POST("/webhooks/twilio/status", s.twilioStatus)   // Twilio (signed)
	s.echo.POST("/webhooks/twilio/inbound", s.twilioInbound) // Twilio (signed)
	if s.DevOutbox {
		s.echo.GET("/dev/outbox", s.devOutbox) // demo mode only: anyone who can reach the demo
	}
}

// twilioVerified checks the request's X-Twilio-Signature. It answers 503 when no auth token is
// configured (nothing to check against) and 403 for a missing or wrong signature; ok is false then.
func (s *Server) twilioVerified(c echo.Context) (params map[string]string, ok bool, err error) {
	if s.SMS == nil || !s.SMS.WebhooksEnabled() {
		return nil, false, c.String(http.StatusServiceUnavailable, "Twilio webhooks are not configured: set TWILIO_AUTH_TOKEN\n")
	}
	if err := c.Request().ParseForm(); err != nil {
		return nil, false, c.String(http.StatusBadRequest, "bad form\n")
	}
	params = make(map[string]string, len(c.Request().PostForm))
	for k, v := range c.Request().PostForm {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	// Twilio signs the URL it was given (ours, public), never what reached us through a proxy.
	u := s.Config.BaseURL + c.Request().URL.Path
	if q := c.Request().URL.RawQuery; q != "" {
		u += "?" + q
	}
	v := client.NewRequestValidator(s.SMS.AuthToken)
	sig := c.Request().Header.Get("X-Twilio-Signature")
	if sig == "" || !v.Validate(u, params, sig) {
		s.Log.Warn("twilio webhook: bad signature", "path", c.Request().URL.Path, "ip", c.RealIP())
		return nil, false, c.String(http.StatusForbidden, "invalid signature\n")
	}
	return params, true, nil
}

// twilioStatus records a delivery status callback for our message ?d=<district>&m=<id>
// (sms.StatusCallbackURL); a URL of before the district was in it has ?m=<id> only.
func (s *Server) twilioStatus(c echo.Context) error {
	p, ok, err := s.twilioVerified(c)
	if !ok {
		return err
	}
	id, err := strconv.ParseInt(c.QueryParam("m"), 10, 64)
	if err != nil {
		return c.String(http.StatusBadRequest, "missing message id\n")
	}
	var district int64
	if d := c.QueryParam("d"); d != "" {
		if district, err = strconv.ParseInt(d, 10, 64); err != nil || district == 0 {
			return c.String(http.StatusBadRequest, "bad district\n")
		}
	}
	err = s.SMS.RecordStatus(c.Request().Context(), district, id, p["MessageSid"], p["MessageStatus"], p["ErrorCode"])
	if errors.Is(err, sms.ErrUnknownMessage) {
		// Not ours (or no longer): tell Twilio it was received so it does not retry forever.
		s.Log.Warn("twilio status for unknown message", "message_id", id)
		return c.NoContent(http.StatusNoContent)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// twimlResponse is a TwiML answer: its messages are sent in order; none says nothing.
type twimlResponse struct {
	XMLName  xml.Name `xml:"Response"`
	Messages []string `xml:"Message"`
}

// twilioInbound handles a family's text: STOP/START/HELP and their translations, and answers
// to a survey by text.
func (s *Server) twilioInbound(c echo.Context) error {
	p, ok, err := s.twilioVerified(c)
	if !ok {
		return err
	}
	reply, err := s.SMS.HandleText(c.Request().Context(), sms.Inbound{From: p["From"], Body: p["Body"], MessageSid: p["MessageSid"]})
	if err != nil {
		return err
	}
	var tw twimlResponse
	for _, m := range append([]string{reply.Text}, reply.More...) {
		if m != "" {
			tw.Messages = append(tw.Messages, m)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(tw); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", buf.Bytes())
}

// devOutboxPage lists outbox messages with their full text (demo data only).
var devOutboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SMS outbox (demo)</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main>
<h1>SMS outbox</h1>
<p>Demo mode: texts are not sent; the newest {{len .}} are shown here with their links.</p>
<table>
<thead><tr><th scope="col">Queued</th><th scope="col">To</th><th scope="col">Kind</th><th scope="col">Language</th><th scope="col">Status</th><th scope="col">Text</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.CreatedAt.Format "2006-01-02 15:04"}}</td><td>{{.ToNumber}}</td><td>{{.Kind}}</td><td>{{.Language}}</td><td>{{.Status}}</td><td dir="auto">{{.Body}}</td></tr>
{{else}}<tr><td colspan="6">No messages yet.</td></tr>
{{end}}</tbody></table>
</main></body></html>
`))

// devOutbox shows the newest 100 outbox messages.
func (s *Server) devOutbox(c echo.Context) error {
	if s.SMS == nil {
		return c.String(http.StatusServiceUnavailable, "SMS is not configured\n")
	}
	msgs, err := s.SMS.Recent(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	// The rows hold sealed links; this page (demo only, see routes) shows them opened.
	msgs = s.SMS.Reveal(msgs)
	var buf bytes.Buffer
	if err := devOutboxPage.Execute(&buf, msgs); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
