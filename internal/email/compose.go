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

// personSlot stands in a rendered greeting where the person's given name goes, so a wave's
// texts are rendered once per language, not once per person.
const personSlot = "\x00person\x00"

// texts renders the mails of one kind in one district, once per language.
type texts struct {
	cat                  *locale.Catalog
	kind, district, base string
	byLang               map[string]rendered
}

type rendered struct{ subject, greeting, rest string }

func newTexts(cat *locale.Catalog, kind, district, baseURL string) *texts {
	return &texts{cat: cat, kind: kind, district: district, base: baseURL, byLang: map[string]rendered{}}
}

// of is the subject and plain-text body of one mail in lang, with tokenSlot where the token
// goes. Paragraphs are separated by a blank line; the link is a paragraph of its own.
func (t *texts) of(lang, person string) (subject, body string) {
	r, ok := t.byLang[lang]
	if !ok {
		l := t.cat.Localizer(lang)
		d := map[string]any{"Name": t.district, "Person": personSlot}
		subj, lead := msgSubject, msgBody
		if t.kind == KindReminder {
			subj, lead = msgReminderSubject, msgReminder
		}
		r = rendered{subject: l.T(subj, d), greeting: l.T(msgGreeting, d),
			rest: strings.Join([]string{l.T(lead, d), sms.Link(t.base, tokenSlot), l.T(msgClosing, d) + "\n" + t.district}, "\n\n")}
		t.byLang[lang] = r
	}
	greeting := strings.Replace(r.greeting, personSlot, person, 1)
	if person == "" {
		greeting = strings.TrimSpace(strings.NewReplacer(" ,", ",", " ：", "：", " ،", "،", " :", ":").Replace(greeting))
	}
	return r.subject, greeting + "\n\n" + r.rest
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
