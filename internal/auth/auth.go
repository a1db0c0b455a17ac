// Package auth owns staff accounts, password hashing, sessions, roles and school scoping, and the
// append-only audit log. It renders nothing; the web layer maps its errors to pages.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Role is what a staff account may do; the school list says where.
type Role string

const (
	// DistrictAdmin may do everything in the district, including managing users.
	DistrictAdmin Role = "district_admin"
	// SchoolLeader runs waves and reads results for their schools.
	SchoolLeader Role = "school_leader"
	// Counselor reads results for their schools, including confidential follow-up data.
	Counselor Role = "counselor"
	// Staff sees their own surveys (and, later, relationship mapping).
	Staff Role = "staff"
	// Analyst reads results and the API, scoped like a leader, and changes nothing.
	Analyst Role = "analyst"
)

// Roles lists every role in the order the user pages offer them.
func Roles() []Role { return []Role{DistrictAdmin, SchoolLeader, Counselor, Staff, Analyst} }

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles(), Role(r)) }

// Errors the web layer maps to pages. Sign-in failures are deliberately one error so a page
// never tells a guesser whether an email exists or an account is locked.
var (
	ErrBadCredentials = errors.New("wrong email or password")
	ErrNoSession      = errors.New("no valid session")
	ErrInvalid        = errors.New("invalid input")
)

// Options tune the service; the zero value means the defaults below.
type Options struct {
	IdleTimeout     time.Duration // a session unused this long ends (default 30 min)
	AbsoluteTimeout time.Duration // a session ends this long after sign-in regardless (default 12 h)
	// MaxFailures and LockFor are no longer used: failures make unknown devices wait
	// (SignInDelay) instead of locking the account. Kept so existing callers compile.
	MaxFailures int
	LockFor     time.Duration
	// Argon2 overrides the password hashing cost; tests lower it. Zero means DefaultArgon2.
	Argon2 Argon2Params
	// Log receives what must not fail a request but must not vanish (an audit write that failed).
	Log *slog.Logger
	// DistrictHosts maps a host name (lower case, no port) to the slug of the district whose staff
	// sign in there (config.DistrictHosts): see SignInWith.
	DistrictHosts map[string]string
}

// Service runs accounts and sessions against the store.
type Service struct {
	store *store.Store
	opt   Options
}

// New returns a Service over s.
func New(s *store.Store, opt Options) *Service {
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = 30 * time.Minute
	}
	if opt.AbsoluteTimeout == 0 {
		opt.AbsoluteTimeout = 12 * time.Hour
	}
	if opt.MaxFailures == 0 {
		opt.MaxFailures = 10
	}
	if opt.LockFor == 0 {
		opt.LockFor = 15 * time.Minute
	}
	if opt.Argon2 == (Argon2Params{}) {
		opt.Argon2 = DefaultArgon2()
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: s, opt: opt}
}

// Options returns the effective settings (the web layer sets cookie lifetimes from them).
func (s *Service) Options() Options { return s.opt }

// Principal is the signed-in user with the schools they may see.
type Principal struct {
	User    store.User
	Schools []int64 // empty for district admins, who see every school
}

// Role is the principal's role.
func (p *Principal) Role() Role { return Role(p.User.Role) }

// Is reports whether the principal has one of roles.
func (p *Principal) Is(roles ...Role) bool { return slices.Contains(roles, p.Role()) }

// CanSchool reports whether the principal may see school id.
func (p *Principal) CanSchool(id int64) bool {
	return p.Role() == DistrictAdmin || slices.Contains(p.Schools, id)
}

// CanAllSchools reports whether every school in ids is in the principal's scope: the rule for
// changing a wave, which must not touch schools the principal does not lead.
func (p *Principal) CanAllSchools(ids []int64) bool {
	for _, id := range ids {
		if !p.CanSchool(id) {
			return false
		}
	}
	return true
}

// CanAnySchool reports whether at least one school in ids is in scope: the rule for reading a
// wave, whose figures are then filtered to the principal's schools.
func (p *Principal) CanAnySchool(ids []int64) bool {
	return slices.ContainsFunc(ids, p.CanSchool)
}

// normalizeEmail is the one form emails are stored and compared in.
func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func validEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n<>")
}

// principal loads a user's schools.
func (s *Service) principal(ctx context.Context, u store.User) (*Principal, error) {
	p := &Principal{User: u}
	if Role(u.Role) == DistrictAdmin {
		return p, nil
	}
	err := s.store.DB.WithContext(ctx).Model(&store.UserSchool{}).
		Where("district_id = ? AND user_id = ?", u.DistrictID, u.ID).Order("school_id").Pluck("school_id", &p.Schools).Error
	if err != nil {
		return nil, fmt.Errorf("load schools of user %d: %w", u.ID, err)
	}
	return p, nil
}
