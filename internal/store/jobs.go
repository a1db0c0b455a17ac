package store

// JobLease is one periodic job's lease row (internal/jobs reads and writes it with SQL of its
// own). Jobs are deployment-wide: DistrictID is always 0, the whole deployment.
type JobLease struct {
	DistrictID   int64  `gorm:"primaryKey;autoIncrement:false"`
	Name         string `gorm:"primaryKey"`
	Holder       string
	LeaseUntilMs int64
	NextRunMs    int64
	StartedMs    int64
	FinishedMs   int64
	Runs         int64
	LastError    string
}

// SendBucket is one token bucket shared by every sender of every instance (internal/throttle).
type SendBucket struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	Channel    string `gorm:"primaryKey"`
	Tokens     float64
	UpdatedUs  int64
}
