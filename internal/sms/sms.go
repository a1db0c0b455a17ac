// Package sms texts families their survey links: a narrow Sender interface with a Twilio and a
// local-outbox implementation, a durable DB-backed outbox with one shared rate limiter, quiet
// hours, retries and reminders, the status and inbound (STOP/START/HELP) webhooks' logic, and
// opt-outs. No web request ever waits on Twilio: requests only write to the outbox.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/metrics"
	"github.com/trustpulse/trustpulse/internal/seal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/throttle"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Message is one text for a Sender.
type Message struct {
	ID             int64 // our outbox id
	To             string
	Body           string
	StatusCallback string        // empty for the local outbox
	Validity       time.Duration // drop the text if the carrier cannot deliver it by then
}

// Result is what a Sender learned when it handed a message over.
type Result struct {
	ProviderSid string
	Status      string // one of the store.SMS* statuses
}

// Sender hands one message to a provider. Errors are *SendError when the provider answered.
type Sender interface {
	Send(ctx context.Context, m Message) (Result, error)
	// Local reports whether messages stay on this machine (the dev outbox): their text is kept.
	Local() bool
}

// Error classes: a retryable error is tried again later with backoff; a permanent one is recorded
// and never retried; "stopped" means the recipient opted out at the carrier (Twilio 21610).
const (
	Retryable = "retryable"
	Permanent = "permanent"
	Stopped   = "stopped"
)

// SendError is a classified send failure.
type SendError struct {
	Class  string
	Code   int // provider error code, 0 if none
	Status int // HTTP status, 0 for a network error
	Err    error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send sms (%s, http %d, code %d): %v", e.Class, e.Status, e.Code, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Unknown is the class of a send whose outcome nobody knows (the request went out, no answer
// came back): the row is marked "unknown" and never retried blindly, so no family gets a text
// twice; a late status callback still moves it to its real status.
const Unknown = "unknown"

// ErrInterrupted means the worker stopped while a send was in flight: whether the provider took
// the message is unknown, so the row stays "sending" and is later marked "unknown", never resent.
var ErrInterrupted = errors.New("send interrupted: outcome unknown")

// Service is the SMS capability. Build it with New; tests may adjust exported fields before Run.
type Service struct {
	Store   *store.Store
	Locales *locale.Catalog
	// Waves opens, saves and submits the sessions of families answering by text; nil turns
	// answering by text off (replies other than keywords then get no answer).
	Waves   *wave.Service
	Sender  Sender
	Log     *slog.Logger
	BaseURL string
	// AuthToken checks webhook signatures; empty means the webhooks are unavailable (503).
	AuthToken string
	// Bucket paces every send of every worker of every instance through the database
	// (cfg.SMSRate per second in total). When nil, Limiter paces this process alone (tests).
	Bucket *throttle.Bucket
	// Limiter paces this process's sends when Bucket is nil.
	Limiter *rate.Limiter
	// Drain is how long a text being handed to the provider may take to finish after a stop;
	// 0 interrupts it at once (its outcome is then unknown and it is never resent).
	Drain  time.Duration
	Window Window
	// Workers is how many goroutines send; they share Limiter.
	Workers      int
	BatchSize    int
	PollInterval time.Duration
	// SendingLease is how long a row may stay "sending" before it is declared "unknown".
	SendingLease time.Duration
	MaxAttempts  int
	// Validity caps how long a carrier may hold a text (Twilio ValidityPeriod).
	Validity time.Duration
	// Backoff is the delay before retry n (1-based), before jitter.
	Backoff func(n int) time.Duration
	// Sealer seals the link tokens of queued texts (cfg.SealKey, else a per-process key).
	Sealer *seal.Sealer
	// Metrics counts send outcomes and answers submitted by text; nil counts nothing.
	Metrics *metrics.Metrics

	keywords map[string]keywordEntry
	// district, when not 0, limits the worker to one district (tests share one database).
	district int64
	// turn picks the district each SendDue starts at, so every district gets its turn first.
	turn atomic.Uint64
}

// New builds the service: Twilio when TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set, else the
// local outbox. cfg must be validated (BaseURL filled in).
func New(cfg config.Config, st *store.Store, cat *locale.Catalog, log *slog.Logger) *Service {
	var sender Sender
	if cfg.TwilioEnabled() {
		sender = NewTwilioSender(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioMessagingServiceSID, cfg.TwilioFromNumber, nil)
	} else {
		sender = &OutboxSender{Log: log}
	}
	burst := int(math.Ceil(cfg.SMSRate))
	if burst < 1 {
		burst = 1
	}
	window := Window{Start: cfg.SMSWindowStart, End: cfg.SMSWindowEnd}
	if window.Validate() != nil {
		window = DefaultWindow() // a Config not built by config.Default (validated ones are valid)
	}
	sealer := seal.Random()
	if cfg.SealKey != "" {
		key, err := seal.ParseKey(cfg.SealKey)
		if err == nil {
			sealer, err = seal.New(key)
		}
		if err != nil { // Validate checked it; a Config not validated falls back, loudly
			log.Error("TRUSTPULSE_SEAL_KEY unusable; sealing queued links with a per-process key", "err", err)
			sealer = seal.Random()
		}
	} else if cfg.TwilioEnabled() {
		log.Warn("TRUSTPULSE_SEAL_KEY is not set: queued links are sealed with a per-process key, so texts queued before a restart or by another instance go out with a fresh link")
	}
	return &Service{
		Sealer: sealer,
		Store:  st, Locales: cat, Sender: sender, Log: log, BaseURL: cfg.BaseURL, AuthToken: cfg.TwilioAuthToken,
		Limiter: rate.NewLimiter(rate.Limit(cfg.SMSRate), burst),
		Bucket:  &throttle.Bucket{Store: st, Rate: cfg.SMSRate, Burst: burst},
		Drain:   15 * time.Second,
		Window:  window, Workers: 2, BatchSize: burst, PollInterval: 2 * time.Second,
		SendingLease: 10 * time.Minute, MaxAttempts: 8, Validity: 4 * time.Hour,
		Backoff:  DefaultBackoff,
		keywords: keywords(),
	}
}

// DefaultBackoff doubles from 30 s up to 1 h.
func DefaultBackoff(n int) time.Duration {
	d := 30 * time.Second << min(n-1, 7)
	return min(d, time.Hour)
}

// WebhooksEnabled reports whether webhook signatures can be checked.
func (s *Service) WebhooksEnabled() bool { return s.AuthToken != "" }

func (s *Service) now() time.Time { return s.Store.Now() }

// QueueDepths counts the outbox rows still to settle, by status (queued, sending, unknown): the
// SMS queue depth metric, read at each scrape.
func (s *Service) QueueDepths(ctx context.Context) (map[string]float64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	err := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{}).Select("status, COUNT(*) AS n").
		Where("status IN ?", []string{store.SMSQueued, store.SMSSending, store.SMSUnknown}).Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("sms queue depths: %w", err)
	}
	out := map[string]float64{store.SMSQueued: 0, store.SMSSending: 0, store.SMSUnknown: 0}
	for _, r := range rows {
		out[r.Status] = float64(r.N)
	}
	return out, nil
}
