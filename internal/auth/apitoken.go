package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Audit actions for API tokens.
const (
	ActionAPITokenCreate = "apitoken.create"
	ActionAPITokenRevoke = "apitoken.revoke"
)

// ErrBadToken is every reason an API token does not authenticate (unknown, malformed, revoked,
// its account inactive or locked): one error, so a caller learns nothing about which.
var ErrBadToken = errors.New("invalid API token")

// APITokenPrefix starts every API token, so secret scanners and people recognise one.
const APITokenPrefix = "tp_"

// maxTokenName bounds a token's label.
const maxTokenName = 100

// APIRoles may hold API tokens and read the API: the roles that read results.
func APIRoles() []Role { return []Role{DistrictAdmin, SchoolLeader, Counselor, Analyst} }

// CreateAPIToken makes a named read-only API token for p and returns it; only its SHA-256 is
// stored, so this is the one time anyone sees it. Audited.
func (s *Service) CreateAPIToken(ctx context.Context, p *Principal, name, ip string) (string, store.APIToken, error) {
	if !p.Is(APIRoles()...) {
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", invalid("", "refusal.auth.token_role", fmt.Sprintf("the role %s cannot use the API", p.Role()), "Role", string(p.Role())))
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", invalid("name", "refusal.auth.token_name", "give the token a name"))
	case utf8.RuneCountInString(name) > maxTokenName || !utf8.ValidString(name):
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", invalid("name", "refusal.auth.token_name_long",
			fmt.Sprintf("the name is longer than %d characters", maxTokenName), "Count", maxTokenName))
	}
	route, err := s.store.RouteOf(s.store.DB.WithContext(ctx), p.User.DistrictID)
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", err)
	}
	token, hash := newAPIToken(route)
	now := s.store.Now()
	row := store.APIToken{DistrictID: p.User.DistrictID, ID: store.NewID(), UserID: p.User.ID, Name: name, TokenHash: hash, CreatedAt: now}
	err = s.store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return appendAudit(tx, now, Entry{DistrictID: p.User.DistrictID, UserID: &p.User.ID, Actor: p.User.Email,
			Action: ActionAPITokenCreate, Target: name, Detail: fmt.Sprintf("token %d", row.ID), IP: ip})
	})
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", err)
	}
	return token, row, nil
}

// CreateAPITokenFor makes a token for the active account with this email in a district: the
// command line's way in, acting as that user (the audit entry says so).
func (s *Service) CreateAPITokenFor(ctx context.Context, districtID int64, email, name string) (string, store.APIToken, error) {
	var u store.User
	err := s.store.DB.WithContext(ctx).Where("district_id = ? AND email = ? AND active = ?", districtID, normalizeEmail(email), true).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", invalid("email", "refusal.auth.no_account", "no active account "+normalizeEmail(email), "Email", normalizeEmail(email)))
	}
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("create API token: %w", err)
	}
	p, err := s.principal(ctx, u)
	if err != nil {
		return "", store.APIToken{}, err
	}
	return s.CreateAPIToken(ctx, p, name, "cli")
}

// APITokens lists p's own tokens that are not revoked, newest first.
func (s *Service) APITokens(ctx context.Context, p *Principal) ([]store.APIToken, error) {
	var out []store.APIToken
	err := s.store.DB.WithContext(ctx).Where("district_id = ? AND user_id = ? AND revoked_at IS NULL", p.User.DistrictID, p.User.ID).
		Order("created_at DESC, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken ends one of p's own tokens at once. Another user's token, or one already
// revoked, is store.ErrNotFound. Audited.
func (s *Service) RevokeAPIToken(ctx context.Context, p *Principal, id int64, ip string) error {
	now := s.store.Now()
	return s.store.Tx(ctx, func(tx *gorm.DB) error {
		var row store.APIToken
		err := tx.Where("district_id = ? AND id = ? AND user_id = ? AND revoked_at IS NULL", p.User.DistrictID, id, p.User.ID).First(&row).Error
		if err != nil {
			return store.NotFound(err, fmt.Sprintf("API token %d", id))
		}
		if err := tx.Model(&store.APIToken{}).Where("district_id = ? AND id = ?", row.DistrictID, row.ID).Update("revoked_at", now).Error; err != nil {
			return fmt.Errorf("revoke API token: %w", err)
		}
		return appendAudit(tx, now, Entry{DistrictID: p.User.DistrictID, UserID: &p.User.ID, Actor: p.User.Email,
			Action: ActionAPITokenRevoke, Target: row.Name, Detail: fmt.Sprintf("token %d", row.ID), IP: ip})
	})
}

// APITokenPrincipal resolves a bearer token to its user, read fresh like a session: a revoked
// token, or one whose account is inactive or locked, is ErrBadToken. Last use is recorded at most
// once a minute.
func (s *Service) APITokenPrincipal(ctx context.Context, token string) (*Principal, error) {
	raw, ok := strings.CutPrefix(token, APITokenPrefix)
	if !ok {
		return nil, ErrBadToken
	}
	q, hash, err := s.byToken(ctx, raw, "")
	if err != nil || q == nil {
		return nil, cmpErr(err, ErrBadToken)
	}
	db := s.store.DB.WithContext(ctx)
	var row store.APIToken
	err = q.Where("token_hash = ? AND revoked_at IS NULL", hash).First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("load API token: %w", err)
	}
	now := s.store.Now()
	var u store.User
	err = db.Where("district_id = ? AND id = ? AND active = ?", row.DistrictID, row.UserID, true).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("load API token user: %w", err)
	}
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return nil, ErrBadToken
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= time.Minute {
		if err := db.Model(&store.APIToken{}).Where("district_id = ? AND id = ?", row.DistrictID, row.ID).
			Update("last_used_at", now).Error; err != nil {
			return nil, fmt.Errorf("touch API token: %w", err)
		}
	}
	return s.principal(ctx, u)
}

// newAPIToken returns a token of 256 random bits for the district of route and the hash stored
// for it: the prefix, then the route and secret as a session token's.
func newAPIToken(route int) (string, []byte) {
	token, hash := newSessionToken(route)
	return APITokenPrefix + token, hash
}
