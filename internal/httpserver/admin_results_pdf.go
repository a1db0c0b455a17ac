package httpserver

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/pdf"
	"github.com/trustpulse/trustpulse/web"
)

// The printable reports are HTML pages with print styles; ?format=pdf prints the same page in
// headless Chromium (internal/pdf) on A4 or Letter (?paper=a4|letter, Letter by default). The
// page is rendered here, without the menus or the viewer's account, and handed to the printer,
// which loads it and the static CSS from its own loopback server.

// newPrinter is the PDF printer over the configured Chromium, serving the app's static files.
// Nothing starts until the first PDF; Server.Close stops the browser.
func newPrinter(d Deps) *pdf.Printer {
	return pdf.New(pdf.Options{Chromium: d.Config.Chromium, Assets: newPrinterAssets(), Log: d.Log})
}

// newPrinterAssets serves the static files to the printer's browser.
func newPrinterAssets() http.Handler {
	static, _ := fs.Sub(web.FS, "static")
	assets := http.NewServeMux()
	assets.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	return assets
}

// Close stops what the server started beside HTTP: the PDF printer's browser.
func (s *Server) Close() error {
	return s.pdf.Close()
}

// paper is the sheet size a PDF request asks for: ?paper=a4|letter, Letter when absent.
func paper(c echo.Context) (pdf.Paper, error) {
	q := c.QueryParam("paper")
	if q == "" {
		return pdf.Letter, nil
	}
	p, ok := pdf.ParsePaper(q)
	if !ok {
		return "", staffErr(http.StatusBadRequest, "http_error.pdf_paper", "paper must be a4 or letter.")
	}
	return p, nil
}

// resultsHTML renders a dashboard page as the document to print: no menus, no account, no
// language switch.
func (s *Server) resultsHTML(rc *resultsCtx, page, title string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := s.resultsPages.execute(&buf, page, resultsView{Lang: rc.d.lang, Dir: rc.d.l.Dir(), Title: title, D: data}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sendPDF prints doc and sends it as NAME.pdf, after recording the download in the audit log
// like every export. Without Chromium it answers 503 saying so and pointing to the page itself,
// which prints from the browser.
func (s *Server) sendPDF(c echo.Context, p *auth.Principal, doc []byte, name string) error {
	sheet, err := paper(c)
	if err != nil {
		return err
	}
	if err := s.pdf.Available(); err != nil {
		return pdfUnavailable(c, err)
	}
	if err := s.Auth.AuditBy(c.Request().Context(), p, auth.ActionExport, c.Request().URL.Path, "pdf "+c.Request().URL.RawQuery, c.RealIP()); err != nil {
		return fmt.Errorf("pdf export: %w", err)
	}
	out, err := s.pdf.Print(c.Request().Context(), doc, sheet)
	if errors.Is(err, pdf.ErrUnavailable) {
		return pdfUnavailable(c, err)
	}
	if err != nil {
		return fmt.Errorf("pdf %s: %w", c.Request().URL.Path, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("inline", map[string]string{"filename": cmp.Or(fileSlug(name), "report") + ".pdf"}))
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/pdf", out)
}

// pdfUnavailable is the 503 of a PDF request on a server without a working Chromium: what is
// missing, and that the page prints from the browser as it is.
func pdfUnavailable(c echo.Context, cause error) error {
	q := c.QueryParams()
	q.Del("format")
	q.Del("paper")
	page := c.Request().URL.Path
	if len(q) > 0 {
		page += "?" + q.Encode()
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusServiceUnavailable, cause.Error()+".\nThe report still prints from your browser: open "+page+" and use Print.\n")
}
