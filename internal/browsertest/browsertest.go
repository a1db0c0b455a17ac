// Package browsertest runs end-to-end tests in Debian's headless Chromium through chromedp: one
// browser process per test, fresh tabs (each with its own cookies) at a phone-sized viewport, a
// record of every network request a tab makes, and axe-core accessibility checks.
//
// Like testdb, it never skips: without Chromium a test fails and says how to install it.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// EnvChromium names an environment variable that overrides the Chromium binary.
const EnvChromium = "TRUSTPULSE_CHROMIUM"

// InstallHint is what a test prints when it cannot find or start Chromium.
const InstallHint = "The browser tests need Debian's Chromium: apt-get install chromium\n" +
	"(or set " + EnvChromium + " to a Chromium or Chrome binary)."

// Viewport is the phone-sized viewport every tab gets: the narrowest common Android screen.
const (
	ViewportWidth  = 360
	ViewportHeight = 740
)

// StepTimeout bounds each browser action so a stuck page fails the test instead of hanging it.
const StepTimeout = 30 * time.Second

// ExecPath finds Chromium: $TRUSTPULSE_CHROMIUM, then chromium (Debian), chromium-browser, google-chrome on PATH.
func ExecPath() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvChromium, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH")
}

// Browser is one headless Chromium process, ended when its test ends.
type Browser struct {
	ctx context.Context
}

// lockedBuffer collects Chromium's stdout and stderr for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start starts headless Chromium with the flags known to work on these machines (no sandbox as
// root, no GPU, no QUIC, and nothing that phones home: the network is closed) and a fresh profile.
// It fails the test, never skips it, when Chromium is missing or does not start.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := ExecPath()
	if err != nil {
		t.Fatalf("browsertest: %v\n%s", err, InstallHint)
	}
	profile := t.TempDir()
	out := &lockedBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(ViewportWidth, ViewportHeight),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Registered after TempDir, so it runs first: Chromium is gone before its profile is removed.
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }() // the first Run starts the browser; no timeout on it
	select {
	case err = <-started:
	case <-time.After(60 * time.Second):
		err = errors.New("Chromium did not answer within 60s")
	}
	if err != nil {
		t.Fatalf("browsertest: starting %s: %v\nChromium said:\n%s\n%s", path, err, out.String(), InstallHint)
	}
	return &Browser{ctx: ctx}
}

// Request is one network request a tab made.
type Request struct {
	URL  string
	Type network.ResourceType
}

// Tab is one page in its own browser context (own cookies and cache), at the phone viewport.
type Tab struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	requests []Request
	logs     []*cdplog.Entry
	urls     map[network.RequestID]string
	bytes    map[string]float64 // encoded (transferred) bytes by URL, as Chromium counted them
}

// TabOptions change a new tab.
type TabOptions struct {
	// NoScript turns off JavaScript in the page, as a browser with JavaScript disabled would.
	// Tests can still read the DOM through the DevTools protocol.
	NoScript bool
	// Width, when set, makes the tab a desktop window that wide (900 px high); unset, the tab is
	// a phone (ViewportWidth). See Widths.
	Width int
}

// Widths are the widths a page is checked at: a phone's and a desktop's.
var Widths = []int{ViewportWidth, 1280}

// NewTab opens a tab with its own cookie jar. It is closed when t ends.
func (b *Browser) NewTab(t testing.TB, o TabOptions) *Tab {
	t.Helper()
	tab := &Tab{t: t, urls: map[network.RequestID]string{}, bytes: map[string]float64{}}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tab.record))
	t.Cleanup(cancel)
	tab.ctx = ctx
	if err := chromedp.Do(ctx); err != nil { // opens the tab; bound to ctx, so no timeout here
		t.Fatalf("browsertest: new tab: %v", err)
	}
	if o.Width > 0 && o.Width != ViewportWidth {
		tab.Do(chromedp.EmulateViewport(int64(o.Width), 900))
	} else {
		tab.Do(chromedp.EmulateViewport(ViewportWidth, ViewportHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	}
	if o.NoScript {
		tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	return tab
}

// record runs in the tab's event loop: it must return fast and send no command.
func (tab *Tab) record(ev any) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		tab.requests = append(tab.requests, Request{URL: ev.Request.URL, Type: ev.Type})
		tab.urls[ev.RequestID] = ev.Request.URL
	case *network.EventLoadingFinished:
		if u, ok := tab.urls[ev.RequestID]; ok {
			tab.bytes[u] = ev.EncodedDataLength
		}
	case *cdplog.EventEntryAdded:
		tab.logs = append(tab.logs, ev.Entry)
	}
}

// Context is the tab's chromedp context, for actions the helpers do not cover.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Do runs actions with a per-step timeout and fails the test on error.
func (tab *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tab.t.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates a JavaScript expression and decodes its value (the page's scripts may be off;
// DevTools evaluation still works).
func Eval[T any](tab *Tab, expr string, opts ...chromedp.EvaluateOption) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tab.t.Fatalf("browsertest: evaluate %.80q: %v", expr, err)
	}
	return v
}

// Run runs one action that returns a value, with the step timeout, and fails the test on error.
func Run[T any](tab *Tab, a chromedp.Action[T]) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tab.t.Fatalf("browsertest: %v", err)
	}
	return v
}

// Open navigates to url and returns the HTTP status of the document.
func (tab *Tab) Open(url string) int {
	tab.t.Helper()
	resp := Run(tab, chromedp.NavigateResponse(url))
	return int(resp.Status)
}

// Follow runs steps that navigate (a click on a link or a submit button), waits for the new page
// to load and returns its HTTP status.
func (tab *Tab) Follow(steps ...chromedp.Action[chromedp.Void]) int {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, StepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		tab.t.Fatalf("browsertest: %v", err)
	}
	return int(resp.Status)
}

// ClickCSS clicks the first element matching a CSS selector once it is in the DOM. It needs no
// script in the page: it finds the element and its box through the DOM domain and sends a real
// mouse click, as a person would.
func ClickCSS(selector string) chromedp.Action[chromedp.Void] {
	return chromedp.Query(chromedp.CSS(selector), chromedp.NodeReady, chromedp.After(
		func(ctx context.Context, tg *chromedp.Target, nodes []*chromedp.Node) error {
			if len(nodes) == 0 {
				return fmt.Errorf("no element matches %s", selector)
			}
			_, err := chromedp.MouseClickNode(nodes[0])(ctx, tg)
			return err
		}))
}

// Location is the URL of the page now shown.
func (tab *Tab) Location() string {
	tab.t.Helper()
	return Run(tab, chromedp.Location())
}

// Requests are the network requests the tab has made so far.
func (tab *Tab) Requests() []Request {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]Request(nil), tab.requests...)
}

// Transferred is the bytes Chromium received for url (headers and compressed body), or -1.
func (tab *Tab) Transferred(url string) float64 {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	if n, ok := tab.bytes[url]; ok {
		return n
	}
	return -1
}

// Logs are the browser log entries (CSP violations, failed loads, ...) the tab has seen so far.
func (tab *Tab) Logs() []*cdplog.Entry {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]*cdplog.Entry(nil), tab.logs...)
}

// AssertSameOrigin fails the test when the tab requested anything outside origin, or a font.
func (tab *Tab) AssertSameOrigin(origin string) {
	tab.t.Helper()
	prefix := strings.TrimSuffix(origin, "/") + "/"
	for _, r := range tab.Requests() {
		if !strings.HasPrefix(r.URL, prefix) {
			tab.t.Errorf("request to another origin: %s (%s); pages must load nothing from elsewhere", r.URL, r.Type)
		}
		if r.Type == network.ResourceTypeFont {
			tab.t.Errorf("font request %s: pages must use system fonts only", r.URL)
		}
	}
}

// EnvScreenshots names an environment variable: when set to a directory, Screenshot saves PNGs there.
const EnvScreenshots = "TRUSTPULSE_SCREENSHOTS"

// Screenshot saves a full-page PNG named after page into $TRUSTPULSE_SCREENSHOTS, when it is set,
// so a person can look at what the test saw. It does nothing otherwise.
func (tab *Tab) Screenshot(page string) {
	tab.t.Helper()
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		return
	}
	png := Run(tab, chromedp.FullScreenshot(100))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, tab.t.Name()+"-"+page)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tab.t.Errorf("browsertest: screenshot: %v", err)
	}
}

// AssertFits fails the test when page scrolls sideways at the tab's width, naming the first
// elements that stick out (outside tables and .scroll boxes, which scroll on their own).
func (tab *Tab) AssertFits(page string) {
	tab.t.Helper()
	if w := Eval[[]int](tab, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		wide := Eval[[]string](tab, `[...document.querySelectorAll('body *')].filter(e => !e.closest('table, .scroll') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))`)
		tab.t.Errorf("%s scrolls sideways at %dpx: %v %v", page, w[1], w, wide)
	}
}
