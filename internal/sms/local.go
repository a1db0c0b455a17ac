package sms

import (
	"context"
	"log/slog"

	"github.com/trustpulse/trustpulse/internal/store"
)

// OutboxSender is the embedded default when Twilio is not configured: it "delivers" by keeping
// the message in the outbox table (shown on /dev/outbox in demo mode) and logging it with the
// link redacted.
type OutboxSender struct {
	Log *slog.Logger
}

// Local is true: the text stays on this machine.
func (o *OutboxSender) Local() bool { return true }

// Send logs the message (never its token) and reports it delivered locally.
func (o *OutboxSender) Send(ctx context.Context, m Message) (Result, error) {
	if o.Log != nil {
		o.Log.Info("sms to local outbox", "message_id", m.ID, "to", maskNumber(m.To), "body", RedactLinks(m.Body))
	}
	return Result{Status: store.SMSDeliveredLocal}, nil
}

// maskNumber keeps the last two digits of a phone number for logs.
func maskNumber(n string) string {
	if len(n) <= 2 {
		return "**"
	}
	return "…" + n[len(n)-2:]
}
