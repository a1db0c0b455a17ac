package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// NewUser describes an account to create.
type NewUser struct {
	DistrictID int64
	Email      string
	Name       string
	Role       Role
	Schools    []int64
	Password   string // empty: no password sign-in (SSO only, or set later)
}

// CreateUser stores a new account; by is the acting principal (nil for the CLI) and is audited.
func (s *Service) CreateUser(ctx context.Context, by *Principal, nu NewUser) (store.User, error) {
	nu.Email = normalizeEmail(nu.Email)
	if !validEmail(nu.Email) {
		return store.User{}, fmt.Errorf("create user: %w", invalid("email", "refusal.auth.email", fmt.Sprintf("%q is not an email address", nu.Email), "Email", strconv.Quote(nu.Email)))
	}
	if !ValidRole(string(nu.Role)) {
		return store.User{}, fmt.Errorf("create user: %w", unknownRole(nu.Role))
	}
	if nu.Role != DistrictAdmin && len(nu.Schools) == 0 {
		return store.User{}, fmt.Errorf("create user: %w", needsSchool(nu.Role))
	}
	var hash string
	if nu.Password != "" {
		if len(nu.Password) < MinPasswordLength {
			return store.User{}, fmt.Errorf("create user: %w", invalid("password", "refusal.auth.password_short",
				fmt.Sprintf("password shorter than %d characters", MinPasswordLength), "Count", MinPasswordLength))
		}
		h, err := HashPassword(nu.Password, s.opt.Argon2)
		if err != nil {
			return store.User{}, err
		}
		hash = h
	}
	now := s.store.Now()
	u := store.User{DistrictID: nu.DistrictID, ID: store.NewID(), Email: nu.Email, Name: nu.Name, Role: string(nu.Role),
		PasswordHash: hash, Active: true, CreatedAt: now, UpdatedAt: now}
	err := s.store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("email", "refusal.auth.duplicate", nu.Email+" already has an account", "Email", nu.Email)
			}
			return err
		}
		if err := setSchools(tx, u, nu.Role, nu.Schools); err != nil {
			return err
		}
		return appendAudit(tx, now, actorEntry(by, u.DistrictID, ActionUserCreate, u.Email, fmt.Sprintf("role %s, schools %v", nu.Role, nu.Schools)))
	})
	if err != nil {
		return store.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// SetRole changes a user's role and schools, audited. Sessions stay: every request reads the
// role afresh, so the change applies to the next request.
func (s *Service) SetRole(ctx context.Context, by *Principal, districtID, userID int64, role Role, schools []int64) error {
	if !ValidRole(string(role)) {
		return fmt.Errorf("set role: %w", unknownRole(role))
	}
	if role != DistrictAdmin && len(schools) == 0 {
		return fmt.Errorf("set role: %w", needsSchool(role))
	}
	if by != nil && by.User.ID == userID && by.User.DistrictID == districtID && role != DistrictAdmin {
		// Otherwise the last admin can lock the whole district out of its own administration.
		return fmt.Errorf("set role: %w", invalid("role", "refusal.auth.own_admin", "you cannot remove your own admin role"))
	}
	now := s.store.Now()
	err := s.store.Tx(ctx, func(tx *gorm.DB) error {
		var u store.User
		if err := tx.Where("district_id = ? AND id = ?", districtID, userID).First(&u).Error; err != nil {
			return store.NotFound(err, fmt.Sprintf("user %d", userID))
		}
		var before []int64
		if err := tx.Model(&store.UserSchool{}).Where("district_id = ? AND user_id = ?", districtID, userID).Order("school_id").Pluck("school_id", &before).Error; err != nil {
			return err
		}
		if err := tx.Model(&store.User{}).Where("district_id = ? AND id = ?", districtID, userID).Updates(map[string]any{"role": string(role), "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Where("district_id = ? AND user_id = ?", districtID, userID).Delete(&store.UserSchool{}).Error; err != nil {
			return err
		}
		if err := setSchools(tx, u, role, schools); err != nil {
			return err
		}
		after := slices.Clone(schools)
		slices.Sort(after)
		if role == DistrictAdmin {
			after = nil
		}
		return appendAudit(tx, now, actorEntry(by, districtID, ActionRoleChange, u.Email,
			fmt.Sprintf("role %s → %s, schools %v → %v", u.Role, role, before, after)))
	})
	if err != nil {
		return fmt.Errorf("set role of user %d: %w", userID, err)
	}
	return nil
}

// unknownRole refuses a role that is none of Roles().
func unknownRole(r Role) error {
	return invalid("role", "refusal.auth.role", fmt.Sprintf("unknown role %q", r), "Role", strconv.Quote(string(r)))
}

// needsSchool refuses a role other than district admin without a school.
func needsSchool(r Role) error {
	return invalid("school", "refusal.auth.schools", fmt.Sprintf("the role %s needs at least one school", r), "Role", string(r))
}

func setSchools(tx *gorm.DB, u store.User, role Role, schools []int64) error {
	if role == DistrictAdmin {
		return nil // admins see every school; a list would only go stale
	}
	var n int64
	if err := tx.Model(&store.School{}).Where("district_id = ? AND id IN ?", u.DistrictID, schools).Count(&n).Error; err != nil {
		return err
	}
	if int(n) != len(schools) {
		return invalid("school", "refusal.auth.school_unknown", "a school does not exist in this district")
	}
	for _, id := range schools {
		if err := tx.Create(&store.UserSchool{DistrictID: u.DistrictID, UserID: u.ID, SchoolID: id}).Error; err != nil {
			return err
		}
	}
	return nil
}

func actorEntry(by *Principal, districtID int64, action, target, detail string) Entry {
	e := Entry{DistrictID: districtID, Action: action, Target: target, Detail: detail, Actor: "cli"}
	if by != nil {
		e.UserID, e.Actor = &by.User.ID, by.User.Email
	}
	return e
}

// UserRow is a user with their schools, for the user list.
type UserRow struct {
	store.User
	Schools []int64
}

// Users lists a district's accounts by email.
func (s *Service) Users(ctx context.Context, districtID int64) ([]UserRow, error) {
	var users []store.User
	if err := s.store.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("email").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var links []store.UserSchool
	if err := s.store.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("school_id").Find(&links).Error; err != nil {
		return nil, fmt.Errorf("list user schools: %w", err)
	}
	by := map[int64][]int64{}
	for _, l := range links {
		by[l.UserID] = append(by[l.UserID], l.SchoolID)
	}
	out := make([]UserRow, len(users))
	for i, u := range users {
		out[i] = UserRow{User: u, Schools: by[u.ID]}
	}
	return out, nil
}

// CreateAdmin makes a district admin with a strong random password, returned once for the
// operator to hand over; it is never stored in clear or logged.
func (s *Service) CreateAdmin(ctx context.Context, districtID int64, email string) (string, error) {
	pw := RandomPassword()
	if _, err := s.CreateUser(ctx, nil, NewUser{DistrictID: districtID, Email: email, Role: DistrictAdmin, Password: pw}); err != nil {
		return "", err
	}
	return pw, nil
}

// Demo account: fixed so the demo can print it; only the demo seeds it.
const (
	DemoAdminEmail    = "admin@demo.trustpulse.test"
	DemoAdminPassword = "demo-admin-2026"
	// A counselor and a teacher of the demo's first school, to see what those roles see.
	DemoCounselorEmail    = "counselor@demo.trustpulse.test"
	DemoCounselorPassword = "demo-counselor-2026"
	DemoTeacherEmail      = "teacher@demo.trustpulse.test"
	DemoTeacherPassword   = "demo-teacher-2026"
)

// EnsureDemoAdmin makes sure the demo district has its admin with the fixed demo password and
// returns the credentials to print. Idempotent: a second run resets the password and unlocks it.
func EnsureDemoAdmin(ctx context.Context, st *store.Store, districtID int64) (email, password string, err error) {
	err = EnsureDemoUser(ctx, st, NewUser{DistrictID: districtID, Email: DemoAdminEmail, Name: "Demo admin", Role: DistrictAdmin, Password: DemoAdminPassword})
	return DemoAdminEmail, DemoAdminPassword, err
}

// EnsureDemoUser makes sure the demo district has the account nu with its fixed demo password
// (created with its schools once; a later run resets password, role and lock, keeping schools).
func EnsureDemoUser(ctx context.Context, st *store.Store, nu NewUser) error {
	svc := New(st, Options{})
	var u store.User
	err := st.DB.WithContext(ctx).Where("district_id = ? AND email = ?", nu.DistrictID, normalizeEmail(nu.Email)).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if _, err := svc.CreateUser(ctx, nil, nu); err != nil {
			return fmt.Errorf("ensure demo user %s: %w", nu.Email, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("ensure demo user %s: %w", nu.Email, err)
	}
	hash, err := HashPassword(nu.Password, svc.opt.Argon2)
	if err != nil {
		return err
	}
	err = st.DB.WithContext(ctx).Model(&store.User{}).Where("district_id = ? AND id = ?", nu.DistrictID, u.ID).
		Updates(map[string]any{"password_hash": hash, "role": string(nu.Role), "active": true, "failed_logins": 0, "locked_until": nil, "sign_in_wait_until": nil, "updated_at": st.Now()}).Error
	if err != nil {
		return fmt.Errorf("ensure demo user %s: %w", nu.Email, err)
	}
	return nil
}

// ChangePassword sets a new password after checking the current one, and ends the user's other
// sessions (keepToken is the session making the change), so a stolen session dies with the old
// password. Audited.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next, keepToken, ip string) error {
	var u store.User
	if err := s.store.DB.WithContext(ctx).Where("district_id = ? AND id = ?", p.User.DistrictID, p.User.ID).First(&u).Error; err != nil {
		return store.NotFound(err, "change password: user")
	}
	if u.PasswordHash == "" || !VerifyPassword(current, u.PasswordHash) {
		return fmt.Errorf("change password: %w", invalid("current", "refusal.auth.current_wrong", "the current password is wrong"))
	}
	if len(next) < MinPasswordLength {
		return fmt.Errorf("change password: %w", invalid("new", "refusal.auth.new_short",
			fmt.Sprintf("the new password needs at least %d characters", MinPasswordLength), "Count", MinPasswordLength))
	}
	hash, err := HashPassword(next, s.opt.Argon2)
	if err != nil {
		return err
	}
	keep, _ := hashSessionToken(keepToken)
	now := s.store.Now()
	err = s.store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.User{}).Where("district_id = ? AND id = ?", u.DistrictID, u.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return err
		}
		q := tx.Where("district_id = ? AND user_id = ?", u.DistrictID, u.ID)
		if keep != nil {
			q = q.Where("token_hash <> ?", keep)
		}
		if err := q.Delete(&store.Session{}).Error; err != nil {
			return err
		}
		return appendAudit(tx, now, Entry{DistrictID: u.DistrictID, UserID: &u.ID, Actor: u.Email, Action: ActionPasswordChange, Target: u.Email, IP: ip})
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}
