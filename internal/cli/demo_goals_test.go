package cli_test

import (
	"context"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/report"
)

// demoGoals: the demo's first school has a goal that was met and one that was not, both judged
// on the latest past student wave and due, each with actions; the counselor reads them.
func demoGoals(t *testing.T, path string) {
	t.Helper()
	s, cat := openDemo(t, path)
	c, school := demoCounselor(t, s)
	svc := &goals.Service{Store: s, Surveys: cat, Results: &report.Service{Store: s, Surveys: cat}}
	pg, err := svc.Goals(context.Background(), goals.Viewer{DistrictID: c.DistrictID, UserID: c.ID, Role: auth.Counselor, Schools: []int64{school}}, school, "")
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]int{}
	for _, g := range pg.Goals {
		verdicts[g.Verdict]++
		if !g.Final || len(g.Actions) != 2 || len(g.Series) < 3 {
			t.Errorf("demo goal %q: final %v, %d actions, %d waves", g.Text, g.Final, len(g.Actions), len(g.Series))
		}
		t.Logf("demo goal %q: %s, change %+v", g.Text, g.Verdict, g.Change)
	}
	if verdicts[goals.Met] != 1 || verdicts[goals.NotMet] != 1 {
		t.Fatalf("demo goals: %v", verdicts)
	}
}
