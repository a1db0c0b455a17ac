package httpserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A guesser on the school's own address (the test server sees everyone as 127.0.0.1) spends the
// address's budget and sets the account's wait; the owner's browser, known from an earlier
// sign-in, still signs in.
func TestGuesserOnTheSameAddressDoesNotKeepTheOwnerOut(t *testing.T) {
	f := newAdminFixture(t)
	owner := f.signIn("leaderA")
	var known bool
	u, _ := url.Parse(f.srv.URL + "/login")
	for _, ck := range owner.c.Jar.Cookies(u) {
		known = known || ck.Name == "tp_device"
	}
	if !known {
		t.Fatal("sign-in set no device cookie")
	}
	attacker := f.browser()
	_, page, _ := attacker.do("GET", "/login", nil)
	csrf := csrfOf(t, page)
	codes := map[int]int{}
	for i := 0; i < 60; i++ {
		code, body, _ := attacker.do("POST", "/login", url.Values{"_csrf": {csrf}, "email": {f.email("leaderA")}, "password": {"wrong guess"}})
		codes[code]++
		if code == http.StatusOK || code == http.StatusSeeOther {
			t.Fatalf("guess %d signed in: %d %s", i, code, body)
		}
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("the address was never limited: %v", codes)
	}
	// The owner's known browser signs in although the address and the account are both limited.
	_, page, _ = owner.do("GET", "/login", nil)
	code, _, h := owner.do("POST", "/login", url.Values{"_csrf": {csrfOf(t, page)}, "email": {f.email("leaderA")}, "password": {staffPassword}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin" {
		t.Fatalf("owner on known device: %d to %q", code, h.Get("Location"))
	}
	// A new browser on that address, even with the right password, waits (address limit first).
	fresh := f.browser()
	_, page, _ = fresh.do("GET", "/login", nil)
	code, body, _ := fresh.do("POST", "/login", url.Values{"_csrf": {csrfOf(t, page)}, "email": {f.email("leaderA")}, "password": {staffPassword}})
	if (code != http.StatusTooManyRequests && code != http.StatusUnauthorized) || !strings.Contains(body, "device you") {
		t.Fatalf("new browser during the wait: %d", code)
	}
}
