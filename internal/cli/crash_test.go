package cli_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

// crashAnswers is submission i's answers to student-pulse's 13 items: i in base 4 over the first
// five, so every submission is told apart in responses, where nothing else names it.
func crashAnswers(i int) string {
	b := []byte("0000000000000")
	for j := 0; j < 5; j++ {
		b[j] = byte('0' + i%4)
		i /= 4
	}
	return string(b)
}

// TestKillNineLosesNoAcknowledgedAnswer runs the real binary (`serve`, on PostgreSQL) and has
// clients answer an anonymous wave over HTTP while the server is killed with SIGKILL at random
// moments — during submissions, and right after a start, when the mixer moves the ballots left
// waiting by the rounds before — then restarted; a client whose submission got no answer tries
// again after the restart, as a person would. At the end the wave closes and the mixer empties
// the ballot box. Every submission that got its thank-you redirect is in responses exactly once,
// none twice, and every used invitation has exactly one response: 0 lost, 0 duplicated.
func TestKillNineLosesNoAcknowledgedAnswer(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "trustpulse")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/trustpulse")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := context.Background()
	st := testdb.Postgres(t)
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	waves := &wave.Service{Store: st, Surveys: cat}
	district := testdb.NewDistrict(t, st)
	now := st.Now()
	school := store.NewID()
	must(t, st.DB.Create(&store.School{DistrictID: district, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	const n = 60
	for i := range n {
		p := store.Person{DistrictID: district, ID: store.NewID(), SourcedID: fmt.Sprint("p", i), Kind: store.KindStudent, Grade: "07", SchoolID: &school,
			Attributes: store.Attrs{}, Active: true, CreatedAt: now, UpdatedAt: now}
		must(t, st.DB.Create(&p).Error)
		must(t, st.DB.Create(&store.PersonSchool{DistrictID: district, PersonID: p.ID, SchoolID: school}).Error)
	}
	w, err := waves.Create(ctx, wave.Spec{DistrictID: district, Name: "crash", InstrumentID: "student-pulse", InstrumentVersion: 1,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour)})
	must(t, err)
	must(t, waves.SetStatus(ctx, district, w.ID, store.StatusOpen))
	issued, err := waves.Invite(ctx, district, w.ID)
	must(t, err)
	if len(issued) != n {
		t.Fatalf("issued %d", len(issued))
	}

	acked := make([]bool, n)  // got the thank-you redirect
	stored := make([]bool, n) // found used on a retry: stored by an attempt that got no answer
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	kills, mixStarts := 0, 0
	for round := 0; round < 40; round++ {
		var todo []int
		for i := range n {
			if !acked[i] && !stored[i] {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 && kills >= 8 {
			break
		}
		var waiting int64
		must(t, st.DB.Model(&store.Ballot{}).Where("district_id = ?", district).Count(&waiting).Error)
		if waiting >= wave.DefaultMixMinBatch {
			mixStarts++ // the new server's first mixer round has these to move when it is killed
		}
		cmd, base := startBinary(t, bin)
		// Kill soon after the start (the mixer's first round runs then) or later, mid-submissions.
		killAfter := time.Duration(rng.IntN(1200)) * time.Millisecond
		if round%2 == 1 || len(todo) == 0 {
			killAfter = time.Duration(rng.IntN(150)) * time.Millisecond // while the first mixer round runs
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := make(chan int, len(todo))
		for _, i := range todo {
			next <- i
		}
		close(next)
		for range 4 {
			wg.Go(func() {
				for i := range next {
					switch crashSubmit(base, issued[i].Token, i) {
					case "thanks":
						mu.Lock()
						acked[i] = true
						mu.Unlock()
					case "used":
						mu.Lock()
						stored[i] = true
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(killAfter) // the moment of the crash, not synchronisation: any moment will do
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		kills++
		wg.Wait()
	}
	if kills < 6 {
		t.Fatalf("only %d kills", kills)
	}

	// The wave closes: the mixer now takes every ballot left, however few.
	must(t, waves.SetStatus(ctx, district, w.ID, store.StatusClosed))
	// A killed server's batch stays locked until PostgreSQL notices it gone and rolls it back;
	// Mix skips locked ballots, so it goes again until none is left (or it is clearly stuck).
	var ballots int64
	for try := 0; try < 1000; try++ {
		_, err = waves.Mix(ctx)
		must(t, err)
		must(t, st.DB.Model(&store.Ballot{}).Where("district_id = ?", district).Count(&ballots).Error)
		if ballots == 0 {
			break
		}
	}
	var rs []store.Response
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", district, w.ID).Find(&rs).Error)
	var used int64
	must(t, st.DB.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ? AND completed_at IS NOT NULL", district, w.ID).Count(&used).Error)
	count := map[string]int{}
	for _, r := range rs {
		count[r.Answers]++
	}
	lost, dup, ackedN := 0, 0, 0
	for i := range n {
		c := count[crashAnswers(i)]
		if acked[i] {
			ackedN++
			if c == 0 {
				lost++
			}
		}
		if c > 1 {
			dup++
		}
	}
	t.Logf("%d kills (%d of them of a server started with a batch of ballots to mix); %d of %d submissions acknowledged, %d stored without an answer to the client; %d responses, %d invitations used, %d ballots left",
		kills, mixStarts, ackedN, n, len(stored)-countFalse(stored), len(rs), used, ballots)
	if lost != 0 || dup != 0 || int64(len(rs)) != used || ballots != 0 || ackedN == 0 {
		t.Fatalf("%d acknowledged answers lost, %d duplicated; %d responses for %d used invitations; %d ballots left", lost, dup, len(rs), used, ballots)
	}
}

func countFalse(b []bool) int {
	k := 0
	for _, v := range b {
		if !v {
			k++
		}
	}
	return k
}

// startBinary starts `trustpulse serve` on the package database and returns it once it listens.
func startBinary(t *testing.T, bin string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", testdb.URL(t))
	// Each client comes through "a proxy" with its own address, so the per-address rate limits
	// (meant for one guesser) do not slow the test's many respondents.
	cmd.Env = append(os.Environ(), "TRUSTPULSE_TRUSTED_PROXIES=127.0.0.1/32", "TRUSTPULSE_LOG_LEVEL=info")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
			return cmd, "http://" + m[1]
		}
	}
	t.Fatalf("binary did not start: %s", stderr.String())
	return nil, ""
}

const crashCSRF = "crashcsrftoken0123456789abcdefgh"

var noRedirect = &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// crashSubmit answers the four pages and submits for invitation i: "thanks" when the submit was
// acknowledged (303 to the thank-you page), "used" when the link was already used (an earlier
// attempt was stored), "" when the server went away or refused.
func crashSubmit(base, token string, i int) string {
	answers := crashAnswers(i)
	ids := []string{"st-listen", "st-explain", "st-care", "st-promise", "pb-friends", "pb-kind", "pb-get-along",
		"pb-join-in", "sb-belong", "sb-happy", "sb-known", "sb-proud", "ac-adult"}
	post := func(path string, form url.Values) (int, string) {
		form.Set("_csrf", crashCSRF)
		req, err := http.NewRequest("POST", base+"/s/"+token+path, strings.NewReader(form.Encode()))
		if err != nil {
			return 0, ""
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i%250+1))
		req.AddCookie(&http.Cookie{Name: "_csrf", Value: crashCSRF})
		resp, err := noRedirect.Do(req)
		if err != nil {
			return 0, ""
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	for p := 1; p <= 4; p++ {
		form := url.Values{"nav": {"next"}}
		for j, id := range ids {
			form.Set("q_"+id, answers[j:j+1])
		}
		code, _ := post(fmt.Sprintf("/p/%d", p), form)
		if code == http.StatusGone {
			return "used"
		}
		if code != http.StatusSeeOther {
			return ""
		}
	}
	code, loc := post("/submit", url.Values{})
	switch {
	case code == http.StatusSeeOther && strings.Contains(loc, "/thanks"):
		return "thanks"
	case code == http.StatusGone:
		return "used"
	}
	return ""
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
