// Package pdftest reads PDFs in tests the way a person would: the text a viewer finds in them
// (poppler's pdftotext) and what a page looks like (pdftoppm renders it to PNG). Like the
// browser tests it never skips: without poppler-utils a test fails and says how to install it.
package pdftest

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// InstallHint is what a test prints when poppler's tools are missing.
const InstallHint = "The PDF tests read PDFs with poppler: apt-get install poppler-utils"

func write(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("pdftest: %v\n%s", err, InstallHint)
	}
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("pdftest: %s: %v\n%s", name, err, msg)
	}
	return out
}

// Text is the PDF's text as pdftotext extracts it (UTF-8), pages separated by form feeds.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	return string(run(t, "pdftotext", "-enc", "UTF-8", write(t, pdf), "-"))
}

// Info is pdfinfo's fields ("Pages", "Page size", "Tagged", ...).
func Info(t testing.TB, pdf []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(string(run(t, "pdfinfo", write(t, pdf))), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// Pages is the PDF's page count.
func Pages(t testing.TB, pdf []byte) int {
	t.Helper()
	n, err := strconv.Atoi(Info(t, pdf)["Pages"])
	if err != nil {
		t.Fatalf("pdftest: page count: %v", err)
	}
	return n
}

// FirstPage renders page 1 to PNG at dpi and returns the PNG and its decoded image. With
// $TRUSTPULSE_SCREENSHOTS set, the PNG is also saved there as NAME.png for a person to look at.
func FirstPage(t testing.TB, pdf []byte, dpi int, name string) ([]byte, image.Image) {
	t.Helper()
	dir := t.TempDir()
	run(t, "pdftoppm", "-png", "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-singlefile", write(t, pdf), filepath.Join(dir, "page"))
	data, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("pdftest: decode page 1: %v", err)
	}
	if shots := os.Getenv("TRUSTPULSE_SCREENSHOTS"); shots != "" && name != "" {
		if err := os.WriteFile(filepath.Join(shots, name+".png"), data, 0o644); err != nil {
			t.Errorf("pdftest: %v", err)
		}
	}
	return data, img
}

// Ink is the share of an image's pixels that are not (near) white: 0 for a blank page.
func Ink(img image.Image) float64 {
	b := img.Bounds()
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				inked++
			}
		}
	}
	return float64(inked) / float64(b.Dx()*b.Dy())
}

// InkIn is Ink over the part of the image between the fractions x0..x1 of its width (0 left).
func InkIn(img image.Image, x0, x1 float64) float64 {
	b := img.Bounds()
	sub := image.Rect(b.Min.X+int(x0*float64(b.Dx())), b.Min.Y, b.Min.X+int(x1*float64(b.Dx())), b.Max.Y)
	if si, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return Ink(si.SubImage(sub))
	}
	return Ink(img)
}

// Words is text with runs of white space as one space and without the bidirectional embedding
// marks pdftotext puts around right-to-left lines. Compare it with AsExtracted(want).
func Words(text string) string {
	text = strings.Map(func(r rune) rune {
		switch r {
		case '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u200e', '\u200f', '\u2066', '\u2067', '\u2068', '\u2069':
			return -1
		}
		return r
	}, text)
	return strings.Join(strings.Fields(text), " ")
}

// lamAlef is how pdftotext writes Arabic's lam–alef ligatures back: the two letters of a
// ligature glyph come out in visual order, alef first ("الأسر" reads "األسر").
var lamAlef = strings.NewReplacer("لا", "ال", "لأ", "أل", "لإ", "إل", "لآ", "آل")

// AsExtracted is how pdftotext writes s back (see lamAlef), through Words.
func AsExtracted(s string) string { return Words(lamAlef.Replace(s)) }
