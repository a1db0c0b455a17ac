package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
)

// testClock is an injectable clock for the store and the limits.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// addBulkStudents adds n more students to the fixture's school, in bulk.
func (f *fixture) addBulkStudents(n int) {
	now := f.st.Now()
	var people []store.Person
	var links []store.PersonSchool
	for i := 0; i < n; i++ {
		id := store.NewID()
		f.students = append(f.students, id)
		people = append(people, store.Person{DistrictID: f.district, ID: id, SourcedID: fmt.Sprintf("bulk%d", i), Kind: store.KindStudent, Grade: "05",
			SchoolID: &f.school, Attributes: store.Attrs{}, PreferredLanguage: "en", Active: true, CreatedAt: now, UpdatedAt: now})
		links = append(links, store.PersonSchool{DistrictID: f.district, PersonID: id, SchoolID: f.school})
	}
	must(f.t, f.st.DB.CreateInBatches(people, 200).Error)
	must(f.t, f.st.DB.CreateInBatches(links, 200).Error)
}

// A whole school behind one address (NAT): 600 students start within 5 minutes, 40 of them
// mistype their link first and 40 mistype their class's code first. All 600 finish. Before,
// 20 misses blocked every link from the address for minutes, and the per-address lookup budget
// (30/s) capped the address at about 2.5 whole surveys a second.
func TestSchoolBehindOneAddressAllComplete(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	clk := &testClock{t: f.st.Now()}
	f.st.Now = clk.Now
	f.addBulkStudents(597)
	w, tokens := f.openWave(store.ModeAnonymous, "link", "code")
	code, err := f.waves.IssueCode(context.Background(), f.district, w.ID, f.school, nil)
	must(t, err)
	if len(tokens) != 600 {
		t.Fatalf("%d invitations, want 600", len(tokens))
	}
	pages := 0
	for i, id := range f.students {
		clk.Add(500 * time.Millisecond) // 600 starts spread over 5 minutes
		b := f.browser()
		tok := tokens[id]
		if i%15 == 0 { // 40 mistype their link first: one letter wrong
			wrong := tok[:len(tok)-1] + map[bool]string{true: "b", false: "a"}[tok[len(tok)-1] == 'a']
			if st, _, _ := b.do("GET", "/s/"+wrong, nil); st != http.StatusNotFound && st != http.StatusTooManyRequests {
				t.Fatalf("mistyped link %d: %d", i, st)
			}
		}
		if i%15 == 7 { // 40 mistype the class code first, then type it right
			typo := code[:9] + map[bool]string{true: "Y", false: "X"}[code[9] == 'X'] // never the code itself
			if st, _, _ := b.do("GET", "/j/"+typo, nil); st != http.StatusNotFound && st != http.StatusTooManyRequests {
				t.Fatalf("mistyped code %d: %d", i, st)
			}
			if st, _, _ := b.do("GET", "/j/"+strings.ToLower(code), nil); st != http.StatusOK {
				t.Fatalf("class code after a typo, student %d: %d", i, st)
			}
		}
		st, intro, _ := b.do("GET", "/s/"+tok, nil)
		if st != http.StatusOK {
			t.Fatalf("student %d: intro %d", i, st)
		}
		_ = intro
		if pages == 0 {
			pages = pageCount(t, b, "/s/"+tok)
		}
		b.answerAll("/s/"+tok, pages, func(string) string { return "3" })
	}
	if n := countResponses(t, f, w.ID); n != 600 {
		t.Fatalf("%d responses, want 600", n)
	}
}

// pageCount finds the number of item pages by walking until one is missing.
func pageCount(t *testing.T, b *browser, base string) int {
	t.Helper()
	for p := 1; p < 50; p++ {
		if st, _, _ := b.do("GET", base+"/p/"+itoa(p+1), nil); st != http.StatusOK {
			return p
		}
	}
	t.Fatal("no last page")
	return 0
}

// A guesser of class codes from one address is stopped after its miss budget, while a personal
// link from that address still works and other addresses are not affected.
func TestCodeGuesserIsStopped(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	clk := &testClock{t: f.st.Now()}
	f.st.Now = clk.Now
	w, tokens := f.openWave(store.ModeAnonymous, "link", "code")
	code, err := f.waves.IssueCode(context.Background(), f.district, w.ID, f.school, nil)
	must(t, err)
	b := f.browser()
	looked, refused := 0, 0
	for i := 0; i < 1000; i++ { // 1,000 guesses in 10 minutes
		clk.Add(600 * time.Millisecond)
		switch st, _, _ := b.do("GET", fmt.Sprintf("/j/ZZZZ%06d", i), nil); st {
		case http.StatusNotFound:
			looked++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	// Budget: 30 at once, then 10 a minute: 30 + 100 in 10 minutes (+1 for rounding).
	if looked > 131 || looked < 120 {
		t.Errorf("%d guesses looked up in 10 minutes, want 30 + 100", looked)
	}
	t.Logf("1,000 code guesses from one address in 10 min: %d looked up, %d refused before any lookup", looked, refused)
	// Even the right code is refused to the guessing address until the budget refills...
	if st, _, _ := b.do("GET", "/j/"+code, nil); st != http.StatusTooManyRequests {
		t.Errorf("valid code from the guessing address: %d, want 429", st)
	}
	// ...but a personal link from it is never refused.
	if st, _, _ := b.do("GET", "/s/"+tokens[f.students[0]], nil); st != http.StatusOK {
		t.Errorf("valid link from the guessing address: %d, want 200", st)
	}
}
