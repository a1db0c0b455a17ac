package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Sign-in guessing is slowed per account, never stopped for the owner. A hard lock (the old ten
// failures, 15 minutes) let anyone who knew an email address lock its owner out from anywhere.
// Now failures make sign-ins from unknown devices wait (SignInDelay), and a device the owner
// signed in from before (its cookie) skips the wait; single sign-on never waits either.
const (
	freeFailures     = 4                // failures in a row before any wait: typos
	firstDelay       = time.Second      // wait after the 5th failure, doubling after each further one
	maxDelay         = 15 * time.Minute // the longest wait
	deviceMaxFailure = 10               // failures on a known device before it is forgotten
	deviceLifetime   = DeviceLifetime
)

// SignInDelay is how long sign-ins to an account from unknown devices wait after failures
// consecutive failures: none for the first four (typos), then 1 s, 2 s, 4 s … doubling, at most
// 15 minutes. A guesser therefore gets about 18 tries in the first hour and 4 an hour after that
// (under 100 a day), from however many addresses.
func SignInDelay(failures int) time.Duration {
	if failures <= freeFailures {
		return 0
	}
	n := failures - freeFailures - 1
	if n >= 20 { // 2^20 s is far past the cap; avoid overflow
		return maxDelay
	}
	return min(firstDelay<<n, maxDelay)
}

// ErrThrottled is a sign-in refused because the account's wait after failures has not passed
// (only for unknown devices). It wraps ErrBadCredentials: the page says the same thing either way.
var ErrThrottled = fmt.Errorf("%w: too many failed sign-ins, wait", ErrBadCredentials)

// Attempt is one password sign-in.
type Attempt struct {
	Email, Password, IP string
	// Device is the device cookie from an earlier sign-in on this browser ("" for none).
	Device string
	// Host is the host name the sign-in was sent to (Options.DistrictHosts), "" for none.
	Host string
}

// SignedIn is a successful sign-in.
type SignedIn struct {
	Token     string // session cookie value
	Principal *Principal
	Device    string // device cookie value to (re)set: this browser is now known
}

// knownDevice returns the device of u for cookie token, if the cookie names one that is not
// expired or over its failure budget.
func (s *Service) knownDevice(ctx context.Context, u store.User, token string) (*store.KnownDevice, error) {
	if token == "" {
		return nil, nil
	}
	hash, ok := hashSessionToken(token)
	if !ok {
		return nil, nil
	}
	var d store.KnownDevice
	err := s.store.DB.WithContext(ctx).Where("district_id = ? AND token_hash = ? AND user_id = ?", u.DistrictID, hash, u.ID).First(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load known device: %w", err)
	}
	if s.store.Now().Sub(d.LastUsedAt) > deviceLifetime || d.Failures >= deviceMaxFailure {
		return nil, nil
	}
	return &d, nil
}

// recordDeviceFailure counts a wrong password typed on a known device; past deviceMaxFailure the
// device is forgotten (a stolen cookie buys a few guesses, no more).
func (s *Service) recordDeviceFailure(ctx context.Context, u store.User, d *store.KnownDevice, ip string) error {
	now := s.store.Now()
	return s.store.Tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&store.KnownDevice{}).Where("district_id = ? AND token_hash = ?", d.DistrictID, d.TokenHash)
		if err := q.Update("failures", gorm.Expr("failures + 1")).Error; err != nil {
			return fmt.Errorf("record failed sign-in on device: %w", err)
		}
		detail := fmt.Sprintf("wrong password on a known device (%d of %d before it is forgotten)", d.Failures+1, deviceMaxFailure)
		if d.Failures+1 >= deviceMaxFailure {
			if err := tx.Where("district_id = ? AND token_hash = ?", d.DistrictID, d.TokenHash).Delete(&store.KnownDevice{}).Error; err != nil {
				return fmt.Errorf("forget device: %w", err)
			}
			detail += "; device forgotten"
		}
		return appendAudit(tx, now, Entry{DistrictID: u.DistrictID, UserID: &u.ID, Actor: u.Email, Action: ActionSignInFailure, IP: ip, Detail: detail})
	})
}

// rememberDevice marks this browser as known for u in tx: the device of the cookie if it is one
// of u's (its failures reset), else a fresh one. It returns the cookie value to set.
func (s *Service) rememberDevice(tx *gorm.DB, u store.User, d *store.KnownDevice, now time.Time) (string, error) {
	if d != nil {
		err := tx.Model(&store.KnownDevice{}).Where("district_id = ? AND token_hash = ?", d.DistrictID, d.TokenHash).
			Updates(map[string]any{"failures": 0, "last_used_at": now}).Error
		if err != nil {
			return "", fmt.Errorf("touch known device: %w", err)
		}
		return "", nil // the cookie stays as it is
	}
	route, err := s.store.RouteOf(tx, u.DistrictID)
	if err != nil {
		return "", fmt.Errorf("remember device: %w", err)
	}
	token, hash := newSessionToken(route)
	if err := tx.Create(&store.KnownDevice{DistrictID: u.DistrictID, TokenHash: hash, UserID: u.ID, CreatedAt: now, LastUsedAt: now}).Error; err != nil {
		return "", fmt.Errorf("remember device: %w", err)
	}
	return token, nil
}

// DeviceLifetime is how long an unused known device is remembered (retention purges older ones).
const DeviceLifetime = 180 * 24 * time.Hour

// PurgeDevices forgets devices unused for deviceLifetime.
// It works district by district.
func (s *Service) PurgeDevices(ctx context.Context) (int64, error) {
	var n int64
	err := s.store.EachDistrict(ctx, 0, func(district int64) error {
		res := s.store.DB.WithContext(ctx).Where("district_id = ? AND last_used_at <= ?", district, s.store.Now().Add(-deviceLifetime)).Delete(&store.KnownDevice{})
		n += res.RowsAffected
		return res.Error
	})
	if err != nil {
		return n, fmt.Errorf("purge known devices: %w", err)
	}
	return n, nil
}

// IsKnownDevice reports whether token is a live device cookie of any account: the web layer lets
// such a browser past its per-address limit (the account's own rules still apply).
func (s *Service) IsKnownDevice(ctx context.Context, token string) (bool, error) {
	q, hash, err := s.byToken(ctx, token, "")
	if err != nil || q == nil {
		return false, err
	}
	var n int64
	err = q.Model(&store.KnownDevice{}).
		Where("token_hash = ? AND failures < ? AND last_used_at > ?", hash, deviceMaxFailure, s.store.Now().Add(-deviceLifetime)).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check known device: %w", err)
	}
	return n > 0, nil
}
