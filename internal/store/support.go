package store

import "time"

// HelpText is one school's "who to talk to" text in one language, shown on the thank-you page of
// its student surveys (internal/support). SchoolID 0 is the district's default.
type HelpText struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64  `gorm:"primaryKey;autoIncrement:false"`
	Lang       string `gorm:"primaryKey"`
	Body       string
	UpdatedAt  time.Time
}
