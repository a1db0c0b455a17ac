package httpserver_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// TestStagedRelease walks every results surface (overview, school page, measure page, CSV and
// XLSX exports, the API's results and participation) as every role, while the store clock moves
// past a wave's release dates: district admins first, then school leaders, then everyone else.
// Before its date a page says "Results of WAVE on DATE" and shows no figure; an export is 403
// with the same sentence; the API is 403 with the day in results_at.
func TestStagedRelease(t *testing.T) {
	f := newAPIFixture(t)
	base := f.st.Now()
	clock := base
	f.st.Now = func() time.Time { return clock }
	at := func(d time.Duration) *time.Time { v := base.Add(d); return &v }
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.waveAB.ID).
		Updates(map[string]any{"results_admins_at": at(30 * time.Minute), "results_leaders_at": at(time.Hour), "results_staff_at": at(2 * time.Hour)}).Error)

	w, a, m := f.waveAB.ID, f.school, f.measure[0]
	pages := []string{
		fmt.Sprintf("/admin/results?wave=%d", w),
		fmt.Sprintf("/admin/results/schools/%d?wave=%d", a, w),
		fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", a, m, w),
	}
	exports := []string{
		fmt.Sprintf("/admin/results?wave=%d&format=xlsx", w),
		fmt.Sprintf("/admin/results/schools/%d?wave=%d&format=csv", a, w),
		fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d&format=csv", a, m, w),
	}
	apis := []string{
		fmt.Sprintf("/api/v1/results?wave=%d&school=%d", w, a),
		fmt.Sprintf("/api/v1/participation?wave=%d&school=%d", w, a),
	}
	notice := "Results of District spring on "
	day := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	phases := []struct {
		after time.Duration
		open  map[string]bool // role -> results visible
	}{
		{0, map[string]bool{}},
		{45 * time.Minute, map[string]bool{"admin": true}},
		{90 * time.Minute, map[string]bool{"admin": true, "leaderA": true}},
		{3 * time.Hour, map[string]bool{"admin": true, "leaderA": true, "counselorA": true, "analystA": true}},
	}
	for _, ph := range phases {
		clock = base.Add(ph.after)
		for _, role := range []string{"admin", "leaderA", "counselorA", "analystA"} {
			open := ph.open[role]
			b := f.signIn(role)
			for _, p := range pages {
				code, body, _ := b.do("GET", p, nil)
				if code != 200 {
					t.Errorf("+%v %s %s: status %d\n%.300s", ph.after, role, p, code, body)
					continue
				}
				if held := strings.Contains(body, notice); held == open {
					t.Errorf("+%v %s %s: notice shown = %v, want %v", ph.after, role, p, held, !open)
				}
				if !open && strings.Contains(body, "<table") {
					t.Errorf("+%v %s %s: a table before the release date:\n%s", ph.after, role, p, body)
				}
			}
			for _, p := range exports {
				code, body, _ := b.do("GET", p, nil)
				if open && code != 200 || !open && (code != 403 || !strings.Contains(body, notice)) {
					t.Errorf("+%v %s %s: status %d, open %v\n%.300s", ph.after, role, p, code, open, body)
				}
			}
			for _, p := range apis {
				code, body, _ := f.api(f.tokens[role], p)
				if open && code != 200 {
					t.Errorf("+%v %s %s: status %d, want 200: %v", ph.after, role, p, code, body)
				}
				if !open {
					ra, _ := body["results_at"].(string)
					msg, _ := body["error"].(string)
					if code != 403 || !day.MatchString(ra) || !strings.Contains(msg, ra) || body["rows"] != nil {
						t.Errorf("+%v %s %s: status %d, want 403 with the day: %v", ph.after, role, p, code, body)
					}
				}
			}
		}
	}
}
