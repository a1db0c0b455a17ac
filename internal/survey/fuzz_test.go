package survey

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseInstrument: any instrument file gives an instrument or file:line problems, never a
// panic; a problem's line is within the file.
func FuzzParseInstrument(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "surveys", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("id: x\nversion: 1\nitems: [{id: a}]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, probs := parseInstrument("x.yaml", data)
		for _, p := range probs {
			if p.File != "x.yaml" || p.Line < 0 {
				t.Fatalf("problem %+v", p)
			}
		}
	})
}

// FuzzReadTranslations: a reviewer's CSV never panics the import, whatever a spreadsheet wrote.
func FuzzReadTranslations(f *testing.F) {
	f.Add([]byte("key,english,translation,reviewed,check\nstudent-pulse/1/scale/labels,a,b,yes,\n"))
	f.Add([]byte("\xef\xbb\xbfkey,english,translation,reviewed\n\"x,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		edits, err := ReadTranslations(bytes.NewReader(data), "f.csv")
		if err == nil {
			for _, e := range edits {
				if e.Text == "" || e.Line < 2 {
					t.Fatalf("accepted edit %+v", e)
				}
			}
		}
	})
}
