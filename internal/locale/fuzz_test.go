package locale

import (
	"os"
	"path/filepath"
	"testing"
)

func addLocaleSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "locales", pattern))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("[a]\nother = \"x\"\none = \"y\"\n"))
	f.Add([]byte("a = \"{{.Count}\"\n[a.b]\nc = 1\n"))
}

// FuzzParseMessages: any message file gives messages or line-numbered errors, never a panic, and
// every error's line is within the file.
func FuzzParseMessages(f *testing.F) {
	addLocaleSeeds(f, "*.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, errs := ParseMessages(data)
		for _, e := range errs {
			if e.Line < 0 {
				t.Fatalf("error line %d: %s", e.Line, e.Msg)
			}
		}
		for _, d := range defs {
			if d.ID == "" {
				t.Fatalf("a message without an ID: %+v", d)
			}
		}
	})
}

// FuzzParseMeta: locales.toml parsing never panics.
func FuzzParseMeta(f *testing.F) {
	addLocaleSeeds(f, "locales.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, errs := ParseMeta(data)
		for _, e := range errs {
			if e.Line < 0 {
				t.Fatalf("error line %d: %s", e.Line, e.Msg)
			}
		}
	})
}
