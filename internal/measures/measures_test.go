package measures_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// setup makes a district with an open student wave and n stored responses with random answers.
func setup(t *testing.T, st *store.Store, n int) (*measures.Service, *wave.Service, store.Wave, *survey.Instrument) {
	t.Helper()
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	in, _ := cat.Get("student-pulse", 1)
	m := &measures.Service{Store: st, Surveys: cat}
	ws := &wave.Service{Store: st, Surveys: cat, Scorer: m}
	d := testdb.NewDistrict(t, st)
	now := st.Now()
	school := store.NewID()
	must(t, st.DB.Create(&store.School{DistrictID: d, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	w, err := ws.Create(context.Background(), wave.Spec{DistrictID: d, Name: "w", InstrumentID: in.ID, InstrumentVersion: in.Version, Mode: store.ModeAnonymous,
		SchoolIDs: []int64{school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour)})
	must(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []store.Response
	for i := 0; i < n; i++ {
		theta := rng.NormFloat64()
		b := make([]byte, len(in.Items))
		for j := range b {
			x := int(theta + 1.5 + rng.NormFloat64())
			b[j] = byte('0' + max(0, min(3, x)))
			if rng.Float64() < 0.05 {
				b[j] = '-'
			}
		}
		rows = append(rows, store.Response{DistrictID: d, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: string(b)})
	}
	if n > 0 {
		must(t, st.DB.CreateInBatches(rows, 200).Error)
	}
	return m, ws, w, in
}

func TestCalibrateOnceThenRescore(t *testing.T) {
	st := testdb.Postgres(t)
	ctx := context.Background()
	m, _, w, in := setup(t, st, 250)

	made, err := m.Calibrate(ctx, w.DistrictID, w.ID, false)
	must(t, err)
	if !made {
		t.Fatal("250 responses did not make a calibration")
	}
	var cals []store.Calibration
	must(t, st.DB.Where("district_id = ?", w.DistrictID).Order("measure_id").Find(&cals).Error)
	if len(cals) != len(in.Measures) {
		t.Fatalf("%d calibrations, want one per measure (%d)", len(cals), len(in.Measures))
	}
	// A second calibration never replaces the first: later waves stay on the same scale.
	made, err = m.Calibrate(ctx, w.DistrictID, w.ID, true)
	must(t, err)
	var again []store.Calibration
	must(t, st.DB.Where("district_id = ?", w.DistrictID).Order("measure_id").Find(&again).Error)
	if made || again[0].Params != cals[0].Params {
		t.Fatal("an existing calibration was replaced")
	}

	n, err := m.Rescore(ctx, w.DistrictID, w.ID)
	must(t, err)
	if n != 250 {
		t.Fatalf("rescored %d responses, want 250", n)
	}
	var scores []store.Score
	must(t, st.DB.Where("district_id = ? AND measure_id = ?", w.DistrictID, "student-teacher-trust").Find(&scores).Error)
	if len(scores) < 240 {
		t.Fatalf("only %d student-teacher scores", len(scores))
	}
	// Within one answered-item count a higher raw score must never get a lower measure.
	best := map[[2]int]float64{}
	for _, s := range scores {
		if s.Score < 0 || s.Score > 100 || s.Category < 0 || s.Category > 4 {
			t.Fatalf("score out of range: %+v", s)
		}
		best[[2]int{s.NAnswered, s.Raw}] = s.Logit
	}
	for k, v := range best {
		if lower, ok := best[[2]int{k[0], k[1] - 1}]; ok && lower >= v {
			t.Fatalf("raw %d (n=%d) has logit %.3f, not above raw %d's %.3f", k[1], k[0], v, k[1]-1, lower)
		}
	}
	// Rescoring twice keeps one row per response and measure.
	_, err = m.Rescore(ctx, w.DistrictID, w.ID)
	must(t, err)
	var count int64
	st.DB.Model(&store.Score{}).Where("district_id = ? AND measure_id = ?", w.DistrictID, "student-teacher-trust").Count(&count)
	if int(count) != len(scores) {
		t.Fatalf("rescore duplicated scores: %d then %d", len(scores), count)
	}
}

func TestTooFewResponsesKeepsProvisionalScale(t *testing.T) {
	st := testdb.Postgres(t)
	m, _, w, _ := setup(t, st, 50)
	made, err := m.Calibrate(context.Background(), w.DistrictID, w.ID, false)
	must(t, err)
	if made {
		t.Fatal("calibrated from 50 responses without --calibrate")
	}
}

// An anonymous submission is scored once mixed.
func TestSubmissionStoresScores(t *testing.T) {
	st := testdb.Postgres(t)
	ctx := context.Background()
	_, ws, w, in := setup(t, st, 0)
	must(t, ws.SetStatus(ctx, w.DistrictID, w.ID, store.StatusOpen))
	var school int64
	st.DB.Model(&store.WaveSchool{}).Where("wave_id = ?", w.ID).Pluck("school_id", &school)
	code, err := ws.IssueCode(ctx, w.DistrictID, w.ID, school, nil)
	must(t, err)
	sess, err := ws.ByCode(ctx, code, "browser-key-0123456789abcdef")
	must(t, err)
	all := map[string]string{}
	for _, it := range in.Items {
		all[it.ID] = "3"
	}
	for p := 0; p < sess.Pages(); p++ {
		must(t, ws.SavePage(ctx, sess, p, all, nil, p+2, "en"))
	}
	must(t, ws.Submit(ctx, sess, "en"))
	// An anonymous answer is scored when the mixer moves its ballot into responses; the wave's
	// close makes the mixer take even this single one.
	must(t, ws.SetStatus(ctx, w.DistrictID, w.ID, store.StatusClosed))
	_, err = ws.Mix(ctx)
	must(t, err)
	var scores []store.Score
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Find(&scores).Error)
	if len(scores) != len(in.Measures) {
		t.Fatalf("%d scores stored at submission, want %d", len(scores), len(in.Measures))
	}
	for _, s := range scores {
		if s.Favorable != s.NAnswered || s.Category != 4 || s.Logit <= 0 {
			t.Fatalf("all-highest answers scored %+v", s)
		}
	}
}

func TestCalibrateDueUsesFirstWaveWithEnoughAnswers(t *testing.T) {
	st := testdb.Postgres(t)
	ctx := context.Background()
	m, _, w, in := setup(t, st, 120)
	m.MinResponses = 100
	n, err := m.CalibrateDue(ctx)
	must(t, err)
	var cals []store.Calibration
	must(t, st.DB.Where("district_id = ?", w.DistrictID).Find(&cals).Error)
	if n != 1 || len(cals) != len(in.Measures) || cals[0].Source != "wave:"+strconv.FormatInt(w.ID, 10) {
		t.Fatalf("CalibrateDue = %d, calibrations %+v", n, cals)
	}
	var scored int64
	st.DB.Model(&store.Score{}).Where("district_id = ?", w.DistrictID).Count(&scored)
	if scored == 0 {
		t.Fatal("waves were not rescored after calibration")
	}
	if n, err := m.CalibrateDue(ctx); err != nil || n != 0 {
		t.Fatalf("second CalibrateDue = %d, %v; want 0", n, err)
	}
}
