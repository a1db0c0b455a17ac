// Package throttle is a token bucket kept in the database (table send_buckets), so every sender
// of every instance draws from one budget: N app servers together send at the configured rate,
// not N times it. One bucket per district and channel ("sms", later "email").
//
// Senders take tokens in small batches (about a tenth of a second's worth), so under load the
// bucket's row is written a few times a second in total rather than once per message, and the
// row lock is held for one short transaction: it never serializes the sending itself.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Key names one bucket. DistrictID 0 is the whole deployment (one provider account for all).
type Key struct {
	DistrictID int64
	Channel    string
}

// Bucket is a shared token bucket: Rate tokens a second, at most Burst saved up.
type Bucket struct {
	Store *store.Store
	Rate  float64
	Burst int
	// Now and After are the clock (nil: the wall clock). Instances' clocks should agree (NTP):
	// a clock ahead of the others can add its lead's worth of tokens once, never more, because
	// the stored time never moves backwards.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

type bucketRow struct {
	DistrictID int64
	Channel    string
	Tokens     float64
	UpdatedUS  int64
}

func (bucketRow) TableName() string { return "send_buckets" }

func (b *Bucket) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}

func (b *Bucket) after(d time.Duration) <-chan time.Time {
	if b.After == nil {
		return time.After(d)
	}
	return b.After(d)
}

func (b *Bucket) burst() float64 { return float64(max(1, b.Burst)) }

// Chunk is how many tokens a sender takes at once: about 100 ms of the rate, at least 1, at
// most the burst.
func (b *Bucket) Chunk() int {
	return int(math.Min(b.burst(), math.Max(1, math.Ceil(b.Rate/10))))
}

// Wait takes between 1 and max tokens for k, waiting until min(max, Chunk()) are available.
// It returns how many it took, or ctx's error.
func (b *Bucket) Wait(ctx context.Context, k Key, max int) (int, error) {
	if b.Rate <= 0 {
		return 0, errors.New("throttle: rate must be positive")
	}
	for {
		n, wait, err := b.take(ctx, k, max)
		if err != nil || n > 0 {
			return n, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-b.after(wait):
		}
	}
}

// take takes the tokens if at least min(max, Chunk()) are there, else none and how long until
// they will be.
func (b *Bucket) take(ctx context.Context, k Key, want int) (int, time.Duration, error) {
	need := float64(min(max(1, want), b.Chunk()))
	var got int
	var wait time.Duration
	err := b.update(ctx, k, func(tokens float64) float64 {
		if tokens < need {
			wait = time.Duration((need - tokens) / b.Rate * float64(time.Second))
			return tokens
		}
		got = int(math.Min(float64(want), math.Floor(tokens)))
		return tokens - float64(got)
	})
	if err != nil {
		return 0, 0, err
	}
	return got, max(wait, time.Millisecond), nil
}

// Return gives back n tokens taken but not used (the queue ran dry), up to the burst.
func (b *Bucket) Return(ctx context.Context, k Key, n int) error {
	if n <= 0 {
		return nil
	}
	return b.update(ctx, k, func(tokens float64) float64 { return tokens + float64(n) })
}

// update refills the bucket to now, applies fn to the tokens and stores the result, in one short
// transaction holding the row's lock (PostgreSQL FOR UPDATE; SQLite's write transaction).
func (b *Bucket) update(ctx context.Context, k Key, fn func(tokens float64) float64) error {
	nowUS := b.now().UnixMicro()
	err := b.Store.Tx(ctx, func(tx *gorm.DB) error {
		var r bucketRow
		read := func() error {
			q := tx.Where("district_id = ? AND channel = ?", k.DistrictID, k.Channel)
			if b.Store.Dialect == config.Postgres {
				q = q.Clauses(clause.Locking{Strength: "UPDATE"})
			}
			return q.Take(&r).Error
		}
		err := read()
		if errors.Is(err, gorm.ErrRecordNotFound) {
			// A new bucket starts full.
			fresh := bucketRow{DistrictID: k.DistrictID, Channel: k.Channel, Tokens: b.burst(), UpdatedUS: nowUS}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err != nil {
				return err
			}
			err = read()
		}
		if err != nil {
			return err
		}
		elapsed := math.Max(0, float64(nowUS-r.UpdatedUS)/1e6)
		tokens := math.Min(b.burst(), r.Tokens+elapsed*b.Rate)
		tokens = math.Min(b.burst(), fn(tokens))
		return tx.Model(&bucketRow{}).Where("district_id = ? AND channel = ?", k.DistrictID, k.Channel).
			Updates(map[string]any{"tokens": tokens, "updated_us": max(r.UpdatedUS, nowUS)}).Error
	})
	if err != nil {
		return fmt.Errorf("send rate bucket %d/%s: %w", k.DistrictID, k.Channel, err)
	}
	return nil
}
