package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
)

// TLS modes of an SMTP URL (config.ParseSMTPURL).
const (
	TLSStartTLS = config.SMTPStartTLS
	TLSImplicit = config.SMTPImplicit
	TLSOff      = config.SMTPPlain
)

// SMTPSender delivers over SMTP. Build it with ParseSMTPURL.
type SMTPSender struct {
	Addr     string // host:port
	Host     string // for the TLS server name and auth
	TLSMode  string
	Username string
	Password string
	// TLSConfig, when set, replaces the default (tests trust their own certificate with it).
	TLSConfig *tls.Config
	// Timeout bounds the whole conversation of one mail.
	Timeout time.Duration
}

// NewSMTPSender builds the sender of TRUSTPULSE_SMTP_URL (see config.ParseSMTPURL).
func NewSMTPSender(rawURL string) (*SMTPSender, error) {
	c, err := config.ParseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	return &SMTPSender{Addr: c.Addr, Host: c.Host, TLSMode: c.TLSMode, Username: c.Username, Password: c.Password, Timeout: 60 * time.Second}, nil
}

// Local is false: mails leave this machine.
func (s *SMTPSender) Local() bool { return false }

// Send delivers one mail. Failures before the message data went out are retryable (network,
// 4xx) or permanent (5xx to MAIL, RCPT or DATA); once the data went out, only an explicit reply
// says what happened: anything else (a cut connection, a timeout) is Unknown. A stop (ctx
// cancelled) while handing over returns ErrInterrupted.
func (s *SMTPSender) Send(ctx context.Context, m Mail) error {
	dl := time.Now().Add(s.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	d := net.Dialer{Deadline: dl}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return s.before(ctx, fmt.Errorf("connect to %s: %w", s.Addr, err))
	}
	defer conn.Close()
	_ = conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) }) // a stop unblocks every read and write
	defer stop()
	tcfg := s.tlsConfig()
	if s.TLSMode == TLSImplicit {
		tc := tls.Client(conn, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return s.before(ctx, fmt.Errorf("TLS handshake with %s: %w", s.Addr, err))
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return s.before(ctx, fmt.Errorf("greeting: %w", err))
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return s.before(ctx, fmt.Errorf("EHLO: %w", err))
	}
	if s.TLSMode == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &SendError{Class: Retryable, Err: fmt.Errorf("%s does not offer STARTTLS: not sending in clear (use smtps:// or a server with STARTTLS)", s.Addr)}
		}
		if err := c.StartTLS(tcfg); err != nil {
			return s.before(ctx, fmt.Errorf("STARTTLS: %w", err))
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			// A refused login is the deployment's problem, not this mail's: keep it and retry.
			return s.before(ctx, fmt.Errorf("AUTH: %w", err))
		}
	}
	if err := c.Mail(m.From); err != nil {
		return s.reply(ctx, "MAIL FROM", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return s.reply(ctx, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.reply(ctx, "DATA", err)
	}
	// From here the server may have the message: only its reply to the final dot settles it.
	_, werr := w.Write(m.Raw)
	cerr := w.Close()
	if werr == nil && cerr == nil {
		_ = c.Quit()
		return nil
	}
	err = errors.Join(werr, cerr)
	var te *textproto.Error
	if werr == nil && errors.As(cerr, &te) {
		return classifyCode("end of data", te)
	}
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	return &SendError{Class: Unknown, Err: fmt.Errorf("after the message data went out: %w", err)}
}

// before classifies a failure before any message data went out: nothing was delivered.
// A stop (ctx cancelled) before the data is retryable too: the worker puts the mail back.
func (s *SMTPSender) before(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &SendError{Class: Retryable, Err: fmt.Errorf("stopped before the message data went out: %w", ctx.Err())}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return &SendError{Class: Retryable, Code: te.Code, Err: err}
	}
	return &SendError{Class: Retryable, Err: err}
}

// reply classifies the server's answer to MAIL, RCPT or DATA.
func (s *SMTPSender) reply(ctx context.Context, step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return classifyCode(step, te)
	}
	return s.before(ctx, fmt.Errorf("%s: %w", step, err))
}

// classifyCode: 5xx is permanent (never retried), anything else retryable (4xx: try later).
func classifyCode(step string, te *textproto.Error) error {
	class := Retryable
	if te.Code >= 500 && te.Code < 600 {
		class = Permanent
	}
	return &SendError{Class: class, Code: te.Code, Err: fmt.Errorf("%s: %d %s", step, te.Code, te.Msg)}
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		c := s.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = s.Host
		}
		return c
	}
	return &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
}
