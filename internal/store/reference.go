package store

import "time"

// MeasureReference is a district's reference values for one measure of an instrument: the four
// cut points of its bands on the 0–100 scale, from a reference wave (WaveID) or typed in.
type MeasureReference struct {
	DistrictID   int64  `gorm:"primaryKey;autoIncrement:false"`
	InstrumentID string `gorm:"primaryKey"`
	MeasureID    string `gorm:"primaryKey"`
	Source       string // "wave" or "cuts"
	WaveID       *int64
	Cut1         float64 `gorm:"column:cut1"`
	Cut2         float64 `gorm:"column:cut2"`
	Cut3         float64 `gorm:"column:cut3"`
	Cut4         float64 `gorm:"column:cut4"`
	SetBy        string
	SetAt        time.Time
}
