package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/credential"
	"github.com/trustpulse/trustpulse/internal/store"
)

// dummyHash is verified against when no account matches, so an unknown email costs as much time
// as a wrong password and response times do not reveal which emails have accounts.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$wW8m0H1+0o7c0v0hB1m0s3bYq1q5m9o8Gq5p0t2w1eI"

// SignIn checks an email and password from a browser without a device cookie and starts a
// session: SignInWith without Device.
func (s *Service) SignIn(ctx context.Context, email, password, ip string) (string, *Principal, error) {
	r, err := s.SignInWith(ctx, Attempt{Email: email, Password: password, IP: ip})
	return r.Token, r.Principal, err
}

// signInDistrict is the district a sign-in by email asks (#19 line 3): the one whose slug the
// host name is mapped to (Options.DistrictHosts), else the deployment's only district, else 0:
// every district, the password picking among the email's accounts (on Citus a read of every
// shard; map the host names to avoid it). Both reads are of districts, a reference table.
func (s *Service) signInDistrict(ctx context.Context, host string) (int64, error) {
	db := s.store.DB.WithContext(ctx)
	var ids []int64
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if slug, ok := s.opt.DistrictHosts[strings.ToLower(host)]; ok {
		if err := db.Model(&store.District{}).Where("slug = ?", slug).Order("created_at").Limit(1).Pluck("district_id", &ids).Error; err != nil {
			return 0, fmt.Errorf("sign in: district of host %s: %w", host, err)
		}
		if len(ids) == 0 {
			return 0, fmt.Errorf("sign in: host %s is mapped to district %q, which does not exist: %w", host, slug, store.ErrNotFound)
		}
		return ids[0], nil
	}
	if err := db.Model(&store.District{}).Order("district_id").Limit(2).Pluck("district_id", &ids).Error; err != nil {
		return 0, fmt.Errorf("sign in: districts: %w", err)
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	return 0, nil
}

// signInScope returns a maker of queries scoped to the district signInDistrict finds for host
// (none when it finds none): every sign-in by email, password or single sign-on, looks there.
func (s *Service) signInScope(ctx context.Context, host string) (func() *gorm.DB, error) {
	district, err := s.signInDistrict(ctx, host)
	if err != nil {
		return nil, err
	}
	return func() *gorm.DB {
		db := s.store.DB.WithContext(ctx)
		if district != 0 {
			db = db.Where("district_id = ?", district)
		}
		return db
	}, nil
}

// SignInWith checks an email and password and starts a session. It returns the session token
// (for the cookie, never to be logged), the principal and, for a browser not yet known, a device
// cookie to set. Every attempt on a known account is audited. Failures in a row make sign-ins
// from unknown devices wait (SignInDelay), whatever address they come from, and refused ones
// are audited as signin.throttled; a known device of the account does not wait, so guessing
// cannot lock the owner out. An account an operator locked (locked_until) stays locked.
func (s *Service) SignInWith(ctx context.Context, a Attempt) (SignedIn, error) {
	email := normalizeEmail(a.Email)
	in, err := s.signInScope(ctx, a.Host)
	if err != nil {
		return SignedIn{}, err
	}
	q := in()
	var users []store.User
	if err := q.Where("email = ? AND active = ?", email, true).Limit(5).Find(&users).Error; err != nil {
		return SignedIn{}, fmt.Errorf("sign in: %w", err)
	}
	if len(users) == 0 {
		VerifyPassword(a.Password, dummyHash)
		return SignedIn{}, ErrBadCredentials
	}
	now := s.store.Now()
	refused := ErrBadCredentials
	// The same email may have accounts in several districts of one deployment: the password picks.
	for _, u := range users {
		dev, err := s.knownDevice(ctx, u, a.Device)
		if err != nil {
			return SignedIn{}, err
		}
		locked := u.LockedUntil != nil && now.Before(*u.LockedUntil)
		waiting := dev == nil && u.SignInWaitUntil != nil && now.Before(*u.SignInWaitUntil)
		switch {
		case locked:
			VerifyPassword(a.Password, u.PasswordHash) // result ignored: the same time as a checked password
			s.audit(ctx, u, ActionSignInLocked, a.IP, "account locked by an operator")
			continue
		case waiting:
			VerifyPassword(a.Password, u.PasswordHash) // result ignored, as above
			s.audit(ctx, u, ActionSignInThrottled, a.IP, fmt.Sprintf("refused without checking the password: %d failed sign-ins in a row, unknown devices wait until %s",
				u.FailedLogins, u.SignInWaitUntil.UTC().Format(time.RFC3339)))
			refused = ErrThrottled
			continue
		}
		if u.PasswordHash != "" && VerifyPassword(a.Password, u.PasswordHash) {
			return s.startSessionOn(ctx, u, a.IP, "password", dev)
		}
		if dev != nil {
			err = s.recordDeviceFailure(ctx, u, dev, a.IP)
		} else {
			err = s.recordFailure(ctx, u, a.IP)
		}
		if err != nil {
			return SignedIn{}, err
		}
	}
	return SignedIn{}, refused
}

// recordFailure counts a failed sign-in from an unknown device and sets the account's wait.
func (s *Service) recordFailure(ctx context.Context, u store.User, ip string) error {
	now := s.store.Now()
	return s.store.Tx(ctx, func(tx *gorm.DB) error {
		// Counted in SQL so concurrent guesses cannot overwrite each other's increments.
		q := tx.Model(&store.User{}).Where("district_id = ? AND id = ?", u.DistrictID, u.ID)
		if err := q.Updates(map[string]any{"failed_logins": gorm.Expr("failed_logins + 1"), "updated_at": now}).Error; err != nil {
			return fmt.Errorf("record failed sign-in: %w", err)
		}
		var n int
		if err := tx.Model(&store.User{}).Where("district_id = ? AND id = ?", u.DistrictID, u.ID).Pluck("failed_logins", &n).Error; err != nil {
			return fmt.Errorf("record failed sign-in: %w", err)
		}
		detail := fmt.Sprintf("failure %d in a row", n)
		if d := SignInDelay(n); d > 0 {
			until := now.Add(d)
			if err := tx.Model(&store.User{}).Where("district_id = ? AND id = ?", u.DistrictID, u.ID).Update("sign_in_wait_until", until).Error; err != nil {
				return fmt.Errorf("set sign-in wait: %w", err)
			}
			detail += fmt.Sprintf("; sign-ins from unknown devices wait %s, until %s (known devices and single sign-on do not wait)", d, until.UTC().Format(time.RFC3339))
		}
		return appendAudit(tx, now, Entry{DistrictID: u.DistrictID, UserID: &u.ID, Actor: u.Email, Action: ActionSignInFailure, IP: ip, Detail: detail})
	})
}

// startSession records a successful sign-in (single sign-on) and returns a fresh token.
func (s *Service) startSession(ctx context.Context, u store.User, ip, method string) (string, *Principal, error) {
	r, err := s.startSessionOn(ctx, u, ip, method, nil)
	return r.Token, r.Principal, err
}

// startSessionOn records a successful sign-in and returns a fresh token: a new one at every
// sign-in, so a token planted before sign-in (session fixation) is worthless. A sign-in that
// did not come from a known device (password on a new browser, single sign-on) ends the wait
// after failures; one from a known device leaves the count, so the owner signing in daily does
// not hand a guesser fresh free tries. Either way the browser becomes (or stays) known.
func (s *Service) startSessionOn(ctx context.Context, u store.User, ip, method string, dev *store.KnownDevice) (SignedIn, error) {
	route, err := s.store.RouteOf(s.store.DB.WithContext(ctx), u.DistrictID)
	if err != nil {
		return SignedIn{}, fmt.Errorf("start session: %w", err)
	}
	token, hash := newSessionToken(route)
	now := s.store.Now()
	var device string
	err = s.store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&store.Session{DistrictID: u.DistrictID, TokenHash: hash, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(s.opt.AbsoluteTimeout), IP: ip}).Error; err != nil {
			return err
		}
		upd := map[string]any{"last_login_at": now}
		if dev == nil {
			upd["failed_logins"], upd["sign_in_wait_until"] = 0, nil
		}
		if err := tx.Model(&store.User{}).Where("district_id = ? AND id = ?", u.DistrictID, u.ID).Updates(upd).Error; err != nil {
			return err
		}
		if method == "password" { // single sign-on needs no device of ours
			var err error
			if device, err = s.rememberDevice(tx, u, dev, now); err != nil {
				return err
			}
		}
		if dev != nil {
			method += ", known device"
		}
		return appendAudit(tx, now, Entry{DistrictID: u.DistrictID, UserID: &u.ID, Actor: u.Email, Action: ActionSignInSuccess, IP: ip, Detail: method})
	})
	if err != nil {
		return SignedIn{}, fmt.Errorf("start session: %w", err)
	}
	p, err := s.principal(ctx, u)
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Token: token, Principal: p, Device: device}, nil
}

// Session resolves a cookie token to its principal, enforcing the idle and absolute timeouts and
// the account still being active. Role and schools are read fresh, so a change applies at once.
func (s *Service) Session(ctx context.Context, token string) (*Principal, error) {
	q, hash, err := s.byToken(ctx, token, "")
	if err != nil || q == nil {
		return nil, cmpErr(err, ErrNoSession)
	}
	now := s.store.Now()
	var sess store.Session
	err = q.Where("token_hash = ? AND expires_at > ? AND last_seen_at > ?", hash, now, now.Add(-s.opt.IdleTimeout)).First(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	var u store.User
	err = s.store.DB.WithContext(ctx).Where("district_id = ? AND id = ? AND active = ?", sess.DistrictID, sess.UserID, true).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("load session user: %w", err)
	}
	// Touch at most once a minute: enough for the idle timeout, and most requests stay read-only.
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.store.DB.WithContext(ctx).Model(&store.Session{}).Where("district_id = ? AND token_hash = ?", sess.DistrictID, hash).
			Update("last_seen_at", now).Error; err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return s.principal(ctx, u)
}

// SignOut ends the session of token (if any).
func (s *Service) SignOut(ctx context.Context, token string) error {
	q, hash, err := s.byToken(ctx, token, "")
	if err != nil || q == nil {
		return err
	}
	if err := q.Where("token_hash = ?", hash).Delete(&store.Session{}).Error; err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// PurgeSessions deletes expired and idle sessions and long-unused known devices; serve may call
// it periodically.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.store.Now()
	var n int64
	err := s.store.EachDistrict(ctx, 0, func(district int64) error {
		res := s.store.DB.WithContext(ctx).Where("district_id = ? AND (expires_at <= ? OR last_seen_at <= ?)", district, now, now.Add(-s.opt.IdleTimeout)).Delete(&store.Session{})
		if res.Error != nil {
			return fmt.Errorf("purge sessions: %w", res.Error)
		}
		n += res.RowsAffected
		// Respondents' sessions (sign in to answer) end the same way.
		rres := s.store.DB.WithContext(ctx).Where("district_id = ? AND expires_at <= ?", district, now).Delete(&store.RespondentSession{})
		if rres.Error != nil {
			return fmt.Errorf("purge respondent sessions: %w", rres.Error)
		}
		n += rres.RowsAffected
		return nil
	})
	if err != nil {
		return n, err
	}
	if _, err := s.PurgeDevices(ctx); err != nil {
		return n, err
	}
	return n, nil
}

var tokenEncoding = base64.RawURLEncoding

// sessionSecretLen is the length of a session, device or API token's secret: 256 random bits,
// base64url.
const sessionSecretLen = 43

// newSessionToken returns a token of 256 random bits for the district of route and the hash
// stored for it: the route (internal/credential, #19 line 3) then the secret; the hash is of the
// secret's bytes, as before routes.
func newSessionToken(route int) (string, []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	token := credential.Wrap(route, tokenEncoding.EncodeToString(b[:]))
	h := sha256.Sum256(b[:])
	return token, h[:]
}

// hashSessionToken rejects malformed tokens before they cost a query.
func hashSessionToken(token string) ([]byte, bool) {
	_, hash, ok := parseSessionToken(token)
	return hash, ok
}

// parseSessionToken takes a session, device or API token (without its prefix) apart: its route
// (credential.Legacy for one made before routes) and the hash of its secret.
func parseSessionToken(token string) (route int, hash []byte, ok bool) {
	route, secret, ok := credential.Split(token, sessionSecretLen)
	if !ok {
		return 0, nil, false
	}
	b, err := tokenEncoding.DecodeString(secret)
	if err != nil || len(b) != 32 {
		return 0, nil, false
	}
	h := sha256.Sum256(b)
	return route, h[:], true
}

// byToken starts the query for token's row: constrained to the district its route names (alias
// is the table's alias in the query, "" for none), or, for a token made before routes, in every
// district as it was then. A malformed token or a route no district has gives a nil query.
func (s *Service) byToken(ctx context.Context, token, alias string) (*gorm.DB, []byte, error) {
	route, hash, ok := parseSessionToken(token)
	if !ok {
		return nil, nil, nil
	}
	db := s.store.DB.WithContext(ctx)
	if route == credential.Legacy {
		return db, hash, nil
	}
	district, err := s.store.DistrictOfRouteIn(db, route)
	if errors.Is(err, store.ErrUnknownRoute) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	col := "district_id"
	if alias != "" {
		col = alias + ".district_id"
	}
	return db.Where(col+" = ?", district), hash, nil
}

// cmpErr is err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
