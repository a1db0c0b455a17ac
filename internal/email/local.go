package email

import (
	"context"
	"log/slog"
	"strings"

	"github.com/trustpulse/trustpulse/internal/store"
)

// OutboxSender is the default without TRUSTPULSE_SMTP_URL: a mail "delivered" stays in the
// outbox table (shown at /dev/email in demo mode only) and is logged without its link.
type OutboxSender struct {
	Log *slog.Logger
}

// Local is true: mails stay on this machine (their sealed link is kept for /dev/email).
func (o *OutboxSender) Local() bool { return true }

// Send logs the mail's id and masked recipient only.
func (o *OutboxSender) Send(ctx context.Context, m Mail) error {
	if o.Log != nil {
		o.Log.Info("email to local outbox", "message_id", m.MessageID, "to", maskAddress(m.To))
	}
	return nil
}

// maskAddress keeps the first letter and the domain of an address, for logs.
func maskAddress(a string) string {
	i := strings.LastIndexByte(a, '@')
	if i < 1 {
		return "…"
	}
	return a[:1] + "…" + a[i:]
}

// Outbox returns the newest n mails of a district with their links put back where this process
// can open them: for the demo's /dev/email page, the only place links are shown.
func (s *Service) Outbox(ctx context.Context, n int) ([]store.EmailMessage, error) {
	var msgs []store.EmailMessage
	if err := s.Store.DB.WithContext(ctx).Order("created_at DESC, id").Limit(n).Find(&msgs).Error; err != nil {
		return nil, err
	}
	for i, m := range msgs {
		if tok, err := s.Sealer.Open(m.SealedToken, sealContext(m.DistrictID, m.InvitationID)); err == nil {
			msgs[i].Body = strings.Replace(m.Body, tokenSlot, string(tok), 1)
		}
	}
	return msgs, nil
}
