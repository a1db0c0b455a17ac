package pdf_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/pdf"
	"github.com/trustpulse/trustpulse/internal/pdf/pdftest"
)

// chromium is the browser the tests print with: the browser tests' (TRUSTPULSE_CHROMIUM, then
// chromium on PATH). Like them, a test fails without it.
func chromium(t testing.TB) string {
	t.Helper()
	path, err := browsertest.ExecPath()
	if err != nil {
		t.Fatalf("%v\n%s", err, browsertest.InstallHint)
	}
	return path
}

const page = `<!doctype html><html lang="%s" dir="%s"><head><meta charset="utf-8"><title>t</title>
<link rel="stylesheet" href="/static/p.css"></head><body><h1>%s</h1><p class="big">%s</p></body></html>`

func doc(lang, dir, h1, p string) []byte {
	out := page
	for _, s := range []string{lang, dir, h1, p} {
		out = strings.Replace(out, "%s", s, 1)
	}
	return []byte(out)
}

// TestPrintShapesEveryScript prints English, Arabic (right to left) and Chinese pages with the
// system's fonts, loading their CSS from Assets, and reads them back: pdftotext finds the text in
// its script, the page is A4 or Letter as asked, is not blank, and Arabic's ink sits on the right.
func TestPrintShapesEveryScript(t *testing.T) {
	var cssLoads atomic.Int32
	static := http.FileServerFS(fstest.MapFS{"p.css": {Data: []byte(`@page{margin:15mm} body{font-family:sans-serif} .big{font-size:28pt}`)}})
	assets := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cssLoads.Add(1)
		http.StripPrefix("/static/", static).ServeHTTP(w, r)
	})
	p := pdf.New(pdf.Options{Chromium: chromium(t), Assets: assets})
	t.Cleanup(func() { p.Close() })
	tests := []struct {
		name, lang, dir, h1, body string
		paper                     pdf.Paper
		size                      string
	}{
		{"english", "en", "ltr", "Adams Elementary", "Most families (72%) say staff treat them with respect.", pdf.Letter, "612 x 792 pts (letter)"},
		{"arabic", "ar", "rtl", "مدرسة آدامز", "ثقة الأسر بالمدرسة والعائلات", pdf.A4, "595.92 x 841.92 pts (A4)"},
		{"chinese", "zh-Hans", "ltr", "亚当斯小学", "家庭对学校的信任", pdf.A4, "595.92 x 841.92 pts (A4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := p.Print(context.Background(), doc(tt.lang, tt.dir, tt.h1, tt.body), tt.paper)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), "%PDF-") {
				t.Fatalf("not a PDF: %.20q", out)
			}
			text := pdftest.Text(t, out)
			for _, want := range []string{tt.h1, tt.body} {
				if !strings.Contains(pdftest.Words(text), pdftest.AsExtracted(want)) {
					t.Errorf("pdftotext does not find %q in:\n%s", want, text)
				}
			}
			if got := pdftest.Info(t, out)["Page size"]; got != tt.size {
				t.Errorf("page size %q, want %q", got, tt.size)
			}
			_, img := pdftest.FirstPage(t, out, 50, "pdf-"+tt.name)
			ink := pdftest.Ink(img)
			if ink < 0.002 {
				t.Errorf("page 1 is blank (%.4f of pixels inked)", ink)
			}
			left, right := pdftest.InkIn(img, 0, 0.5), pdftest.InkIn(img, 0.5, 1)
			if tt.dir == "rtl" && right <= 2*left {
				t.Errorf("right-to-left page: ink left %.4f, right %.4f: the text is not set from the right", left, right)
			}
			if tt.dir == "ltr" && left <= right {
				t.Errorf("left-to-right page: ink left %.4f, right %.4f", left, right)
			}
		})
	}
	if cssLoads.Load() == 0 {
		t.Error("the pages' CSS was never loaded from Assets")
	}
}

// TestPrintConcurrently: more prints than workers share one browser and all finish.
func TestPrintConcurrently(t *testing.T) {
	p := pdf.New(pdf.Options{Chromium: chromium(t), Workers: 2})
	t.Cleanup(func() { p.Close() })
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := p.Print(context.Background(), doc("en", "ltr", "Page", strings.Repeat("x", i+1)), pdf.A4)
			if err == nil && len(out) < 500 {
				err = errors.New("tiny PDF")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestPrintTimesOut: a page whose CSS never arrives stops at the time limit with a clear error,
// and the printer still prints the next page.
func TestPrintTimesOut(t *testing.T) {
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/static/p.css" {
			<-r.Context().Done()
		}
	})
	p := pdf.New(pdf.Options{Chromium: chromium(t), Timeout: 2 * time.Second, Assets: hang})
	t.Cleanup(func() { p.Close() })
	start := time.Now()
	_, err := p.Print(context.Background(), doc("en", "ltr", "Slow", "never loads"), pdf.A4)
	if err == nil || !strings.Contains(err.Error(), "longer than 2s") {
		t.Errorf("slow page: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the slow page took %s", d)
	}
	if _, err := p.Print(context.Background(), []byte(`<!doctype html><title>t</title><p>fine`), pdf.A4); err != nil {
		t.Errorf("after a timeout: %v", err)
	}
}

// TestPrintWithoutChromium: a missing browser is ErrUnavailable, naming the path, at once.
func TestPrintWithoutChromium(t *testing.T) {
	p := pdf.New(pdf.Options{Chromium: "/nonexistent/chromium"})
	_, err := p.Print(context.Background(), doc("en", "ltr", "x", "y"), pdf.A4)
	if !errors.Is(err, pdf.ErrUnavailable) || !strings.Contains(err.Error(), "/nonexistent/chromium") {
		t.Errorf("err = %v", err)
	}
	if p.Available() == nil {
		t.Error("Available: nil")
	}
}

func TestParsePaper(t *testing.T) {
	for in, want := range map[string]pdf.Paper{"a4": pdf.A4, "A4": pdf.A4, "letter": pdf.Letter, " Letter ": pdf.Letter} {
		if got, ok := pdf.ParsePaper(in); !ok || got != want {
			t.Errorf("ParsePaper(%q) = %q %v", in, got, ok)
		}
	}
	if _, ok := pdf.ParsePaper("legal"); ok {
		t.Error("legal accepted")
	}
}
