package slips_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/slips"
)

func sample(n int) slips.Document {
	g := slips.Group{Cover: slips.Cover{Title: "Survey slips: Lincoln Elementary, Room 12", Subtitle: "Student pulse, fall",
		Steps:     []string{"Hand each student the slip with their name.", "They scan the QR code, or open https://survey.example.org/j and type the code on their slip.", "Collect the slips that were not used and shred them."},
		ListTitle: fmt.Sprintf("Not answered yet: %d", n), Note: "Printing these slips again gives new codes."}}
	for i := range n {
		name := fmt.Sprintf("Student Number%03d", i)
		g.Cover.Names = append(g.Cover.Names, name)
		g.Slips = append(g.Slips, slips.Slip{Header: "Lincoln Elementary · Room 12", Name: name,
			Instructions: "Scan the QR code, or go to https://survey.example.org/j and type your code.", CodeLabel: "Your code",
			Code: "ABCD-EFGH-JK" + fmt.Sprintf("%02d", i%100), Private: "This code is just for you. Please do not share it.",
			Link: "https://survey.example.org/s/abcdefghijklmnopqrstuvwxyz234567"})
	}
	return slips.Document{Title: "Link slips", Groups: []slips.Group{g}}
}

// The PDF has a cover page, then eight slips a page on either paper size, and every text is
// drawn where a reader's viewer (pdftotext) finds it.
func TestWriteLaysOutEightSlipsAPage(t *testing.T) {
	for _, tc := range []struct {
		size  slips.Size
		n     int
		pages int
		w, h  string
	}{
		{slips.A4, 9, 3, "595.28", "841.89"},
		{slips.Letter, 16, 3, "612", "792"},
		{slips.A4, 0, 1, "595.28", "841.89"},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.size, tc.n), func(t *testing.T) {
			var buf bytes.Buffer
			if err := slips.Write(&buf, sample(tc.n), tc.size, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "s.pdf")
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			if out := os.Getenv("TRUSTPULSE_SLIPS_PDF"); out != "" { // to look at a sample: pdftoppm -png
				os.WriteFile(out, buf.Bytes(), 0o600)
			}
			info, err := exec.Command("pdfinfo", path).Output()
			if err != nil {
				t.Fatalf("pdfinfo (Debian's poppler-utils): %v", err)
			}
			if !regexp.MustCompile(fmt.Sprintf(`Pages:\s+%d\n`, tc.pages)).Match(info) || !strings.Contains(string(info), tc.w+" x "+tc.h) {
				t.Errorf("pdfinfo:\n%s", info)
			}
			text, err := exec.Command("pdftotext", path, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.n {
				if !strings.Contains(string(text), fmt.Sprintf("Student Number%03d", i)) {
					t.Errorf("name %d missing", i)
				}
			}
			if !strings.Contains(string(text), "Survey slips: Lincoln Elementary, Room 12") {
				t.Errorf("cover title missing:\n%s", text)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]slips.Size{"": slips.A4, "A4": slips.A4, "a4": slips.A4, "Letter": slips.Letter, "letter": slips.Letter} {
		if got, err := slips.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := slips.ParseSize("A3"); err == nil {
		t.Error("A3 accepted")
	}
}

func TestCoverage(t *testing.T) {
	c, err := slips.NewCoverage()
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"Ana Zamora": true, "José Ñúñez": true, "Иван": true,
		"Nguyễn Văn Anh": false, "ليلى حداد": false, "王小明": false,
	} {
		if got := c.Covers(s); got != want {
			t.Errorf("Covers(%q) = %v, want %v", s, got, want)
		}
	}
	for in, want := range map[string]string{"Ana Zamora": "Ana Zamora", "Nguyễn Văn Anh": "Nguyên Văn Anh", "王小明": "???"} {
		if got := c.Fit(in); got != want {
			t.Errorf("Fit(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkWrite1000 lays out 1,000 slips (125 pages) with their QR codes.
func BenchmarkWrite1000(b *testing.B) {
	doc := sample(1000)
	when := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := slips.Write(&buf, doc, slips.A4, when); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1024, "KiB/pdf")
}
