package store

import "time"

// User is a staff account. PasswordHash is an argon2id PHC string, empty for SSO-only accounts.
type User struct {
	DistrictID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID           int64 `gorm:"primaryKey;autoIncrement:false"`
	Email        string
	Name         string
	Role         string
	PasswordHash string
	PersonID     *int64
	FailedLogins int
	LockedUntil  *time.Time
	// SignInWaitUntil is when sign-ins from unknown devices are next tried after failures.
	SignInWaitUntil *time.Time
	Active          bool
	LastLoginAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// UserSchool grants a user the data of one school.
type UserSchool struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID     int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64 `gorm:"primaryKey;autoIncrement:false"`
}

// Session is a signed-in browser; only the hash of its cookie is kept.
type Session struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	TokenHash  []byte `gorm:"primaryKey"`
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string `gorm:"column:ip"`
}

// AuditEntry is one append-only audit record.
type AuditEntry struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	At         time.Time
	UserID     *int64
	Actor      string
	Action     string
	Target     string
	Detail     string
	IP         string `gorm:"column:ip"`
}

func (AuditEntry) TableName() string { return "audit_log" }

// RespondentSession is a student or staff member signed in to answer (not a staff account):
// only the hash of its cookie, whose person it is, and when it ends. It names no wave or
// invitation, so it tells nobody which survey was started.
type RespondentSession struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	TokenHash  []byte `gorm:"primaryKey"`
	PersonID   int64
	ExpiresAt  time.Time
}
