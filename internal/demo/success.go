package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// seedSuccess gives the first school the acting-on-it loop, once: staff accounts for its rostered
// teachers (single sign-on only: no password), two mapping rounds — last spring's (closed) and
// this fall's (open) — in which each teacher claims some of the students of their classes, so
// the team page lists students no adult claims and the count falls from one round to the next;
// a few unclaimed students assigned to the demo teacher; and, on the confidential student wave,
// follow-ups of students who said no adult is there for them. It returns the team page's path.
func seedSuccess(ctx context.Context, s *store.Store, surveys *survey.Catalog, districtID, schoolID int64) (string, error) {
	team := fmt.Sprintf("/admin/team?school=%d", schoolID)
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.MappingRound{}).Where("district_id = ? AND school_id = ?", districtID, schoolID).Count(&n).Error; err != nil {
		return "", fmt.Errorf("demo mapping: %w", err)
	}
	if n > 0 {
		return team, nil
	}
	svc := &success.Service{Store: s, Surveys: surveys}
	var admin, counselor, teacher store.User
	for _, u := range []struct {
		email string
		into  *store.User
	}{{auth.DemoAdminEmail, &admin}, {auth.DemoCounselorEmail, &counselor}, {auth.DemoTeacherEmail, &teacher}} {
		if err := s.DB.WithContext(ctx).Where("district_id = ? AND email = ?", districtID, u.email).First(u.into).Error; err != nil {
			return "", fmt.Errorf("demo mapping: account %s: %w", u.email, err)
		}
	}
	viewer := func(u store.User) success.Viewer {
		return success.Viewer{DistrictID: districtID, UserID: u.ID, PersonID: u.PersonID, Role: auth.Role(u.Role), Schools: []int64{schoolID},
			Actor: auth.Actor{UserID: &u.ID, Email: u.Email}}
	}
	adults, err := demoTeacherAccounts(ctx, s, districtID, schoolID)
	if err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(2026, 15))
	now := s.Now()
	for i, round := range []struct {
		name   string
		claim  float64
		opened time.Time
	}{{"Spring term " + now.AddDate(0, -6, 0).Format("2006"), 0.2, now.AddDate(0, -6, 0)}, {"Fall term " + now.Format("2006"), 0.3, now.AddDate(0, 0, -10)}} {
		r, err := svc.StartRound(ctx, viewer(admin), schoolID, round.name)
		if err != nil {
			return "", fmt.Errorf("demo mapping: %w", err)
		}
		for _, a := range adults {
			if a.ID == teacher.ID && i == 1 {
				continue // the demo teacher's own task this fall: their marks are theirs to make
			}
			list, err := svc.MyStudents(ctx, viewer(a), r.ID, "")
			if err != nil {
				return "", fmt.Errorf("demo mapping: %w", err)
			}
			var marks []success.Mark
			for _, row := range list.Classes {
				if rng.Float64() < round.claim {
					marks = append(marks, success.Mark{StudentID: row.ID, KnowsWell: true, WouldCome: rng.Float64() < 0.4})
				}
			}
			if len(marks) > 0 {
				if _, err := svc.SaveClaims(ctx, viewer(a), r.ID, marks); err != nil {
					return "", fmt.Errorf("demo mapping: %w", err)
				}
			}
		}
		// The round ran when it says it did.
		upd := map[string]any{"opened_at": round.opened}
		if i == 0 {
			upd["closed_at"] = round.opened.AddDate(0, 1, 0)
		}
		if err := s.DB.WithContext(ctx).Model(&store.MappingRound{}).Where("district_id = ? AND id = ?", districtID, r.ID).Updates(upd).Error; err != nil {
			return "", fmt.Errorf("demo mapping: %w", err)
		}
	}
	// The team assigns the demo teacher five of this fall's unclaimed students, due in two weeks.
	pg, err := svc.Team(ctx, viewer(counselor), schoolID, 0, nil, 10)
	if err != nil {
		return "", fmt.Errorf("demo team: %w", err)
	}
	var pick []int64
	for _, g := range pg.None {
		for _, row := range g.Rows {
			if len(pick) < 5 {
				pick = append(pick, row.ID)
			}
		}
	}
	due := now.AddDate(0, 0, 14).Format(time.DateOnly)
	if len(pick) > 0 {
		if _, err := svc.Assign(ctx, viewer(counselor), schoolID, pick, teacher.ID, due, "mapping"); err != nil {
			return "", fmt.Errorf("demo team: %w", err)
		}
	}
	if err := demoFollowups(ctx, s, svc, viewer(counselor), teacher, schoolID, due); err != nil {
		return "", err
	}
	return team, demoGradingPeriod(ctx, s, svc, viewer(admin), rng)
}

// demoGradingPeriod imports one grading period of attendance and courses for every student, as
// a district's student information system would export it: most attend 90% or more of days,
// about one in seven is chronically absent, about one in eight fails a course.
func demoGradingPeriod(ctx context.Context, s *store.Store, svc *success.Service, admin success.Viewer, rng *rand.Rand) error {
	var ids []string
	if err := s.DB.WithContext(ctx).Model(&store.Person{}).Where("district_id = ? AND kind = ? AND active = ?", admin.DistrictID, store.KindStudent, true).
		Order("sourced_id").Pluck("sourced_id", &ids).Error; err != nil {
		return fmt.Errorf("demo grading period: %w", err)
	}
	var b strings.Builder
	b.WriteString("student_sourced_id,attendance_rate,courses_failing\n")
	for _, id := range ids {
		rate := min(100, 95.5-8*math.Abs(rng.NormFloat64())*rng.Float64()*1.6)
		failing := 0
		if rng.Float64() < 0.12 {
			failing = 1 + rng.IntN(2)
		}
		fmt.Fprintf(&b, "%s,%.1f,%d\n", id, rate, failing)
	}
	if _, err := svc.ImportIndicators(ctx, admin, "Quarter 1", "demo-quarter-1.csv", strings.NewReader(b.String())); err != nil {
		return fmt.Errorf("demo grading period: %w", err)
	}
	return nil
}

// demoFollowups marks three students of the latest confidential student wave reached and assigns
// two more to the demo teacher.
func demoFollowups(ctx context.Context, s *store.Store, svc *success.Service, counselor success.Viewer, teacher store.User, schoolID int64, due string) error {
	waves, err := svc.ConfidentialWaves(ctx, counselor)
	if err != nil || len(waves) == 0 {
		return err
	}
	list, err := svc.FollowUp(ctx, counselor, waves[0].ID, schoolID, "")
	if err != nil {
		return fmt.Errorf("demo follow-up: %w", err)
	}
	actions := []string{"check-in", "mentor", "club"}
	notes := []string{"Talked after class; will check in again Friday.", "Paired with a mentor from the robotics club.", "Joined the lunchtime art club."}
	var assign []int64
	for i, row := range list.Rows {
		switch {
		case i < 3:
			if err := svc.MarkReached(ctx, counselor, waves[0].ID, schoolID, row.ID, actions[i], notes[i]); err != nil {
				return fmt.Errorf("demo follow-up: %w", err)
			}
		case i < 5 && row.Assigned == nil:
			assign = append(assign, row.ID)
		}
	}
	if len(assign) > 0 {
		if _, err := svc.Assign(ctx, counselor, schoolID, assign, teacher.ID, due, "followup"); err != nil {
			return fmt.Errorf("demo follow-up: %w", err)
		}
	}
	return nil
}

// demoTeacherAccounts makes a staff account (single sign-on only) for every rostered teacher of
// the school with an email and no account yet, linked to their roster person, and returns every
// account linked to a teacher of the school.
func demoTeacherAccounts(ctx context.Context, s *store.Store, districtID, schoolID int64) ([]store.User, error) {
	var teachers []store.Person
	err := s.DB.WithContext(ctx).Table("people p").
		Where("p.district_id = ? AND p.kind = ? AND p.active = ? AND p.email <> ''", districtID, store.KindStaff, true).
		Where("EXISTS (SELECT 1 FROM enrollments e JOIN classes cl ON cl.district_id = e.district_id AND cl.id = e.class_id WHERE e.district_id = p.district_id AND e.person_id = p.id AND e.role = ? AND e.active = ? AND cl.school_id = ?)", "teacher", true, schoolID).
		Order("p.sourced_id").Select("p.*").Find(&teachers).Error
	if err != nil {
		return nil, fmt.Errorf("demo teachers: %w", err)
	}
	svc := auth.New(s, auth.Options{})
	var out []store.User
	for _, p := range teachers {
		var u store.User
		err := s.DB.WithContext(ctx).Where("district_id = ? AND person_id = ?", districtID, p.ID).First(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			if err = s.DB.WithContext(ctx).Where("district_id = ? AND email = ?", districtID, p.Email).First(&u).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				u, err = svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: districtID, Email: p.Email, Name: p.GivenName + " " + p.FamilyName, Role: auth.Staff, Schools: []int64{schoolID}})
			}
			if err == nil {
				pid := p.ID
				u.PersonID = &pid
				err = s.DB.WithContext(ctx).Model(&store.User{}).Where("district_id = ? AND id = ?", districtID, u.ID).Update("person_id", pid).Error
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo teacher account %s: %w", p.Email, err)
		}
		if !slices.ContainsFunc(out, func(o store.User) bool { return o.ID == u.ID }) {
			out = append(out, u)
		}
	}
	return out, nil
}
