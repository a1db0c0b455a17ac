package sms

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/throttle"
)

// Run is the background SMS sender: Workers goroutines send due messages, paced by the shared
// Bucket, until ctx is cancelled; a text being handed over then gets Drain to finish. Any number
// of app servers may run it: claims never overlap and the rate is shared. The periodic upkeep
// (Housekeep) is a job of its own, run on one instance at a time.
func (s *Service) Run(ctx context.Context) error {
	if n, err := s.SealLegacy(ctx); err != nil {
		s.logErr(ctx, "sms: seal links of older outbox rows", err)
	} else if n > 0 {
		s.Log.Info("sms: links of older outbox rows sealed or redacted", "count", n)
	}
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

// SendDue sends what is due, district by district (each claim names its district, so on a
// database sharded by district it goes to one shard): for each district with a text due it
// waits for the rate limit, claims up to BatchSize due messages and sends them. Each call starts
// at the next district in turn, so a district with a long queue does not hold up the others. It
// returns how many it claimed.
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
		return s.sendDueShared(ctx, district, batch)
	}
	if b := s.Limiter.Burst(); b > 0 && batch > b && s.Limiter.Limit() != rate.Inf {
		batch = b
	}
	if err := s.Limiter.WaitN(ctx, batch); err != nil {
		return 0, nil // cancelled
	}
	msgs, err := s.claim(ctx, district, batch)
	if err != nil {
		return 0, err
	}
	s.sendClaimed(ctx, msgs)
	return len(msgs), nil
}

// sendDueShared takes tokens from the database bucket shared by every instance before claiming,
// and gives back what the queue could not use. It is called only when something is due, so idle
// workers do not write to the bucket.
func (s *Service) sendDueShared(ctx context.Context, district int64, batch int) (int, error) {
	n, err := s.Bucket.Wait(ctx, SendKey, batch)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil // cancelled
		}
		return 0, err
	}
	msgs, err := s.claim(ctx, district, n)
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

// anyDue reports whether a message of the district is waiting to be sent.
func (s *Service) anyDue(ctx context.Context, district int64) (bool, error) {
	var one []int64
	err := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{}).
		Where("district_id = ? AND status = ? AND not_before <= ?", district, store.SMSQueued, s.now()).Limit(1).Pluck("id", &one).Error
	if err != nil {
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

// claim moves up to n due rows of the district from queued to sending and commits, so no other
// worker takes them (store.ClaimIDs). The district is named in the UPDATE and in its subquery: Citus runs a
// FOR UPDATE subquery only when both go to one shard.
func (s *Service) claim(ctx context.Context, district int64, n int) ([]store.SMSMessage, error) {
	now := s.now()
	q := `UPDATE sms_messages SET status = ?, attempts = attempts + 1, updated_at = ?
	      WHERE district_id = ? AND ` + s.Store.ClaimIDs(`SELECT id FROM sms_messages
	            WHERE district_id = ? AND status = ? AND not_before <= ? ORDER BY not_before LIMIT ?`) + `
	      RETURNING *`
	var msgs []store.SMSMessage
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Raw(q, store.SMSSending, now, district, district, store.SMSQueued, now, n).Scan(&msgs).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim sms: %w", err)
	}
	return msgs, nil
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
	n := 0
	err := s.Store.EachDistrict(ctx, s.district, func(district int64) error {
		res := s.Store.DB.WithContext(ctx).Model(&store.SMSMessage{}).
			Where("district_id = ? AND status = ? AND updated_at <= ?", district, store.SMSSending, cutoff).
			Updates(map[string]any{"status": store.SMSUnknown, "last_error": "worker stopped while sending; not resent", "updated_at": s.now()})
		n += int(res.RowsAffected)
		return res.Error
	})
	if err != nil {
		return n, fmt.Errorf("recover stuck sms: %w", err)
	}
	return n, nil
}

// process sends one claimed message and records the outcome in a second short transaction.
func (s *Service) process(ctx context.Context, m store.SMSMessage) error {
	now := s.now()
	if reason, err := s.stillWanted(ctx, m, now); err != nil {
		s.requeue(m, now.Add(time.Minute), err.Error())
		return err
	} else if reason == reasonNotYet {
		return s.requeue(m, now.Add(5*time.Minute), "")
	} else if reason != "" {
		return s.finish(m, map[string]any{"status": store.SMSCancelled, "last_error": reason, "sealed_token": nil})
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
	body, err := s.linkBody(ctx, m)
	if err != nil {
		return s.requeue(m, now.Add(time.Minute), err.Error())
	}
	msg := Message{ID: m.ID, To: m.ToNumber, Body: body, Validity: validity}
	if !s.Sender.Local() {
		msg.StatusCallback = StatusCallbackURL(s.BaseURL, m.DistrictID, m.ID)
	}
	res, err := s.Sender.Send(ctx, msg)
	if errors.Is(err, ErrInterrupted) {
		return err // leave it "sending": RecoverStuck decides, never a blind resend
	}
	done := s.now()
	if err == nil {
		upd := map[string]any{"status": res.Status, "provider_sid": res.ProviderSid, "sent_at": done, "last_error": ""}
		if !s.Sender.Local() {
			// The text has left: nothing here needs its link any more. (The local outbox keeps
			// the sealed token, so the demo's outbox page can show the link.)
			upd["sealed_token"] = nil
		}
		return s.finishSent(m, upd, done)
	}
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Class: Retryable, Err: err}
	}
	switch {
	case se.Class == Unknown:
		s.Log.Warn("sms: outcome unknown (no answer from the provider); not resent", "message_id", m.ID, "err", se.Err)
		return s.finish(m, map[string]any{"status": store.SMSUnknown, "last_error": se.Error(), "sealed_token": nil})
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
	return s.finish(m, map[string]any{"status": store.SMSFailed, "error_code": se.Code, "last_error": se.Error(), "sealed_token": nil})
}

// stillWanted asks the contact rule (Refusal), just before sending, about what may have changed
// since the row was queued: the number opted out, the person opted out, was marked do not text
// or left the roster, the wave closed, or the invitation was answered. It returns a reason to
// cancel, or "".
func (s *Service) stillWanted(ctx context.Context, m store.SMSMessage, now time.Time) (string, error) {
	c, err := loadContact(s.Store.DB.WithContext(ctx), m.DistrictID, m.InvitationID, m.ToNumber)
	if err != nil {
		return "", err
	}
	p := ForInvite
	if m.Kind != KindInvite {
		p = ForReminder
	}
	return Refusal(c, now, p, false), nil
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
	s.Metrics.SMSSend(sendResult(upd["status"]))
	return nil
}

// sendResult is the metrics label of a send outcome: the row's new status, "retry" for a row
// queued again.
func sendResult(status any) string {
	switch st, _ := status.(string); st {
	case store.SMSQueued:
		return "retry"
	case "":
		return "other"
	default:
		return st
	}
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
	s.Metrics.SMSSend("sent")
	return nil
}
