package pdf_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/pdf"
)

// BenchmarkPrint prints a two-page document of tables with the browser already running.
func BenchmarkPrint(b *testing.B) {
	p := pdf.New(pdf.Options{Chromium: chromium(b)})
	b.Cleanup(func() { p.Close() })
	var rows strings.Builder
	for i := range 80 {
		rows.WriteString("<tr><th>Trust in teachers</th><td>51.2% favorable (38.6–62.9)</td><td>" + strings.Repeat("x", i%20) + "</td></tr>")
	}
	doc := []byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><h1>Report</h1><table>` + rows.String() + `</table></body></html>`)
	if _, err := p.Print(context.Background(), doc, pdf.A4); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Print(context.Background(), doc, pdf.A4); err != nil {
			b.Fatal(err)
		}
	}
}
