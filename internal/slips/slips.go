// Package slips lays out printed link slips as a PDF: a teacher's cover sheet, then eight slips a
// page (two columns of four, with dashed cut lines), each with a name, a personal code and a QR
// code of the personal link. It knows nothing of waves or the database: the caller passes texts
// already translated, so the layout is a pure function of its input.
package slips

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
	"rsc.io/qr"
)

// Size is a paper size. The slip grid (190 × 260 mm) fits inside both and is centred on each, so
// one layout serves schools on either paper.
type Size string

const (
	A4     Size = "A4"
	Letter Size = "Letter"
)

// ParseSize accepts the paper sizes a form offers; anything else is A4's neighbour, Letter, only
// when asked for by name.
func ParseSize(s string) (Size, error) {
	switch s {
	case "", "a4", "A4":
		return A4, nil
	case "letter", "Letter":
		return Letter, nil
	}
	return "", fmt.Errorf("paper size %q: want A4 or Letter", s)
}

// Cover is the teacher's sheet printed before a group's slips.
type Cover struct {
	Title      string   // e.g. "Survey slips: Lincoln Elementary, Room 12"
	Subtitle   string   // the wave
	Steps      []string // how to run it in 10 minutes
	ListTitle  string   // e.g. "Not answered yet: 3 of 24"
	Names      []string // who has not answered yet
	Note       string   // e.g. that printing again replaces these slips
	EmptyNames string   // shown when Names is empty
}

// Slip is one person's slip, in their language.
type Slip struct {
	Header       string // school and homeroom
	Name         string
	Instructions string // scan the QR code, or go to the address and type the code
	CodeLabel    string
	Code         string
	Private      string // this code is just for you
	Link         string // the personal link, drawn as the QR code
}

// Document is one print: cover sheets and slips in order. Each Group starts on a new page.
type Document struct {
	Title  string
	Groups []Group
}

// Group is one cover sheet and the slips that follow it.
type Group struct {
	Cover Cover
	Slips []Slip
}

const (
	gridW, gridH = 190.0, 260.0 // mm: fits A4 (210 × 297) and Letter (215.9 × 279.4)
	cols, rows   = 2, 4
	slipW, slipH = gridW / cols, gridH / rows
	pad          = 5.0
	qrSide       = 34.0
)

// Coverage tells which texts the PDF's fonts can draw.
type Coverage struct {
	font *sfnt.Font
	buf  sfnt.Buffer
}

// NewCoverage parses the PDF's text font. A Coverage is not safe for concurrent use.
func NewCoverage() (*Coverage, error) {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse font: %w", err)
	}
	return &Coverage{font: f}, nil
}

// Covers reports whether the PDF's fonts draw every letter of s. The Go fonts cover Latin (with
// Vietnamese), Greek and Cyrillic; a text in another script (Arabic, Chinese) must be printed
// from the browser instead, where the reader's fonts and shaping apply.
func (c *Coverage) Covers(s string) bool {
	for _, r := range s {
		if !c.has(r) {
			return false
		}
	}
	return true
}

func (c *Coverage) has(r rune) bool {
	if r < 0x20 {
		return true
	}
	g, err := c.font.GlyphIndex(&c.buf, r)
	return err == nil && g != 0
}

// Fit is s as the PDF's fonts can draw it: a letter they lack loses accents from the outside in
// until they have it ("Nguyễn" becomes "Nguyên"), and a letter of another script becomes "?".
// Names are printed this way on PDF slips; the browser's print page shows them exactly.
func (c *Coverage) Fit(s string) string {
	if c.Covers(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if c.has(r) {
			b.WriteRune(r)
			continue
		}
		d := []rune(norm.NFD.String(string(r)))
		fitted := "?"
		for n := len(d) - 1; n >= 1; n-- {
			if cand := []rune(norm.NFC.String(string(d[:n]))); len(cand) == 1 && c.has(cand[0]) {
				fitted = string(cand)
				break
			}
		}
		b.WriteString(fitted)
	}
	return b.String()
}

// Write renders doc as a PDF on paper of size to w, dated created.
func Write(w io.Writer, doc Document, size Size, created time.Time) error {
	pdf := fpdf.New("P", "mm", string(size), "")
	pdf.SetCatalogSort(true) // fonts and images listed in a fixed order
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetTitle(doc.Title, true)
	pdf.SetCreator("TrustPulse", true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("gomono", "B", gomonobold.TTF)
	pw, ph := pdf.GetPageSize()
	left, top := (pw-gridW)/2, (ph-gridH)/2
	pdf.SetMargins(left, top, left)
	qrN := 0
	for _, g := range doc.Groups {
		cover(pdf, g.Cover, left, top)
		for i, s := range g.Slips {
			if i%(cols*rows) == 0 {
				pdf.AddPage()
				cutLines(pdf, left, top)
			}
			cell := i % (cols * rows)
			x, y := left+float64(cell%cols)*slipW, top+float64(cell/cols)*slipH
			qrN++
			if err := slip(pdf, s, x, y, "qr"+strconv.Itoa(qrN)); err != nil {
				return err
			}
		}
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("lay out slips: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write slips PDF: %w", err)
	}
	return nil
}

func cover(pdf *fpdf.Fpdf, c Cover, left, top float64) {
	pdf.AddPage()
	pdf.SetXY(left, top)
	pdf.SetFont("go", "B", 18)
	pdf.MultiCell(gridW, 8, c.Title, "", "L", false)
	pdf.SetFont("go", "", 11)
	pdf.MultiCell(gridW, 6, c.Subtitle, "", "L", false)
	pdf.Ln(4)
	for i, step := range c.Steps {
		pdf.SetFont("go", "B", 11)
		pdf.CellFormat(8, 6, strconv.Itoa(i+1)+".", "", 0, "L", false, 0, "")
		pdf.SetFont("go", "", 11)
		pdf.MultiCell(gridW-8, 6, step, "", "L", false)
		pdf.Ln(1)
	}
	pdf.Ln(4)
	pdf.SetFont("go", "B", 13)
	pdf.MultiCell(gridW, 7, c.ListTitle, "", "L", false)
	pdf.SetFont("go", "", 11)
	if len(c.Names) == 0 {
		pdf.MultiCell(gridW, 6, c.EmptyNames, "", "L", false)
	}
	// Names in two columns; a long list continues on further pages.
	const colW, lineH = gridW / 2, 6.0
	x0, y := pdf.GetX(), pdf.GetY()
	bottom := top + gridH - 12
	for i := 0; i < len(c.Names); {
		for col := 0; col < 2 && i < len(c.Names); col++ {
			for yy := y; yy+lineH <= bottom && i < len(c.Names); yy += lineH {
				cx := x0 + float64(col)*colW
				pdf.Rect(cx, yy+1.5, 3, 3, "D") // a box to tick when the student has answered
				pdf.SetXY(cx+5, yy)
				pdf.CellFormat(colW-5, lineH, c.Names[i], "", 0, "L", false, 0, "")
				i++
			}
		}
		if i < len(c.Names) {
			pdf.AddPage()
			y = top
		}
	}
	pdf.SetXY(left, top+gridH-10)
	pdf.SetFont("go", "", 9)
	pdf.MultiCell(gridW, 5, c.Note, "", "L", false)
}

// cutLines draws the dashed grid the slips are cut along.
func cutLines(pdf *fpdf.Fpdf, left, top float64) {
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetLineWidth(0.2)
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	for c := 0; c <= cols; c++ {
		x := left + float64(c)*slipW
		pdf.Line(x, top, x, top+gridH)
	}
	for r := 0; r <= rows; r++ {
		y := top + float64(r)*slipH
		pdf.Line(left, y, left+gridW, y)
	}
	pdf.SetDashPattern(nil, 0)
}

func slip(pdf *fpdf.Fpdf, s Slip, x, y float64, qrName string) error {
	textW := slipW - 2*pad - qrSide - 3
	pdf.SetTextColor(80, 80, 80)
	pdf.SetFont("go", "", 8)
	pdf.SetXY(x+pad, y+pad)
	pdf.MultiCell(slipW-2*pad, 4, s.Header, "", "L", false)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("go", "B", 13)
	pdf.SetX(x + pad)
	pdf.MultiCell(slipW-2*pad, 6, s.Name, "", "L", false)
	yText := pdf.GetY() + 1
	pdf.SetFont("go", "", 8.5)
	pdf.SetXY(x+pad, yText)
	pdf.MultiCell(textW, 4, s.Instructions, "", "L", false)
	pdf.Ln(1)
	pdf.SetX(x + pad)
	pdf.SetFont("go", "", 8)
	pdf.CellFormat(textW, 4, s.CodeLabel, "", 2, "L", false, 0, "")
	pdf.SetX(x + pad)
	pdf.SetFont("gomono", "B", 12.5)
	pdf.CellFormat(textW, 7, s.Code, "", 2, "L", false, 0, "")
	pdf.SetFont("go", "", 7.5)
	pdf.SetXY(x+pad, y+slipH-pad-4)
	pdf.CellFormat(slipW-2*pad, 4, s.Private, "", 0, "L", false, 0, "")

	code, err := qr.Encode(s.Link, qr.M)
	if err != nil {
		return fmt.Errorf("QR code of a slip: %w", err)
	}
	code.Scale = 4
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader(qrName, opt, bytes.NewReader(code.PNG()))
	pdf.ImageOptions(qrName, x+slipW-pad-qrSide, yText, qrSide, qrSide, false, opt, 0, "")
	return nil
}
