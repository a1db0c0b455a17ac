package success_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/surveys"
)

// BenchmarkTeamPage is the team page's use case on PostgreSQL for a school of 3,000 students in
// 120 homerooms, with 200 staff accounts claiming 45 students each in the round (9,000 claims),
// a confidential student wave answered by every student, and 300 assignments. It reports the
// 95th percentile of the iterations besides the mean.
func BenchmarkTeamPage(b *testing.B) {
	st := testdb.Postgres(b)
	ctx := context.Background()
	cat, err := survey.Load(surveys.FS)
	must(b, err)
	svc := &success.Service{Store: st, Surveys: cat}
	district, school := testdb.NewDistrict(b, st), store.NewID()
	now := st.Now()
	must(b, st.DB.Create(&store.School{DistrictID: district, ID: school, SourcedID: "s", Name: "Big High", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	must(b, st.DB.Create(&store.Instrument{DistrictID: district, InstrumentID: "student-pulse", Version: 1, Audience: "student", CreatedAt: now}).Error)
	rng := rand.New(rand.NewPCG(3, 4))
	const students, staff, perAdult, homerooms = 3000, 200, 45, 120
	var people []store.Person
	var ps []store.PersonSchool
	var classes []store.Class
	var enrol []store.Enrollment
	for h := range homerooms {
		classes = append(classes, store.Class{DistrictID: district, ID: store.NewID(), SourcedID: fmt.Sprint("hr", h), SchoolID: school, Title: fmt.Sprintf("Room %d", h), ClassType: "homeroom", Active: true})
	}
	ids := make([]int64, students)
	for i := range students {
		ids[i] = store.NewID()
		people = append(people, store.Person{DistrictID: district, ID: ids[i], SourcedID: fmt.Sprint("st", i), Kind: store.KindStudent, GivenName: fmt.Sprint("Kid", i), FamilyName: "Family",
			Grade: fmt.Sprintf("%02d", 9+i%4), SchoolID: &school, Attributes: store.Attrs{"gender": []string{"female", "male"}[i%2], "english_learner": []string{"yes", "no", "no", "no"}[i%4]}, Active: true, CreatedAt: now, UpdatedAt: now})
		ps = append(ps, store.PersonSchool{DistrictID: district, PersonID: ids[i], SchoolID: school})
		enrol = append(enrol, store.Enrollment{DistrictID: district, ClassID: classes[i%homerooms].ID, PersonID: ids[i], Role: "student", Active: true})
	}
	must(b, st.DB.CreateInBatches(people, 500).Error)
	must(b, st.DB.CreateInBatches(ps, 500).Error)
	must(b, st.DB.CreateInBatches(classes, 500).Error)
	must(b, st.DB.CreateInBatches(enrol, 500).Error)
	var users []store.User
	var us []store.UserSchool
	for i := range staff {
		u := store.User{DistrictID: district, ID: store.NewID(), Email: fmt.Sprintf("t%d@big.test", i), Name: fmt.Sprintf("Teacher %d", i), Role: string(auth.Staff), Active: true, CreatedAt: now, UpdatedAt: now}
		users = append(users, u)
		us = append(us, store.UserSchool{DistrictID: district, UserID: u.ID, SchoolID: school})
	}
	counselor := store.User{DistrictID: district, ID: store.NewID(), Email: "c@big.test", Role: string(auth.Counselor), Active: true, CreatedAt: now, UpdatedAt: now}
	users = append(users, counselor)
	us = append(us, store.UserSchool{DistrictID: district, UserID: counselor.ID, SchoolID: school})
	must(b, st.DB.CreateInBatches(users, 500).Error)
	must(b, st.DB.CreateInBatches(us, 500).Error)
	v := success.Viewer{DistrictID: district, UserID: counselor.ID, Role: auth.Counselor, Schools: []int64{school}, Actor: auth.Actor{UserID: &counselor.ID, Email: counselor.Email}}
	lead := v
	lead.Role = auth.SchoolLeader
	round, err := svc.StartRound(ctx, lead, school, "Fall")
	must(b, err)
	var claims []store.MappingClaim
	for _, u := range users[:staff] {
		for _, k := range rng.Perm(students)[:perAdult] {
			claims = append(claims, store.MappingClaim{DistrictID: district, RoundID: round.ID, StudentID: ids[k], UserID: u.ID, KnowsWell: true, UpdatedAt: now})
		}
	}
	must(b, st.DB.CreateInBatches(claims, 1000).Error)
	in, _ := cat.Get("student-pulse", 1)
	w := store.Wave{DistrictID: district, ID: store.NewID(), Name: "Check-in", InstrumentID: "student-pulse", InstrumentVersion: 1, Audience: "student",
		Mode: store.ModeConfidential, Channels: "link", Status: store.StatusClosed, OpensAt: now.Add(-time.Hour), ClosesAt: now, CreatedAt: now, UpdatedAt: now}
	must(b, st.DB.Create(&w).Error)
	var resp []store.Response
	for i, id := range ids {
		pid := id
		resp = append(resp, store.Response{DistrictID: district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en",
			Answers: strings.Repeat(fmt.Sprint(i%4), len(in.Items)), PersonID: &pid, SubmittedAt: &now})
	}
	must(b, st.DB.CreateInBatches(resp, 500).Error)
	_, err = svc.Assign(ctx, v, school, ids[:300], users[0].ID, "2099-01-01", "mapping")
	must(b, err)
	// Statistics as autovacuum keeps them on a live database (fresh tables have none).
	for _, t := range []string{"people", "person_schools", "classes", "enrollments", "users", "user_schools", "mapping_claims", "responses", "student_assignments"} {
		must(b, st.DB.Exec("ANALYZE "+t).Error)
	}
	attrs := []string{"grade", "gender", "english_learner"}
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		pg, err := svc.Team(ctx, v, school, 0, attrs, 10)
		if err != nil || pg.Students != students {
			b.Fatalf("team: %d students, %v", pg.Students, err)
		}
		durations = append(durations, time.Since(start))
	}
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*95/100].Microseconds())/1000, "p95-ms")
}
