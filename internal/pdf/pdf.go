// Package pdf prints HTML pages to PDF in headless Chromium (Debian's chromium, through the
// DevTools protocol with chromedp). Chromium shapes every script the pages use — Arabic right to
// left, Chinese — with the system's fonts, which a Go PDF library (fpdf) cannot.
//
// One Printer keeps one browser process, started on the first print and stopped after a while
// without prints; at most Workers pages print at once, each in a tab of its own (kept open for
// the next print) with a time limit. A
// page is given as HTML bytes: the printer serves it once, under a random path, from its own
// HTTP server on 127.0.0.1 together with the app's static files (CSS), so the browser loads
// nothing from anywhere else and needs no session. Without Chromium every print fails with
// ErrUnavailable, and callers offer the page for the browser's own print instead.
package pdf

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// Defaults of Options.
const (
	DefaultTimeout     = 20 * time.Second
	DefaultWorkers     = 2
	DefaultIdleTimeout = 5 * time.Minute
	startTimeout       = 30 * time.Second
)

// ErrUnavailable is returned by Print when the browser is missing or does not start.
var ErrUnavailable = errors.New("PDF printing is not available")

// Paper is a sheet size.
type Paper string

// The sheet sizes offered.
const (
	A4     Paper = "a4"
	Letter Paper = "letter"
)

// ParsePaper reads "a4" or "letter" (any case).
func ParsePaper(s string) (Paper, bool) {
	switch p := Paper(strings.ToLower(strings.TrimSpace(s))); p {
	case A4, Letter:
		return p, true
	}
	return "", false
}

func (p Paper) size() chromedp.PaperSize {
	if p == Letter {
		return chromedp.PaperLetter
	}
	return chromedp.PaperA4
}

// Options configure a Printer; zero values take the defaults.
type Options struct {
	Chromium    string        // the browser binary; "" = DefaultChromium
	Timeout     time.Duration // per page, from loading it to the last byte of the PDF
	Workers     int           // pages printed at once
	IdleTimeout time.Duration // the browser stops after this long without a print
	// Assets serves every path but the printer's own documents (the pages' /static/ CSS); nil
	// answers 404.
	Assets http.Handler
	Log    *slog.Logger
}

// Printer prints HTML to PDF. It is safe for concurrent use.
type Printer struct {
	o    Options
	slot chan struct{} // one token per page printing

	mu       sync.Mutex
	base     string // http://127.0.0.1:PORT of the document server; "" until started
	srv      *http.Server
	browser  context.Context // nil until started, and after stopping
	stop     func()
	inFlight int
	free     []*tab // open tabs of the current browser, at most Workers
	idle     *time.Timer
	closed   bool

	docs sync.Map // token -> []byte, while its page prints
}

// New makes a printer; nothing starts until the first Print.
func New(o Options) *Printer {
	if o.Chromium == "" {
		o.Chromium = DefaultChromium
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Printer{o: o, slot: make(chan struct{}, o.Workers)}
}

// Chromium is the browser binary the printer runs.
func (p *Printer) Chromium() string { return p.o.Chromium }

// Available reports whether the browser binary is there (ErrUnavailable, with the path, if not).
func (p *Printer) Available() error {
	fi, err := os.Stat(p.o.Chromium)
	if err != nil || fi.IsDir() {
		return fmt.Errorf("%w: no Chromium at %s (install Debian's chromium package or set TRUSTPULSE_CHROMIUM)", ErrUnavailable, p.o.Chromium)
	}
	return nil
}

// Print loads html (a whole document; its /static/ links are served by Options.Assets) in a
// fresh tab and prints it on paper, with the page's print styles, backgrounds and a tagged PDF
// with an outline of its headings. Scripts do not run.
func (p *Printer) Print(ctx context.Context, html []byte, paper Paper) ([]byte, error) {
	if err := p.Available(); err != nil {
		return nil, err
	}
	select {
	case p.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slot }()
	browser, base, err := p.acquire()
	if err != nil {
		return nil, err
	}
	defer p.release()

	token := newToken()
	p.docs.Store(token, html)
	defer p.docs.Delete(token)

	tb, err := p.tab(browser)
	if err != nil {
		if browser.Err() != nil {
			p.reset(browser)
		}
		return nil, fmt.Errorf("pdf: new tab: %w", err)
	}
	ok := false
	defer func() { p.putTab(tb, ok) }()
	tctx, cancel := context.WithTimeout(tb.ctx, p.o.Timeout)
	defer cancel()
	stopWatch := context.AfterFunc(ctx, cancel) // the request ended: stop printing for it
	defer stopWatch()
	out, err := chromedp.Run(tctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		if _, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			return nil, err
		}
		if _, err := chromedp.Navigate(base+"/doc/"+token)(ctx, t); err != nil {
			return nil, err
		}
		return chromedp.PrintToPDF(chromedp.PDFPaper(paper.size()), chromedp.PDFPrintBackground(), chromedp.PDFOutlineAndTagged(),
			chromedp.PDFMargin(0))(ctx, t) // margins come from the page's @page rule
	})
	if err != nil {
		if browser.Err() != nil { // the browser itself went away: start a new one next time
			p.reset(browser)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(tctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("pdf: printing took longer than %s: %w", p.o.Timeout, err)
		}
		return nil, fmt.Errorf("pdf: %w", err)
	}
	ok = true
	return out, nil
}

// tab is an open tab of one browser, kept between prints: opening one costs more than printing
// a page. Each print loads its own document into it; scripts are off and nothing is stored.
type tab struct {
	ctx     context.Context
	close   context.CancelFunc
	browser context.Context
}

// tab takes a free tab of browser, or opens one.
func (p *Printer) tab(browser context.Context) (*tab, error) {
	p.mu.Lock()
	for len(p.free) > 0 {
		tb := p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		if tb.browser == browser && tb.ctx.Err() == nil {
			p.mu.Unlock()
			return tb, nil
		}
		tb.close()
	}
	p.mu.Unlock()
	ctx, cancel := chromedp.NewContext(browser)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, which lives as long as ctx
		cancel()
		return nil, err
	}
	return &tab{ctx: ctx, close: cancel, browser: browser}, nil
}

// putTab keeps a tab for the next print after a good one, and closes it after a failure.
func (p *Printer) putTab(tb *tab, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ok || p.browser != tb.browser || len(p.free) >= p.o.Workers {
		tb.close()
		return
	}
	p.free = append(p.free, tb)
}

// acquire returns the running browser (starting it and the document server if need be) and
// counts one more page in flight.
func (p *Printer) acquire() (context.Context, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, "", fmt.Errorf("%w: the printer is closed", ErrUnavailable)
	}
	if p.idle != nil {
		p.idle.Stop()
		p.idle = nil
	}
	if p.srv == nil {
		if err := p.serve(); err != nil {
			return nil, "", err
		}
	}
	if p.browser == nil || p.browser.Err() != nil {
		if err := p.start(); err != nil {
			return nil, "", err
		}
	}
	p.inFlight++
	return p.browser, p.base, nil
}

// release counts a page done; the last one arms the idle timer.
func (p *Printer) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	if p.inFlight == 0 && p.browser != nil && !p.closed {
		p.idle = time.AfterFunc(p.o.IdleTimeout, p.stopIdle)
	}
}

func (p *Printer) stopIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inFlight == 0 && p.browser != nil {
		p.o.Log.Info("pdf: stopping the idle browser")
		p.stopBrowser()
	}
}

// reset drops a browser that died, if it is still the current one.
func (p *Printer) reset(browser context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.browser == browser {
		p.o.Log.Warn("pdf: the browser stopped; the next print starts a new one")
		p.stopBrowser()
	}
}

// start runs the browser with the flags the tests use on these machines (no sandbox, which
// needs privileges a container lacks; no GPU; nothing that phones home) and a fresh profile.
func (p *Printer) start() error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(p.o.Chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.CombinedOutput(io.Discard),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser) }() // the first Do starts the browser
	var err error
	select {
	case err = <-started:
	case <-time.After(startTimeout):
		err = fmt.Errorf("no answer within %s", startTimeout)
	}
	if err != nil {
		cancelBrowser()
		cancelAlloc()
		return fmt.Errorf("%w: starting %s: %v", ErrUnavailable, p.o.Chromium, err)
	}
	p.browser = browser
	p.stop = func() { cancelBrowser(); cancelAlloc() }
	p.o.Log.Info("pdf: browser started", "chromium", p.o.Chromium)
	return nil
}

func (p *Printer) stopBrowser() {
	for _, tb := range p.free {
		tb.close()
	}
	p.free = nil
	if p.stop != nil {
		p.stop()
	}
	p.browser, p.stop = nil, nil
}

// serve starts the document server on loopback: /doc/TOKEN is a page being printed (once per
// print, gone when it is done), anything else goes to Options.Assets.
func (p *Printer) serve() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("%w: document server: %v", ErrUnavailable, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /doc/{token}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := p.docs.Load(r.PathValue("token"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(v.([]byte))
	})
	assets := p.o.Assets
	if assets == nil {
		assets = http.NotFoundHandler()
	}
	mux.Handle("/", assets)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	p.base = "http://" + ln.Addr().String()
	go p.srv.Serve(ln)
	return nil
}

// Close stops the browser and the document server; later prints fail.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.idle != nil {
		p.idle.Stop()
	}
	p.stopBrowser()
	if p.srv != nil {
		return p.srv.Close()
	}
	return nil
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
