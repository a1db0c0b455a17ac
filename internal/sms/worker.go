package sms

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/throttle"
)

// Run is the background SMS sender: Workers goroutines send due messages, paced by the shared
// Bucket, until ctx is cancelled; a text being handed over then gets Drain to finish. Any number
// of app servers may run it: claims never overlap and the rate is shared. The periodic upkeep
// (Housekeep) is a job of its own, run on one instance at a time.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < max(1, s.Workers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.sendLoop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// Housekeep declares rows a crashed worker left "sending" unknown and queues due reminders: the
// SMS periodic job (internal/jobs runs it once a minute on one instance).
func (s *Service) Housekeep(ctx context.Context) error {
	if n, err := s.RecoverStuck(ctx); err != nil {
		return fmt.Errorf("sms: recover stuck messages: %w", err)
	} else if n > 0 {
		s.Log.Warn("sms: messages left sending by a stopped worker marked unknown; they are not resent", "count", n)
	}
	if _, err := s.ScheduleReminders(ctx); err != nil {
		return fmt.Errorf("sms: schedule reminders: %w", err)
	}
	return nil
}

func (s *Service) logErr(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		s.Log.Error(msg, "err", err)
	}
}

func (s *Service) sendLoop(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.SendDue(ctx)
		if err != nil {
			s.logErr(ctx, "sms: send", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.PollInterval):
			}
		}
	}
}

// SendKey is the bucket every text is paced by: one Twilio account serves the whole deployment.
var SendKey = throttle.Key{DistrictID: 0, Channel: "sms"}

// SendDue waits for the rate limit, claims up to BatchSize due messages and sends them. It
// returns how many it claimed.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	batch := max(1, s.BatchSize)
	if s.Bucket != nil {
		return s.sendDueShared(ctx, batch)
	}
	if b := s.Limiter.Burst(); b > 0 && batch > b && s.Limiter.Limit() != rate.Inf {
		batch = b
	}
	if err := s.Limiter.WaitN(ctx, batch); err != nil {
		return 0, nil // cancelled
	}
	msgs, err := s.claim(ctx, batch)
	if err != nil {
		return 0, err
	}
	s.sendClaimed(ctx, msgs)
	return len(msgs), nil
}

// sendDueShared takes tokens from the database bucket shared by every instance before claiming,
// and gives back what the queue could not use. It takes none while nothing is due, so idle
// workers do not write to the bucket.
func (s *Service) sendDueShared(ctx context.Context, batch int) (int, error) {
	if due, err := s.anyDue(ctx); err != nil || !due {
		return 0, err
	}
	n, err := s.Bucket.Wait(ctx, SendKey, batch)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil // cancelled
		}
		return 0, err
	}
	msgs, err := s.claim(ctx, n)
	if unused := n - len(msgs); unused > 0 {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := s.Bucket.Return(rctx, SendKey, unused); rerr != nil {
			s.Log.Warn("sms: return unused send tokens", "err", rerr)
		}
		cancel()
	}
	if err != nil {
		return 0, err
	}
	s.sendClaimed(ctx, msgs)
	return len(msgs), nil
}

// anyDue reports whether a message is waiting to be sent.
func (s *Service) anyDue(ctx context.Context) (bool, error) {
	q := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{}).Where("status = ? AND not_before <= ?", store.SMSQueued, s.now())
	if s.district != 0 {
		q = q.Where("district_id = ?", s.district)
	}
	var one []int64
	if err := q.Limit(1).Pluck("id", &one).Error; err != nil {
		return false, fmt.Errorf("look for due sms: %w", err)
	}
	return len(one) > 0, nil
}

// sendClaimed sends claimed messages in order. On a stop, the one being handed over gets Drain
// to finish and the rest go back to the queue.
func (s *Service) sendClaimed(ctx context.Context, msgs []store.SMSMessage) {
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
			s.logErr(ctx, "sms: record result", err)
		}
	}
}

// claim moves up to n due rows from queued to sending and commits, so no other worker takes them.
func (s *Service) claim(ctx context.Context, n int) ([]store.SMSMessage, error) {
	now := s.now()
	only, args := "", []any{store.SMSSending, now, store.SMSQueued, now}
	if s.district != 0 {
		only, args = " AND district_id = ?", append(args, s.district)
	}
	q := `UPDATE sms_messages SET status = ?, attempts = attempts + 1, updated_at = ?
	      WHERE (district_id, id) IN (SELECT district_id, id FROM sms_messages
	            WHERE status = ? AND not_before <= ?` + only + ` ORDER BY not_before LIMIT ?` + s.skipLocked() + `)
	      RETURNING *`
	var msgs []store.SMSMessage
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Raw(q, append(args, n)...).Scan(&msgs).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim sms: %w", err)
	}
	return msgs, nil
}

// skipLocked lets PostgreSQL workers pass over rows another worker is claiming; SQLite's
// immediate transactions serialize claims instead.
func (s *Service) skipLocked() string {
	if s.Store.Dialect == config.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// release puts claimed but unsent rows back in the queue (the worker is stopping).
func (s *Service) release(msgs []store.SMSMessage) {
	if len(msgs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range msgs {
		err := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{}).
			Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, store.SMSSending).
			Updates(map[string]any{"status": store.SMSQueued, "attempts": gorm.Expr("attempts - 1"), "updated_at": s.now()}).Error
		if err != nil {
			s.Log.Error("sms: release unsent message", "message_id", m.ID, "err", err)
		}
	}
}

// RecoverStuck marks rows left "sending" for longer than SendingLease as "unknown". Such a row's
// worker stopped between committing "sending" and recording Twilio's answer: Twilio may or may
// not have taken it. We never resend blindly (a family could get the text twice); a status
// callback that arrives later still moves it to its real status, and the rest are listed for
// review.
func (s *Service) RecoverStuck(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.SendingLease)
	q := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{})
	if s.district != 0 {
		q = q.Where("district_id = ?", s.district)
	}
	res := q.Where("status = ? AND updated_at <= ?", store.SMSSending, cutoff).
		Updates(map[string]any{"status": store.SMSUnknown, "last_error": "worker stopped while sending; not resent", "updated_at": s.now()})
	if res.Error != nil {
		return 0, fmt.Errorf("recover stuck sms: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// process sends one claimed message and records the outcome in a second short transaction.
func (s *Service) process(ctx context.Context, m store.SMSMessage) error {
	now := s.now()
	if reason, err := s.stillWanted(ctx, m, now); err != nil {
		s.requeue(m, now.Add(time.Minute), err.Error())
		return err
	} else if reason != "" {
		return s.finish(m, map[string]any{"status": store.SMSCancelled, "last_error": reason})
	}
	tz := loadZone(m.TimeZone)
	if next := NextSendTime(now, tz, s.Window); !next.Equal(now) {
		return s.requeue(m, next, "")
	}
	validity := s.Validity
	end := windowEnd(now, tz, s.Window)
	if end.Sub(now) < time.Minute {
		return s.requeue(m, NextSendTime(end, tz, s.Window), "") // too close to the evening cut-off
	}
	if end.Sub(now) < validity {
		validity = end.Sub(now) // never arrive after the window closes
	}
	msg := Message{ID: m.ID, To: m.ToNumber, Body: m.Body, Validity: validity}
	if !s.Sender.Local() {
		msg.StatusCallback = s.BaseURL + "/webhooks/twilio/status?m=" + strconv.FormatInt(m.ID, 10)
	}
	res, err := s.Sender.Send(ctx, msg)
	if errors.Is(err, ErrInterrupted) {
		return err // leave it "sending": RecoverStuck decides, never a blind resend
	}
	done := s.now()
	if err == nil {
		upd := map[string]any{"status": res.Status, "provider_sid": res.ProviderSid, "sent_at": done, "last_error": ""}
		if !s.Sender.Local() {
			upd["body"] = RedactLinks(m.Body)
		}
		return s.finishSent(m, upd, done)
	}
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Class: Retryable, Err: err}
	}
	switch {
	case se.Class == Retryable && m.Attempts < s.MaxAttempts:
		delay := s.Backoff(m.Attempts)
		delay += time.Duration(rand.Int64N(int64(delay)/2 + 1)) // jitter: spread a burst of retries
		return s.requeue(m, done.Add(delay), se.Error())
	case se.Class == Stopped:
		if err := s.recordOptOut(context.WithoutCancel(ctx), m.DistrictID, m.ToNumber, "carrier:21610"); err != nil {
			s.Log.Error("sms: record carrier opt-out", "message_id", m.ID, "err", err)
		}
	}
	s.Log.Warn("sms: not sent", "message_id", m.ID, "class", se.Class, "code", se.Code, "http", se.Status)
	return s.finish(m, map[string]any{"status": store.SMSFailed, "error_code": se.Code, "last_error": se.Error(), "body": RedactLinks(m.Body)})
}

// stillWanted re-checks, just before sending, what may have changed since the row was queued:
// the number opted out, the person was marked do_not_text, the wave closed, or (for reminders)
// the invitation was answered. It returns a reason to cancel, or "".
func (s *Service) stillWanted(ctx context.Context, m store.SMSMessage, now time.Time) (string, error) {
	// One round trip: this runs for every message, just before it goes out.
	var st struct {
		OptedOut    bool
		DoNotText   bool
		Status      string
		ClosesAt    time.Time
		CompletedAt *time.Time
	}
	err := s.Store.DB.WithContext(ctx).Table("invitations i").
		Select("EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.district_id = i.district_id AND o.phone = ?) AS opted_out, "+
			"p.do_not_text, w.status, w.closes_at, i.completed_at", m.ToNumber).
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Joins("JOIN waves w ON w.district_id = i.district_id AND w.id = i.wave_id").
		Where("i.district_id = ? AND i.id = ?", m.DistrictID, m.InvitationID).Scan(&st).Error
	if err != nil {
		return "", fmt.Errorf("check invitation and opt-out: %w", err)
	}
	switch {
	case st.OptedOut:
		return "number opted out", nil
	case st.DoNotText:
		return "person marked do not text", nil
	case st.Status == store.StatusClosed || !now.Before(st.ClosesAt):
		return "wave closed", nil
	case st.CompletedAt != nil:
		return "already answered", nil
	}
	return "", nil
}

// windowEnd is when the sending window that contains now closes.
func windowEnd(now time.Time, tz *time.Location, w Window) time.Time {
	y, mo, d := now.In(tz).Date()
	return wallClock(y, mo, d, w.End, tz)
}

// requeue puts a claimed row back to wait until notBefore.
func (s *Service) requeue(m store.SMSMessage, notBefore time.Time, lastErr string) error {
	upd := map[string]any{"status": store.SMSQueued, "not_before": notBefore.UTC().Truncate(time.Second)}
	if lastErr != "" {
		upd["last_error"] = lastErr
	} else {
		upd["attempts"] = gorm.Expr("attempts - 1") // waiting for the window is not an attempt
	}
	return s.finish(m, upd)
}

// finish records a claimed row's outcome; the row must still be ours ("sending").
func (s *Service) finish(m store.SMSMessage, upd map[string]any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	upd["updated_at"] = s.now()
	err := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{}).
		Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, store.SMSSending).Updates(upd).Error
	if err != nil {
		return fmt.Errorf("record sms %d: %w", m.ID, err)
	}
	return nil
}

// finishSent records a sent row and stamps the invitation's sent_at, in one transaction.
func (s *Service) finishSent(m store.SMSMessage, upd map[string]any, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	upd["updated_at"] = at
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.SMSMessage{}).Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, store.SMSSending).Updates(upd).Error; err != nil {
			return err
		}
		return tx.Model(&store.Invitation{}).Where("district_id = ? AND id = ? AND sent_at IS NULL", m.DistrictID, m.InvitationID).Update("sent_at", at).Error
	})
	if err != nil {
		return fmt.Errorf("record sent sms %d: %w", m.ID, err)
	}
	return nil
}
