package survey

import (
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
