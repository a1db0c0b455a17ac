package httpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestTeacherHomeShowsClassCodes: a staff member linked to a rostered teacher sees the codes of
// the classes they teach in open waves, with each code's answer count, and nothing of another
// teacher's class or a closed wave; an unlinked account is told why nothing is shown.
func TestTeacherHomeShowsClassCodes(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	now := f.st.Now()
	b := f.signIn("staffA")
	if _, page, _ := b.do("GET", "/admin", nil); !strings.Contains(page, "not linked to a roster record") {
		t.Errorf("unlinked staff home:\n%s", page)
	}
	var room store.Class
	must(t, f.st.DB.Where("district_id = ? AND school_id = ?", f.district, f.school).First(&room).Error)
	other := store.Class{DistrictID: f.district, ID: store.NewID(), SourcedID: "c-other", SchoolID: f.school, Title: "Room 2", ClassType: "homeroom", Active: true}
	must(t, f.st.DB.Create(&other).Error)
	teacher, colleague := store.NewID(), store.NewID()
	for i, id := range []int64{teacher, colleague} {
		sid := f.school
		must(t, f.st.DB.Create(&store.Person{DistrictID: f.district, ID: id, SourcedID: []string{"t1", "t2"}[i], Kind: store.KindStaff, Role: "teacher",
			SchoolID: &sid, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
		must(t, f.st.DB.Create(&store.Enrollment{DistrictID: f.district, ClassID: []int64{room.ID, other.ID}[i], PersonID: id, Role: "teacher", Active: true}).Error)
	}
	must(t, f.st.DB.Model(&store.User{}).Where("district_id = ? AND id = ?", f.district, f.users["staffA"].ID).Update("person_id", teacher).Error)
	if _, page, _ := b.do("GET", "/admin", nil); !strings.Contains(page, "None of your classes has a survey code") {
		t.Errorf("linked staff without codes:\n%s", page)
	}
	if _, _, err := f.waves.Apply(ctx, f.district, f.waveA.ID, wave.Change{Action: wave.ActOpen}, wave.System); err != nil {
		t.Fatal(err)
	}
	mine, err := f.waves.IssueCode(ctx, f.district, f.waveA.ID, f.school, &room.ID)
	must(t, err)
	theirs, err := f.waves.IssueCode(ctx, f.district, f.waveA.ID, f.school, &other.ID)
	must(t, err)
	must(t, f.st.DB.Model(&store.WaveCode{}).Where("district_id = ? AND code = ?", f.district, mine).Update("used", 7).Error)
	_, page, _ := b.do("GET", "/admin", nil)
	for _, want := range []string{"Your classes&#39; survey codes", mine, "http://example.test/j/" + mine, "Room 1, Adams: Adams fall", "Answers so far: 7."} {
		if !strings.Contains(page, want) {
			t.Errorf("teacher home lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, theirs) || strings.Contains(page, "Room 2") {
		t.Errorf("teacher home shows another teacher's class:\n%s", page)
	}
	// A closed wave's code is gone from the page.
	if _, _, err := f.waves.Apply(ctx, f.district, f.waveA.ID, wave.Change{Action: wave.ActClose}, wave.System); err != nil {
		t.Fatal(err)
	}
	if _, page, _ := b.do("GET", "/admin", nil); strings.Contains(page, mine) {
		t.Errorf("closed wave's code still shown:\n%s", page)
	}
}
