package email

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/seal"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Run is the background email sender (a component on every worker): Workers goroutines send
// due mails until ctx is cancelled. Claims never overlap across instances and the rate is
// shared through the database bucket.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < max(1, s.Workers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n, err := s.SendDue(ctx)
				if err != nil && ctx.Err() == nil {
					s.Log.Error("email: send", "err", err)
				}
				if n == 0 || err != nil {
					select {
					case <-ctx.Done():
					case <-time.After(s.PollInterval):
					}
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// Housekeep declares rows a stopped worker left "sending" unknown (never resent) and queues due
// reminders: the email periodic job, run once a minute on one instance.
func (s *Service) Housekeep(ctx context.Context) error {
	if n, err := s.RecoverStuck(ctx); err != nil {
		return fmt.Errorf("email: recover stuck mails: %w", err)
	} else if n > 0 {
		s.Log.Warn("email: mails left sending by a stopped worker marked unknown; they are not resent", "count", n)
	}
	if _, err := s.ScheduleReminders(ctx); err != nil {
		return fmt.Errorf("email: schedule reminders: %w", err)
	}
	return nil
}

// SendDue sends what is due, district by district (each claim names its district, so on a
// database sharded by district it goes to one shard): for each district with a mail due it waits
// for the rate limit, claims up to BatchSize due mails and sends them. Each call starts at the
// next district in turn. It returns how many it claimed.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	ids := []int64{s.district}
	if s.district == 0 {
		var err error
		if ids, err = s.Store.DistrictIDs(ctx); err != nil {
			return 0, err
		}
	}
	start := s.turn.Add(1)
	total := 0
	for i := range ids {
		if ctx.Err() != nil {
			return total, nil
		}
		n, err := s.sendDueIn(ctx, ids[(start+uint64(i))%uint64(len(ids))])
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// sendDueIn is SendDue for one district.
func (s *Service) sendDueIn(ctx context.Context, district int64) (int, error) {
	if due, err := s.anyDue(ctx, district); err != nil || !due {
		return 0, err
	}
	batch := max(1, s.BatchSize)
	if s.Bucket != nil {
		n, err := s.Bucket.Wait(ctx, SendKey, batch)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil
			}
			return 0, err
		}
		msgs, err := s.claim(ctx, district, n)
		if unused := n - len(msgs); unused > 0 {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if rerr := s.Bucket.Return(rctx, SendKey, unused); rerr != nil {
				s.Log.Warn("email: return unused send tokens", "err", rerr)
			}
			cancel()
		}
		if err != nil {
			return 0, err
		}
		s.sendClaimed(ctx, msgs)
		return len(msgs), nil
	}
	if s.Limiter != nil && s.Limiter.Limit() != rate.Inf {
		batch = min(batch, max(1, s.Limiter.Burst()))
		if err := s.Limiter.WaitN(ctx, batch); err != nil {
			return 0, nil // cancelled
		}
	}
	msgs, err := s.claim(ctx, district, batch)
	if err != nil {
		return 0, err
	}
	s.sendClaimed(ctx, msgs)
	return len(msgs), nil
}

func (s *Service) anyDue(ctx context.Context, district int64) (bool, error) {
	var one []int64
	err := s.Store.DB.WithContext(ctx).Model(&store.EmailMessage{}).
		Where("district_id = ? AND status = ? AND next_attempt_at <= ?", district, store.EmailQueued, s.now()).Limit(1).Pluck("id", &one).Error
	if err != nil {
		return false, fmt.Errorf("look for due email: %w", err)
	}
	return len(one) > 0, nil
}

// claim moves up to n due rows of the district from queued to sending and commits before any
// mail goes out, so no other worker takes them and a crash after this point never sends them
// again (store.ClaimIDs). The district is named in the UPDATE and in its subquery (one shard on Citus).
func (s *Service) claim(ctx context.Context, district int64, n int) ([]store.EmailMessage, error) {
	now := s.now()
	q := `UPDATE email_messages SET status = ?, attempts = attempts + 1, updated_at = ?
	      WHERE district_id = ? AND ` + s.Store.ClaimIDs(`SELECT id FROM email_messages
	            WHERE district_id = ? AND status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`) + `
	      RETURNING *`
	var msgs []store.EmailMessage
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Raw(q, store.EmailSending, now, district, district, store.EmailQueued, now, n).Scan(&msgs).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim email: %w", err)
	}
	return msgs, nil
}

func (s *Service) sendClaimed(ctx context.Context, msgs []store.EmailMessage) {
	sendCtx, done := jobs.WithGrace(ctx, s.Drain)
	defer done()
	for i, m := range msgs {
		if ctx.Err() != nil {
			s.release(msgs[i:])
			return
		}
		if err := s.process(sendCtx, m); err != nil {
			if errors.Is(err, ErrInterrupted) {
				s.release(msgs[i+1:])
				return
			}
			if ctx.Err() == nil {
				s.Log.Error("email: record result", "message_id", m.ID, "err", err)
			}
		}
	}
}

// release puts claimed but untouched rows back (the worker is stopping).
func (s *Service) release(msgs []store.EmailMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range msgs {
		err := s.Store.DB.WithContext(ctx).Model(&store.EmailMessage{}).
			Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, store.EmailSending).
			Updates(map[string]any{"status": store.EmailQueued, "attempts": gorm.Expr("attempts - 1"), "updated_at": s.now()}).Error
		if err != nil {
			s.Log.Error("email: release unsent mail", "message_id", m.ID, "err", err)
		}
	}
}

// RecoverStuck marks rows left "sending" longer than SendingLease "unknown": their worker
// stopped between claiming and recording the server's answer, so the mail may have gone out.
// They are never resent blindly.
func (s *Service) RecoverStuck(ctx context.Context) (int, error) {
	n := 0
	err := s.Store.EachDistrict(ctx, s.district, func(district int64) error {
		res := s.Store.DB.WithContext(ctx).Model(&store.EmailMessage{}).
			Where("district_id = ? AND status = ? AND updated_at <= ?", district, store.EmailSending, s.now().Add(-s.SendingLease)).
			Updates(map[string]any{"status": store.EmailUnknown, "last_error": "worker stopped while sending; not resent",
				"sealed_token": nil, "updated_at": s.now()})
		n += int(res.RowsAffected)
		return res.Error
	})
	return n, err
}

// stillWanted asks the contact rule, just before sending, about what changed since queueing.
func (s *Service) stillWanted(ctx context.Context, m store.EmailMessage, now time.Time) (string, error) {
	var c sms.Contact
	err := s.Store.DB.WithContext(ctx).Table("invitations i").
		Select("i.id AS invitation_id, p.active, p.survey_opt_out, w.status AS wave_status, w.opens_at, w.closes_at, (i.completed_at IS NOT NULL) AS answered").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Joins("JOIN waves w ON w.district_id = i.district_id AND w.id = i.wave_id").
		Where("i.district_id = ? AND i.id = ?", m.DistrictID, m.InvitationID).Take(&c).Error
	if err != nil {
		return "", fmt.Errorf("load contact rule facts of invitation %d: %w", m.InvitationID, err)
	}
	p := sms.ForInvite
	if m.Kind == KindReminder {
		p = sms.ForReminder
	}
	return sms.Refusal(c, now, p, false), nil
}

// process sends one claimed mail and records the outcome.
func (s *Service) process(ctx context.Context, m store.EmailMessage) error {
	now := s.now()
	reason, err := s.stillWanted(ctx, m, now)
	switch {
	case err != nil:
		return errors.Join(err, s.requeue(m, now.Add(time.Minute), err.Error(), false))
	case reason == sms.ReasonNotYet:
		return s.requeue(m, now.Add(5*time.Minute), "", true)
	case reason != "":
		return s.finish(m, map[string]any{"status": store.EmailCancelled, "last_error": reason, "sealed_token": nil})
	}
	token, err := s.openToken(ctx, m)
	if err != nil {
		return errors.Join(err, s.requeue(m, now.Add(time.Minute), err.Error(), false))
	}
	link := sms.Link(s.BaseURL, token)
	body := strings.Replace(m.Body, sms.Link(s.BaseURL, tokenSlot), link, 1)
	info := s.Locales.Info(m.Language)
	raw, mid, err := compose(s.From, m.ToAddress, m.Subject, body, info.Tag, info.Dir, link, now)
	if err != nil {
		return errors.Join(err, s.requeue(m, now.Add(time.Minute), err.Error(), false))
	}
	err = s.Sender.Send(ctx, Mail{From: s.From, To: m.ToAddress, MessageID: mid, Raw: raw})
	if errors.Is(err, ErrInterrupted) {
		return err // left "sending": RecoverStuck marks it unknown, never a blind resend
	}
	done := s.now()
	if err == nil {
		upd := map[string]any{"status": store.EmailSent, "message_id": mid, "sent_at": done, "last_error": ""}
		if !s.Sender.Local() {
			upd["sealed_token"] = nil // the mail has left: nothing here needs its link any more
		}
		return s.finishSent(m, upd, done)
	}
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Class: Retryable, Err: err}
	}
	switch {
	case se.Class == Retryable && ctx.Err() != nil:
		// Stopped before any data went out: nothing was delivered; back in the queue, not an attempt.
		if err := s.requeue(m, done, se.Error(), true); err != nil {
			return err
		}
		return ErrInterrupted // the caller stops and releases the rest
	case se.Class == Unknown:
		s.Log.Warn("email: outcome unknown; not resent", "message_id", m.ID, "err", se.Err)
		return s.finish(m, map[string]any{"status": store.EmailUnknown, "message_id": mid, "last_error": se.Error(), "sealed_token": nil})
	case se.Class == Retryable && m.Attempts < s.MaxAttempts:
		delay := s.Backoff(m.Attempts)
		delay += time.Duration(rand.Int64N(int64(delay)/2 + 1)) // jitter spreads a burst of retries
		return s.requeue(m, done.Add(delay), se.Error(), false)
	}
	s.Log.Warn("email: not sent", "message_id", m.ID, "class", se.Class, "code", se.Code)
	return s.finish(m, map[string]any{"status": store.EmailFailed, "last_error": se.Error(), "sealed_token": nil})
}

// openToken opens m's sealed token. One that cannot be opened (sealed with another process's
// key) is replaced by a fresh token of the same invitation, committed before the mail goes.
func (s *Service) openToken(ctx context.Context, m store.EmailMessage) (string, error) {
	tok, err := s.Sealer.Open(m.SealedToken, sealContext(m.DistrictID, m.InvitationID))
	if err == nil {
		return string(tok), nil
	}
	if !errors.Is(err, seal.ErrOpen) {
		return "", err
	}
	token, hash, err := wave.NewDistrictToken(s.Store, s.Store.DB.WithContext(ctx), m.DistrictID)
	if err != nil {
		return "", fmt.Errorf("mint a fresh link for email %d: %w", m.ID, err)
	}
	if err := s.Store.DB.WithContext(ctx).Create(&store.InvitationToken{DistrictID: m.DistrictID, TokenHash: hash, InvitationID: m.InvitationID, CreatedAt: s.now()}).Error; err != nil {
		return "", fmt.Errorf("mint a fresh link for email %d: %w", m.ID, err)
	}
	s.Log.Warn("email: sealed link could not be opened (other key); sent with a fresh link", "message_id", m.ID)
	return token, nil
}

// requeue puts a claimed row back to wait until at; notAttempt gives the attempt back.
func (s *Service) requeue(m store.EmailMessage, at time.Time, lastErr string, notAttempt bool) error {
	upd := map[string]any{"status": store.EmailQueued, "next_attempt_at": at.UTC().Truncate(time.Second)}
	if lastErr != "" {
		upd["last_error"] = lastErr
	}
	if notAttempt {
		upd["attempts"] = gorm.Expr("attempts - 1")
	}
	return s.finish(m, upd)
}

// finish records a claimed row's outcome; the row must still be ours ("sending").
func (s *Service) finish(m store.EmailMessage, upd map[string]any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	upd["updated_at"] = s.now()
	err := s.Store.DB.WithContext(ctx).Model(&store.EmailMessage{}).
		Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, store.EmailSending).Updates(upd).Error
	if err != nil {
		return fmt.Errorf("record email %d: %w", m.ID, err)
	}
	return nil
}

// finishSent records a sent row and stamps the invitation's sent_at, in one transaction.
func (s *Service) finishSent(m store.EmailMessage, upd map[string]any, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	upd["updated_at"] = at
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.EmailMessage{}).Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, store.EmailSending).Updates(upd).Error; err != nil {
			return err
		}
		return tx.Model(&store.Invitation{}).Where("district_id = ? AND id = ? AND sent_at IS NULL", m.DistrictID, m.InvitationID).Update("sent_at", at).Error
	})
	if err != nil {
		return fmt.Errorf("record sent email %d: %w", m.ID, err)
	}
	return nil
}
