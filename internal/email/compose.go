package email

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/sms"
)

// tokenSlot stands in a queued body where the link's token goes; no token has a '#'.
var tokenSlot = strings.Repeat("#", 32)

// Message IDs in locales/active.*.toml.
const (
	msgSubject         = "email.subject"
	msgReminderSubject = "email.reminder_subject"
	msgGreeting        = "email.greeting"
	msgBody            = "email.body"
	msgReminder        = "email.reminder"
	msgClosing         = "email.closing"
)

// MessageIDs lists the email message IDs (for tests and lint).
func MessageIDs() []string {
	return []string{msgSubject, msgReminderSubject, msgGreeting, msgBody, msgReminder, msgClosing}
}

// text is the subject and plain-text body of one mail in lang, with tokenSlot where the token
// goes. Paragraphs are separated by a blank line; the link is a paragraph of its own.
func text(cat *locale.Catalog, lang, kind, district, person, baseURL string) (subject, body string) {
	l := cat.Localizer(lang)
	d := map[string]any{"Name": district, "Person": person}
	subj, lead := msgSubject, msgBody
	if kind == KindReminder {
		subj, lead = msgReminderSubject, msgReminder
	}
	greeting := l.T(msgGreeting, d)
	if person == "" {
		greeting = strings.TrimSpace(strings.NewReplacer(" ,", ",", " ：", "：", " ،", "،", " :", ":").Replace(greeting))
	}
	paras := []string{greeting, l.T(lead, d), sms.Link(baseURL, tokenSlot), l.T(msgClosing, d) + "\n" + district}
	return l.T(subj, d), strings.Join(paras, "\n\n")
}

var htmlBody = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;font-size:16px;line-height:1.5">
{{range .Paras}}{{if .Link}}<p><a href="{{.Text}}">{{.Text}}</a></p>
{{else}}<p>{{.Text}}</p>
{{end}}{{end}}</body></html>
`))

type para struct {
	Text string
	Link bool
}

// compose builds the RFC 5322 message: multipart/alternative with a text/plain part first and
// an HTML part (html/template escapes it), quoted-printable UTF-8, a Message-ID and a Date.
func compose(from, to, subject, body, lang, dir, link string, at time.Time) (raw []byte, messageID string, err error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, "", err
	}
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.Trim(from[i+1:], "> ")
	}
	messageID = hex.EncodeToString(rnd[:]) + "@" + domain
	var paras []para
	for _, p := range strings.Split(body, "\n\n") {
		paras = append(paras, para{Text: p, Link: p == link})
	}
	var html bytes.Buffer
	if err := htmlBody.Execute(&html, map[string]any{"Lang": lang, "Dir": dir, "Subject": subject, "Paras": paras}); err != nil {
		return nil, "", fmt.Errorf("render html part: %w", err)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", to)
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Date", at.UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+messageID+">")
	hdr("MIME-Version", "1.0")
	if lang != "" {
		hdr("Content-Language", lang)
	}
	hdr("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", strings.ReplaceAll(body, "\n", "\r\n")},
		{"text/html; charset=utf-8", html.String()},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ctype}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, "", err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, "", err
		}
		if err := qp.Close(); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), messageID, nil
}
