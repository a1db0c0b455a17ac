package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// pastWaves is how many closed monthly waves per instrument the demo simulates, so trends show.
const pastWaves = 4

// seedHistory creates closed past waves with answers simulated from the Andrich rating scale
// model, then fixes each instrument's calibration from its first wave and scores everything.
// Skipped when the history exists (the demo is idempotent).
func seedHistory(ctx context.Context, s *store.Store, waves *wave.Service, m *measures.Service, districtID int64, schoolIDs []int64) error {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.Wave{}).Where("district_id = ? AND status = ?", districtID, store.StatusClosed).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	now := s.Now()
	for _, instrument := range []string{"student-pulse", "staff-pulse", "family-pulse"} {
		in, ok := waves.Surveys.Latest(instrument)
		if !ok {
			return fmt.Errorf("demo history: instrument %s missing", instrument)
		}
		var ids []int64
		for k := 0; k < pastWaves; k++ {
			opens := now.AddDate(0, k-pastWaves, 0)
			mode := store.ModeAnonymous
			// Families answer confidentially; so do students in the latest past wave, a check-in
			// whose answers counselors read for the follow-up list.
			if in.Audience == survey.Family || (in.Audience == survey.Student && k == pastWaves-1) {
				mode = store.ModeConfidential
			}
			w, err := waves.Create(ctx, wave.Spec{DistrictID: districtID, Name: fmt.Sprintf("%s %s", audienceTitle[in.Audience], opens.Format("January 2006")),
				InstrumentID: in.ID, InstrumentVersion: in.Version, Mode: mode, SchoolIDs: schoolIDs, OpensAt: opens, ClosesAt: opens.AddDate(0, 0, 14)})
			if err != nil {
				return err
			}
			// A past wave: its invitations exist (as if it had run), then it closes; it is never
			// opened now, so nothing is sent for it.
			if _, err := waves.Invite(ctx, districtID, w.ID); err != nil {
				return err
			}
			if err := simulateAnswers(ctx, s, waves, rng, w, in, k); err != nil {
				return err
			}
			if _, _, err := waves.Apply(ctx, districtID, w.ID, wave.Change{Action: wave.ActClose}, wave.System); err != nil {
				return err
			}
			ids = append(ids, w.ID)
		}
		if _, err := m.Calibrate(ctx, districtID, ids[0], true); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := m.Rescore(ctx, districtID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// The demo's planted language difference: Spanish-speaking families find this item a logit harder
// to agree with than its neighbours, as if its translation asked something stronger. The language
// checks page (/admin/language-checks) flags it.
const (
	DIFLanguage = "es"
	DIFItem     = "fw-opinion"
)

var audienceTitle = map[survey.Audience]string{survey.Student: "Student pulse", survey.Staff: "Staff pulse", survey.Family: "Family pulse"}

// invitee is what the simulation needs to know about one invitation.
type invitee struct {
	InvitationID, PersonID, SchoolID int64
	Grade, Role, Language            string
	Attributes                       store.Attrs
	ChildGrade                       string // families: the youngest child's grade at the school, as a submission records it
}

// simulateAnswers answers about 70% of a wave's invitations in one transaction.
func simulateAnswers(ctx context.Context, s *store.Store, waves *wave.Service, rng *rand.Rand, w store.Wave, in *survey.Instrument, waveIndex int) error {
	var people []invitee
	var rows []struct {
		InvitationID, PersonID, SchoolID int64
		Grade, Role, PreferredLanguage   string
		Attributes                       store.Attrs
	}
	db := s.DB.WithContext(ctx)
	err := db.Table("invitations i").Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Select("i.id AS invitation_id, i.person_id, i.school_id, p.grade, p.role, p.preferred_language, p.attributes").
		Where("i.district_id = ? AND i.wave_id = ?", w.DistrictID, w.ID).Order("p.sourced_id, i.school_id").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("demo answers: %w", err)
	}
	childGrades := map[[2]int64]string{}
	if w.Audience == "family" {
		if childGrades, err = wave.ChildGrades(db, w.DistrictID, w.ID); err != nil {
			return fmt.Errorf("demo answers: %w", err)
		}
	}
	for _, r := range rows {
		people = append(people, invitee{r.InvitationID, r.PersonID, r.SchoolID, r.Grade, r.Role, r.PreferredLanguage, r.Attributes,
			childGrades[[2]int64{r.PersonID, r.SchoolID}]})
	}
	var schoolOrder []int64
	if err := s.DB.WithContext(ctx).Model(&store.WaveSchool{}).Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Order("school_id").Pluck("school_id", &schoolOrder).Error; err != nil {
		return err
	}
	closes := w.OpensAt.Add(7 * 24 * time.Hour)
	// Comments come from a generator of their own, so the answers stay what they were before
	// comments were simulated; some name a rostered teacher or give a phone number, which the
	// comment reader redacts.
	crng := rand.New(rand.NewPCG(uint64(waveIndex)+1, 0x636f6d6d656e7473))
	var teacher string
	if in.Comment.Enabled {
		if err := db.Model(&store.Person{}).Where("district_id = ? AND kind = ? AND family_name <> ''", w.DistrictID, store.KindStaff).
			Order("sourced_id").Limit(1).Pluck("family_name", &teacher).Error; err != nil {
			return fmt.Errorf("demo comments: %w", err)
		}
	}
	var responses []store.Response
	var answered []int64
	for _, p := range people {
		if rng.Float64() > 0.7 {
			continue
		}
		lang := p.Language
		if lang == "" {
			lang = "en"
		}
		theta := ability(rng, w.Audience, p, schoolIndex(schoolOrder, p.SchoolID), waveIndex)
		answers := make([]byte, len(in.Items))
		for i, it := range in.Items {
			if rng.Float64() < 0.04 {
				answers[i] = wave.Missing
				continue
			}
			loc := itemLocation(i, len(in.Items))
			if lang == DIFLanguage && it.ID == DIFItem {
				loc += 1.0 // the planted mistranslation the language check finds
			}
			x := drawRSM(rng, theta-loc, []float64{-1.6, 0.1, 1.5})
			if it.Reverse {
				x = in.Scale.Points - 1 - x
			}
			answers[i] = byte('0' + x)
		}
		groups, err := snapshotFor(db, waves, w, p, lang)
		if err != nil {
			return fmt.Errorf("demo answers: %w", err)
		}
		r := store.Response{DistrictID: w.DistrictID, ID: store.NewID(), WaveID: w.ID, SchoolID: p.SchoolID, Language: lang, Answers: string(answers),
			Subgroups: groups}
		if in.Comment.Enabled && crng.Float64() < 0.35 {
			r.Comment = demoComment(crng, lang, teacher)
		}
		if w.Mode == store.ModeConfidential {
			inv, person := p.InvitationID, p.PersonID
			r.InvitationID, r.PersonID, r.SubmittedAt = &inv, &person, &closes
		}
		responses = append(responses, r)
		answered = append(answered, p.InvitationID)
	}
	return s.Tx(ctx, func(tx *gorm.DB) error {
		if len(responses) == 0 {
			return errors.New("demo answers: nobody answered")
		}
		if err := tx.CreateInBatches(responses, 200).Error; err != nil {
			return err
		}
		for start := 0; start < len(answered); start += 500 {
			end := min(start+500, len(answered))
			if err := tx.Model(&store.Invitation{}).Where("district_id = ? AND id IN ?", w.DistrictID, answered[start:end]).
				Updates(map[string]any{"completed_at": closes.Truncate(24 * time.Hour), "opened_at": closes.Truncate(24 * time.Hour)}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

func schoolIndex(order []int64, id int64) int {
	for i, v := range order {
		if v == id {
			return i
		}
	}
	return 0
}

// ability is the simulated person's trust level: realistic gaps by subgroup (English learners and
// students in higher grades lower; one school improving wave by wave) so dashboards have
// something true to find.
func ability(rng *rand.Rand, audience string, p invitee, school, waveIndex int) float64 {
	theta := 0.6 + rng.NormFloat64()*1.1
	switch audience {
	case "student":
		if g, err := strconv.Atoi(p.Grade); err == nil {
			theta -= 0.09 * float64(g-3)
		}
		if p.Attributes["english_learner"] == "yes" {
			theta -= 0.55
		}
		if p.Attributes["low_income"] == "yes" {
			theta -= 0.2
		}
		if school == 0 {
			theta += 0.18 * float64(waveIndex) // the first school's advisory program is working
		}
	case "staff":
		if p.Role == "aide" {
			theta -= 0.4
		}
		theta -= 0.1 * float64(waveIndex) // a hard year for staff
	case "family":
		if p.Language != "" && p.Language != "en" {
			theta -= 0.35
		}
		theta += 0.08 * float64(waveIndex)
	}
	return theta
}

// itemLocation spreads item difficulties evenly over −0.8…0.8 logits.
func itemLocation(i, n int) float64 {
	if n < 2 {
		return 0
	}
	return -0.8 + 1.6*float64(i)/float64(n-1)
}

// drawRSM samples a category from the rating scale model with person-minus-item logit d.
func drawRSM(rng *rand.Rand, d float64, tau []float64) int {
	w := make([]float64, len(tau)+1)
	sum, cum := 1.0, 0.0
	w[0] = 1
	for k := 1; k <= len(tau); k++ {
		cum += d - tau[k-1]
		w[k] = math.Exp(cum)
		sum += w[k]
	}
	u := rng.Float64() * sum
	for k, v := range w {
		if u < v {
			return k
		}
		u -= v
	}
	return len(tau)
}

// snapshotFor is the subgroup record a simulated answer stores: the same minimised, coarsened
// snapshot a real submission would (wave.Service.InvitedSnapshot).
func snapshotFor(db *gorm.DB, waves *wave.Service, w store.Wave, p invitee, lang string) (store.Attrs, error) {
	full := wave.Snapshot(w.Audience, store.Person{Grade: p.Grade, Role: p.Role, PreferredLanguage: p.Language, Attributes: p.Attributes})
	if w.Audience == "family" && p.ChildGrade != "" {
		full["child_grade"] = p.ChildGrade
	}
	return waves.InvitedSnapshot(db, w, p.SchoolID, full, lang)
}

// demoComments are the synthetic comments of the demo's staff and family waves, by language;
// %s is a rostered teacher's family name.
var demoComments = map[string][]string{
	"en": {
		"Communication from the school has improved a lot this year.",
		"I wish there were more chances to meet teachers in person.",
		"Ms. %s always answers my messages quickly. Thank you!",
		"Please send notices earlier; we often find out the day before.",
		"My child feels safe here, and that matters most to us.",
		"Call me at 555-201-3344 if you want to talk about the bus stop.",
		"The front office staff are kind and patient.",
		"Homework instructions are hard to follow at home.",
	},
	"es": {
		"La comunicación con la escuela ha mejorado mucho este año.",
		"Me gustaría recibir los avisos en español con más anticipación.",
		"La maestra %s siempre nos escucha. ¡Gracias!",
		"Mi hijo se siente seguro en la escuela.",
		"Quisiera más reuniones con los maestros por la tarde.",
	},
}

func demoComment(rng *rand.Rand, lang, teacher string) string {
	pool := demoComments[lang]
	if pool == nil {
		pool = demoComments["en"]
	}
	c := pool[rng.IntN(len(pool))]
	if strings.Contains(c, "%s") {
		if teacher == "" {
			teacher = "Lee"
		}
		c = fmt.Sprintf(c, teacher)
	}
	return c
}
