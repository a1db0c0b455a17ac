package store

import (
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RollupCell is one reported cell: the sufficient statistics of one group's scores in one wave.
// SchoolID 0 is the district; MeasureID "" counts respondents; ItemID is set on item rows.
type RollupCell struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64  `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64  `gorm:"primaryKey;autoIncrement:false"`
	MeasureID  string `gorm:"primaryKey"`
	ItemID     string `gorm:"primaryKey"`
	Attribute  string `gorm:"primaryKey"`
	Value      string `gorm:"primaryKey"`
	N          int
	Sum        float64
	SumSq      float64 `gorm:"column:sum_sq"`
	Favorable  int
	Answered   int
	C0         int `gorm:"column:c0"`
	C1         int `gorm:"column:c1"`
	C2         int `gorm:"column:c2"`
	C3         int `gorm:"column:c3"`
	C4         int `gorm:"column:c4"`
	Invited    int
	Suppressed bool
	Hidden     string // why it is suppressed: report.Hidden ("small", "protect", "pooled")
}

// RollupPending marks a response scored since its wave's cells were refreshed.
type RollupPending struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ResponseID int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64
}

func (RollupPending) TableName() string { return "rollup_pending" }

// RollupWave is the refresh state of one wave's cells.
type RollupWave struct {
	DistrictID  int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Stale       bool
	Invitations int
	BuiltAt     *time.Time
	// ReleaseBatch counts the batches of responses released so far; ReleasedAt is the last one's time.
	ReleaseBatch int
	ReleasedAt   *time.Time
	// Held and HeldDue are the held responses and the schedule's answer at the last release
	// decision: while neither changes, the decision would be the same and is not made again.
	Held    int
	HeldDue bool
	// Error is the last failure to build the wave's results ("" once it builds again), FailedAt its time.
	Error    string
	FailedAt *time.Time
}

// ResponseRelease marks a response as released into results, in the wave's batch-th release.
// Results count only released responses; see report.DecideRelease.
type ResponseRelease struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ResponseID int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64
	Batch      int
}

// APIToken is a read-only API bearer token; only its SHA-256 is kept.
type APIToken struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID     int64
	Name       string
	TokenHash  []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// MarkScored queues a freshly scored response for the results refresher, inside the caller's
// transaction so a response is never scored without being counted.
func MarkScored(tx *gorm.DB, districtID, waveID, responseID int64) error {
	return tx.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&RollupPending{DistrictID: districtID, ResponseID: responseID, WaveID: waveID}).Error
}

// MarkWaveStale asks the refresher to rebuild a wave's cells from all its scores.
func MarkWaveStale(tx *gorm.DB, districtID, waveID int64) error {
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "district_id"}, {Name: "wave_id"}},
		DoUpdates: clause.Assignments(map[string]any{"stale": true})}).
		Create(&RollupWave{DistrictID: districtID, WaveID: waveID, Stale: true}).Error
}
