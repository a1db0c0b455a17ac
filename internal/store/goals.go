package store

import "time"

// Goal is a target a school (or the district: SchoolID 0) sets on one measure for one group
// (Attribute "" is everyone): a change of Target points on Metric ("score" or "favorable") from
// the baseline wave, due by DueOn (YYYY-MM-DD, or "") or the wave DueWaveID. See internal/goals.
type Goal struct {
	DistrictID     int64 `gorm:"primaryKey;autoIncrement:false"`
	ID             int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID       int64
	InstrumentID   string
	MeasureID      string
	Attribute      string
	Value          string
	Metric         string
	BaselineWaveID int64
	Target         float64
	DueOn          string
	DueWaveID      *int64
	OwnerID        int64
	Text           string
	CreatedBy      int64
	CreatedAt      time.Time
}

// GoalAction is one thing a school does towards a goal, with an owner (a staff account), dates
// (YYYY-MM-DD) and a status.
type GoalAction struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	GoalID     int64
	Title      string
	OwnerID    int64
	StartsOn   string
	DueOn      string
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
