package store

import "time"

// KnownDevice is a browser a user signed in from: its cookie holds 256 random bits, we keep only
// their SHA-256. Failed sign-ins of the account do not make a known device wait; its own
// failures, past a few, forget it.
type KnownDevice struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	TokenHash  []byte `gorm:"primaryKey"`
	UserID     int64
	Failures   int
	CreatedAt  time.Time
	LastUsedAt time.Time
}

func (KnownDevice) TableName() string { return "known_devices" }
