package wave

import (
	"context"
	"fmt"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// ClassCode is one class code a teacher hands out: the open anonymous wave it answers, the class,
// and how many answers it has taken — a count only: a class code carries no name, so nobody
// (the teacher included) can learn from it who answered or what.
type ClassCode struct {
	WaveID     int64
	WaveName   string
	ClosesAt   time.Time
	SchoolName string
	TimeZone   string // the school's, for the closing time
	ClassTitle string
	Code       string
	Answers    int
}

// TeacherCodes lists the class codes of open waves for the classes personID teaches (active
// teacher enrollments of the roster), newest closing last, for the teacher's home page.
func (s *Service) TeacherCodes(ctx context.Context, districtID, personID int64) ([]ClassCode, error) {
	var out []ClassCode
	err := s.Store.DB.WithContext(ctx).Table("enrollments e").
		Joins("JOIN classes cl ON cl.district_id = e.district_id AND cl.id = e.class_id").
		Joins("JOIN wave_codes wc ON wc.district_id = e.district_id AND wc.class_id = e.class_id").
		Joins("JOIN waves w ON w.district_id = wc.district_id AND w.id = wc.wave_id").
		Joins("JOIN schools sc ON sc.district_id = wc.district_id AND sc.id = wc.school_id").
		Where("e.district_id = ? AND e.person_id = ? AND e.role = ? AND e.active = ? AND cl.active = ? AND w.status = ?",
			districtID, personID, "teacher", true, true, store.StatusOpen).
		Select("w.id AS wave_id, w.name AS wave_name, w.closes_at AS closes_at, sc.name AS school_name, sc.time_zone AS time_zone, cl.title AS class_title, wc.code AS code, wc.used AS answers").
		Order("w.closes_at, cl.title, wc.code").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("teacher codes: %w", err)
	}
	return out, nil
}
