package store

import "time"

// MappingRound is one relationship-mapping round at a school: while open, every adult of the
// school marks the students they know (see internal/success).
type MappingRound struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64
	Name       string
	OpenedAt   time.Time
	ClosedAt   *time.Time
	OpenedBy   *int64
}

// MappingClaim is one adult's mark on one student in a round; it exists only while one of the two
// is true.
type MappingClaim struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	RoundID    int64 `gorm:"primaryKey;autoIncrement:false"`
	StudentID  int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID     int64 `gorm:"primaryKey;autoIncrement:false"`
	KnowsWell  bool
	WouldCome  bool
	UpdatedAt  time.Time
}

// StudentAssignment is the team's choice of a named adult (a staff account) for a student, with
// a due date (YYYY-MM-DD); one per student and school.
type StudentAssignment struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64
	StudentID  int64
	AdultID    int64
	DueOn      string
	Source     string // "mapping" or "followup": the page it was made on
	AssignedBy int64
	AssignedAt time.Time
}

// Followup records that a student who answered a confidential wave was reached.
type Followup struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64 `gorm:"primaryKey;autoIncrement:false"`
	StudentID  int64 `gorm:"primaryKey;autoIncrement:false"`
	Action     string
	Note       string
	ReachedBy  int64
	ReachedAt  time.Time
}

// GradingPeriod is one imported grading period of attendance and course results (#15 line 3).
type GradingPeriod struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	Name       string
	Students   int
	ImportedAt time.Time
	ImportedBy int64
}

// StudentIndicator is one student's attendance and courses in a grading period.
type StudentIndicator struct {
	DistrictID        int64 `gorm:"primaryKey;autoIncrement:false"`
	PeriodID          int64 `gorm:"primaryKey;autoIncrement:false"`
	StudentID         int64 `gorm:"primaryKey;autoIncrement:false"`
	AttendanceRate    float64
	ChronicallyAbsent bool
	CoursesFailing    int
	Incidents         *int
}
