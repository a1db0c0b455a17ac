package store

import "time"

// Roster import statuses.
const (
	ImportSucceeded = "succeeded"
	ImportFailed    = "failed"
)

// RosterImport records one roster import attempt: what was read, what it left active, and every
// warning (or, for a failed attempt, the problems that stopped it), for the admin pages.
type RosterImport struct {
	DistrictID        int64 `gorm:"primaryKey;autoIncrement:false"`
	ID                int64 `gorm:"primaryKey;autoIncrement:false"`
	Source            string
	Format            string
	Mode              string
	Status            string
	StartedAt         time.Time
	FinishedAt        time.Time
	Schools           int
	Students          int
	Staff             int
	Guardians         int
	GuardianLinks     int
	PeopleCreated     int
	PeopleUpdated     int
	PeopleDeactivated int
	WarningCount      int
	Warnings          string
	ProblemCount      int
	Problems          string
	// ProblemsJSON is the import's problems or refusal, and its warnings, for the roster page to
	// word (roster.JobProblems); nil for an import with none, and for imports from before it was
	// kept, whose page shows Problems and Warnings as they are.
	ProblemsJSON *string `gorm:"column:problems_json"`
}

// RosterRecord keeps a OneRoster record TrustPulse has no table of its own for (orgs of every
// type, academic sessions, courses), so a later delta import can still refer to it.
type RosterRecord struct {
	DistrictID      int64  `gorm:"primaryKey;autoIncrement:false"`
	Entity          string `gorm:"primaryKey"`
	SourcedID       string `gorm:"primaryKey"`
	RecordType      string
	Title           string
	ParentSourcedID string
	Active          bool
	UpdatedAt       time.Time
}

// Roster job statuses.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// RosterJob is one uploaded roster waiting for, or going through, its import in the background.
type RosterJob struct {
	DistrictID            int64 `gorm:"primaryKey;autoIncrement:false"`
	ID                    int64 `gorm:"primaryKey;autoIncrement:false"`
	Status                string
	Source                string
	Size                  int64
	AllowMassDeactivation bool
	UserID                *int64
	Actor                 string
	IP                    string `gorm:"column:ip"`
	Phase                 string
	Done                  int64
	Total                 int64
	Attempts              int
	LeaseUntil            *time.Time
	ImportID              *int64
	Message               string
	// ProblemsJSON is a failed job's problems, or the reason it failed, for the roster page to
	// word (roster.JobProblems); nil for a job that succeeded, and for jobs that ended before it
	// was kept (or, before migration 00072, failed for a reason other than problems).
	ProblemsJSON *string `gorm:"column:problems_json"`
	CreatedAt    time.Time
	StartedAt    *time.Time
	FinishedAt   *time.Time
}

// RosterJobChunk is one piece (up to 1 MiB) of a job's uploaded file.
type RosterJobChunk struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	JobID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Seq        int   `gorm:"primaryKey;autoIncrement:false"`
	Data       []byte
}
