// Package email mails staff, and students with a school address in the roster, their personal
// survey links: a durable outbox (email_messages) written in the transaction that opens the
// wave, a worker that claims due rows, asks the one contact rule (sms.Refusal) again just before
// sending, paces itself by the shared bucket (channel "email") and hands each mail to an SMTP
// server (STARTTLS, auth), or to the local outbox shown at /dev/email in demo mode. A mail whose
// outcome is unknown (the connection broke after its data went out, or the worker stopped
// mid-send) is recorded "unknown" and never resent.
package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/seal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/throttle"
)

// Mail is one composed message for a Sender.
type Mail struct {
	From, To  string
	MessageID string // without angle brackets
	Raw       []byte // the whole RFC 5322 message, headers and body
}

// Sender hands one mail to a server. Errors are *SendError.
type Sender interface {
	Send(ctx context.Context, m Mail) error
	// Local reports whether mails stay on this machine (the dev outbox): their link is kept.
	Local() bool
}

// Error classes: a retryable error is tried again later with backoff, a permanent one never;
// unknown means the mail may have been delivered (never resent).
const (
	Retryable = "retryable"
	Permanent = "permanent"
	Unknown   = "unknown"
)

// SendError is a classified send failure.
type SendError struct {
	Class string
	Code  int // SMTP reply code, 0 for a network error
	Err   error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send email (%s, smtp %d): %v", e.Class, e.Code, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// ErrInterrupted means the worker stopped while a mail was being handed over: the row stays
// "sending" and RecoverStuck later marks it unknown, never resent.
var ErrInterrupted = errors.New("send interrupted: outcome unknown")

// Kinds: the idempotency key is (district, invitation, kind).
const (
	KindInvite   = "invite"
	KindReminder = "reminder"
)

// Service is the email capability. Build it with New; tests may adjust exported fields.
type Service struct {
	Store   *store.Store
	Locales *locale.Catalog
	Sender  Sender
	Log     *slog.Logger
	BaseURL string
	From    string
	// Sealer seals queued links; share the SMS service's (cfg.SealKey, else per process).
	Sealer *seal.Sealer
	// Bucket paces every mail of every instance (cfg.EmailRate per second); nil: Limiter.
	Bucket  *throttle.Bucket
	Limiter *rate.Limiter
	// Drain is how long a mail being handed over may take to finish after a stop.
	Drain        time.Duration
	Workers      int
	BatchSize    int
	PollInterval time.Duration
	SendingLease time.Duration
	MaxAttempts  int
	Backoff      func(n int) time.Duration

	// district, when not 0, limits the worker to one district (tests share one database).
	district int64
	// turn picks the district each SendDue starts at, so every district gets its turn first.
	turn atomic.Uint64
}

// SendKey is the bucket every mail is paced by: one SMTP relay serves the deployment.
var SendKey = throttle.Key{DistrictID: 0, Channel: "email"}

// New builds the service: SMTP when cfg.SMTPURL is set, else the local outbox.
// sealer is the one the SMS outbox uses.
func New(cfg config.Config, st *store.Store, cat *locale.Catalog, sealer *seal.Sealer, log *slog.Logger) *Service {
	var sender Sender = &OutboxSender{Log: log}
	if cfg.SMTPURL != "" {
		if s, err := NewSMTPSender(cfg.SMTPURL); err == nil {
			sender = s
		} else { // Validate checked it; a Config not validated keeps mails local, loudly
			log.Error("TRUSTPULSE_SMTP_URL unusable; mails stay in the local outbox", "err", err)
		}
	}
	if sealer == nil {
		sealer = seal.Random()
	}
	r := cfg.EmailRate
	if r <= 0 {
		r = 2
	}
	burst := max(1, int(math.Ceil(r)))
	return &Service{
		Store: st, Locales: cat, Sender: sender, Log: log, BaseURL: cfg.BaseURL, From: fromOrDefault(cfg),
		Sealer: sealer, Limiter: rate.NewLimiter(rate.Limit(r), burst),
		Bucket: &throttle.Bucket{Store: st, Rate: r, Burst: burst},
		Drain:  15 * time.Second, Workers: 1, BatchSize: burst, PollInterval: 2 * time.Second,
		SendingLease: 10 * time.Minute, MaxAttempts: 8, Backoff: DefaultBackoff,
	}
}

// fromOrDefault is TRUSTPULSE_SMTP_FROM, else an address at the base URL's host.
func fromOrDefault(cfg config.Config) string {
	if cfg.SMTPFrom != "" {
		return cfg.SMTPFrom
	}
	host := strings.TrimPrefix(strings.TrimPrefix(cfg.BaseURL, "https://"), "http://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	if host == "" {
		host = "localhost"
	}
	return "surveys@" + host
}

// DefaultBackoff doubles from 1 min up to 2 h.
func DefaultBackoff(n int) time.Duration {
	return min(time.Minute<<min(n-1, 7), 2*time.Hour)
}

func (s *Service) now() time.Time { return s.Store.Now() }
