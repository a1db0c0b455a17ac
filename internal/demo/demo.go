// Package demo seeds the synthetic district behind `trustpulse demo`. Production code never imports it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/support"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Slug names the demo district; seeding finds it by slug, so running the demo twice changes nothing.
const Slug = "demo"

// ErrNotDemoDatabase refuses to seed a database that holds a real district. The demo admin's
// password is published in the README, so it must never exist next to real children's data; there
// is deliberately no flag to override this: a throwaway database (`--db sqlite:demo.db`) costs nothing.
var ErrNotDemoDatabase = errors.New("this database holds districts other than the demo's")

// CheckDatabase reports whether the demo may seed s: it may when s is empty or holds only the demo
// district.
func CheckDatabase(ctx context.Context, s *store.Store) error {
	var others []string
	if err := s.DB.WithContext(ctx).Model(&store.District{}).Where("slug <> ?", Slug).Order("slug").Limit(3).Pluck("slug", &others).Error; err != nil {
		return fmt.Errorf("check for real districts: %w", err)
	}
	if len(others) > 0 {
		return fmt.Errorf("%w (%s): the demo creates an admin with a published password, so it runs only on an empty or demo database; use another one, e.g. --db sqlite:demo.db",
			ErrNotDemoDatabase, strings.Join(others, ", "))
	}
	return nil
}

// Links are the things to try, printed by the demo command once the server listens.
// An empty field means that capability does not exist yet and nothing is printed for it.
type Links struct {
	StudentSurvey string
	FamilySurvey  string
	StaffSurvey   string
	Dashboard     string
	Slips         string // the student wave's printable link slips
	EnterCode     string // the page where a slip's personal code (or a class code) is typed
	LanguageCheck string // the language checks page, with the planted Spanish item flagged
	Team          string // the first school's student success team page (mapping rounds, unclaimed students)
	Goals         string // the first school's goals page (a goal met, one not met, their actions)
	FollowUp      string // the follow-up list of the confidential student wave
	Mapping       string // where a staff member marks the students they know
	LoginUser     string
	// Counselor and Teacher are "email password" of the demo's counselor and teacher of the first
	// school, scoped to it as their roles are.
	Counselor, Teacher string
	LoginPassword      string
}

// Seed builds the demo district (idempotently) through the OneRoster importer, simulates past
// waves, opens this month's waves and returns the links to try.
func Seed(ctx context.Context, s *store.Store, waves *wave.Service, m *measures.Service, results *report.Service, baseURL string, log *slog.Logger) (Links, error) {
	if err := CheckDatabase(ctx, s); err != nil {
		return Links{}, err
	}
	districtID, err := importDemoRoster(ctx, s, log)
	if err != nil {
		return Links{}, fmt.Errorf("demo roster: %w", err)
	}
	var schoolIDs []int64
	if err := s.DB.WithContext(ctx).Model(&store.School{}).Where("district_id = ? AND active = ?", districtID, true).Order("sourced_id").Pluck("id", &schoolIDs).Error; err != nil {
		return Links{}, fmt.Errorf("list demo schools: %w", err)
	}
	if err := seedHistory(ctx, s, waves, m, districtID, schoolIDs); err != nil {
		return Links{}, fmt.Errorf("demo history: %w", err)
	}
	ids, err := ensureOpenWaves(ctx, s, waves, districtID, schoolIDs)
	if err != nil {
		return Links{}, err
	}
	var l Links
	if l.StudentSurvey, err = surveyLink(ctx, s, waves, baseURL, districtID, ids["student-pulse"], ""); err != nil {
		return l, err
	}
	if l.StaffSurvey, err = surveyLink(ctx, s, waves, baseURL, districtID, ids["staff-pulse"], ""); err != nil {
		return l, err
	}
	// A family whose language is not English: the page must open in their language.
	if l.FamilySurvey, err = surveyLink(ctx, s, waves, baseURL, districtID, ids["family-pulse"], "p.preferred_language NOT IN ('', 'en')"); err != nil {
		return l, err
	}
	if l.LoginUser, l.LoginPassword, err = auth.EnsureDemoAdmin(ctx, s, districtID); err != nil {
		return l, fmt.Errorf("demo admin: %w", err)
	}
	for _, u := range []struct {
		email, name, password string
		role                  auth.Role
		line                  *string
	}{
		{auth.DemoCounselorEmail, "Demo counselor", auth.DemoCounselorPassword, auth.Counselor, &l.Counselor},
		{auth.DemoTeacherEmail, "Demo teacher", auth.DemoTeacherPassword, auth.Staff, &l.Teacher},
	} {
		if err := auth.EnsureDemoUser(ctx, s, auth.NewUser{DistrictID: districtID, Email: u.email, Name: u.name, Role: u.role,
			Schools: schoolIDs[:1], Password: u.password}); err != nil {
			return l, err
		}
		*u.line = u.email + " " + u.password
	}
	if err := demoTeacherClass(ctx, s, waves, districtID, schoolIDs[0], ids["student-pulse"]); err != nil {
		return l, err
	}
	team, err := seedSuccess(ctx, s, waves.Surveys, districtID, schoolIDs[0])
	if err != nil {
		return l, err
	}
	if err := enableDemoPairs(ctx, s, districtID); err != nil {
		return l, err
	}
	if err := seedHelpTexts(ctx, s, districtID); err != nil {
		return l, err
	}
	// Count everything seeded so the dashboards have results before the first page view.
	if _, err := results.Refresh(ctx); err != nil {
		return l, fmt.Errorf("demo results: %w", err)
	}
	if err := seedReference(ctx, s, results, districtID); err != nil {
		return l, err
	}
	goalsPage, err := seedGoals(ctx, s, waves.Surveys, results, districtID, schoolIDs[0])
	if err != nil {
		return l, err
	}
	l.Goals = baseURL + goalsPage
	l.Dashboard = baseURL + "/admin/results"
	l.Slips = fmt.Sprintf("%s/admin/waves/%d/slips", baseURL, ids["student-pulse"])
	l.EnterCode = baseURL + "/j"
	l.LanguageCheck = baseURL + "/admin/language-checks"
	l.Team, l.FollowUp, l.Mapping = baseURL+team, baseURL+"/admin/followup", baseURL+"/admin/mapping"
	log.Info("demo district ready", "district_id", districtID)
	return l, nil
}

// enableDemoPairs turns on two two-way breakdowns, once (a later choice on the settings page
// stands): students' grade × low income, which the demo's schools fill, and families' child
// grade × language, which has combinations under the floor and so shows a withheld table.
func enableDemoPairs(ctx context.Context, s *store.Store, districtID int64) error {
	var d store.District
	if err := s.DB.WithContext(ctx).Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return fmt.Errorf("demo district: %w", err)
	}
	if _, set := d.Settings[report.SettingPairs]; set {
		return nil
	}
	settings := store.Attrs{}
	for k, v := range d.Settings {
		settings[k] = v
	}
	settings[report.SettingPairs] = report.Pair("grade", "low_income") + ";" + report.Pair("child_grade", "language")
	if err := s.DB.WithContext(ctx).Model(&store.District{}).Where("district_id = ?", districtID).Update("settings", settings).Error; err != nil {
		return fmt.Errorf("demo two-way breakdowns: %w", err)
	}
	return nil
}

// seedHelpTexts gives the district a default "who to talk to" text for the thank-you page of
// student surveys, once (a later change on the Help right away page stands). Languages without
// one show the English text.
func seedHelpTexts(ctx context.Context, s *store.Store, districtID int64) error {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.HelpText{}).Where("district_id = ?", districtID).Count(&n).Error; err != nil {
		return fmt.Errorf("demo help texts: %w", err)
	}
	if n > 0 {
		return nil
	}
	_, err := support.Change(ctx, s, districtID, support.District, []string{"en", "es"}, support.Texts{
		"en": "Talk to your school counselor in the main office, or any teacher you trust.\nCall or text 988 any time, day or night.",
		"es": "Habla con el consejero de tu escuela en la oficina principal, o con un maestro de confianza.\nLlama o envía un mensaje al 988 a cualquier hora.",
	}, auth.Actor{Email: "demo"})
	if err != nil {
		return fmt.Errorf("demo help texts: %w", err)
	}
	return nil
}

// demoTeacherClass links the demo teacher's account to a rostered teacher of the first school's
// homerooms and gives that homeroom a class code in the open student wave (once), so the
// teacher's home page shows a code and its answer count.
func demoTeacherClass(ctx context.Context, s *store.Store, waves *wave.Service, districtID, schoolID, studentWave int64) error {
	var pick struct {
		PersonID, ClassID int64
	}
	err := s.DB.WithContext(ctx).Table("enrollments e").
		Joins("JOIN classes cl ON cl.district_id = e.district_id AND cl.id = e.class_id").
		Joins("JOIN people p ON p.district_id = e.district_id AND p.id = e.person_id").
		Where("e.district_id = ? AND cl.school_id = ? AND e.role = ? AND e.active = ? AND cl.active = ?", districtID, schoolID, "teacher", true, true).
		Order("cl.class_type = 'homeroom' DESC, cl.sourced_id, p.sourced_id").Limit(1).
		Select("e.person_id AS person_id, e.class_id AS class_id").Scan(&pick).Error
	if err != nil {
		return fmt.Errorf("demo teacher: %w", err)
	}
	if pick.PersonID == 0 {
		return nil // a roster without teacher enrollments: the page says so
	}
	if err := s.DB.WithContext(ctx).Model(&store.User{}).Where("district_id = ? AND email = ?", districtID, auth.DemoTeacherEmail).
		Update("person_id", pick.PersonID).Error; err != nil {
		return fmt.Errorf("demo teacher: %w", err)
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.WaveCode{}).Where("district_id = ? AND wave_id = ? AND class_id = ?", districtID, studentWave, pick.ClassID).
		Count(&n).Error; err != nil {
		return fmt.Errorf("demo teacher: %w", err)
	}
	if n == 0 {
		if _, err := waves.IssueCode(ctx, districtID, studentWave, schoolID, &pick.ClassID); err != nil {
			return fmt.Errorf("demo teacher: %w", err)
		}
	}
	return nil
}

// seedReference sets reference values for one measure, once (a later choice on the reference page
// stands), so the demo shows both kinds of band: trust in teachers read against the first student
// wave (its district mean ± 0.5 and ± 1.5 SD), every other measure's bands still provisional.
func seedReference(ctx context.Context, s *store.Store, results *report.Service, districtID int64) error {
	const instrument, measure = "student-pulse", "student-teacher-trust"
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.MeasureReference{}).Where("district_id = ?", districtID).Count(&n).Error; err != nil {
		return fmt.Errorf("demo reference: %w", err)
	}
	var first []store.Wave
	if err := s.DB.WithContext(ctx).Where("district_id = ? AND instrument_id = ? AND status <> ?", districtID, instrument, store.StatusDraft).
		Order("opens_at").Limit(1).Find(&first).Error; err != nil {
		return fmt.Errorf("demo reference wave: %w", err)
	}
	if n > 0 || len(first) == 0 {
		return nil
	}
	ch := report.ReferenceChange{InstrumentID: instrument, MeasureID: measure, WaveID: first[0].ID}
	if err := results.ChangeReference(ctx, districtID, ch, auth.Actor{Email: "demo"}); err != nil {
		return fmt.Errorf("demo reference: %w", err)
	}
	if _, err := results.Refresh(ctx); err != nil {
		return fmt.Errorf("demo results: %w", err)
	}
	return nil
}
