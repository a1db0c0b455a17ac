// Package refusaltest checks a capability package's refusals against the staff catalog's English
// file: each refusal's message is there, and renders there as exactly the refusal's English
// sentence (what the page showed before it was translated). Tests only.
package refusaltest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/locales"
)

// Catalog reads an English message file of locales (e.g. "dashboard-refusals-success.en.toml").
func Catalog(t *testing.T, file string) map[string]locale.MessageDef {
	t.Helper()
	data, err := locales.FS.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defs, errs := locale.ParseMessages(data)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", file, errs[0])
	}
	en := map[string]locale.MessageDef{}
	for _, d := range defs {
		en[d.ID] = d
	}
	return en
}

// English renders an English catalog message as the staff pages would (its one form for a Count
// of 1).
func English(t *testing.T, d locale.MessageDef, data map[string]any) string {
	t.Helper()
	text := d.Forms["other"]
	if n, ok := data["Count"]; ok && fmt.Sprint(n) == "1" && d.Forms["one"] != "" {
		text = d.Forms["one"]
	}
	tpl, err := template.New(d.ID).Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("%s: %v", d.ID, err)
	}
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		t.Errorf("%s: %v", d.ID, err)
	}
	return b.String()
}

// Rendered checks that each refusal's message is in file and renders as its English sentence.
// It returns their IDs.
func Rendered(t *testing.T, file string, rs ...*refusal.Error) []string {
	t.Helper()
	en := Catalog(t, file)
	var ids []string
	for _, r := range rs {
		if r == nil {
			t.Error("a check gave no refusal")
			continue
		}
		ids = append(ids, r.ID)
		d, ok := en[r.ID]
		if !ok {
			t.Errorf("%s (%q) is not in %s", r.ID, r.Msg, file)
			continue
		}
		if got := English(t, d, r.Data); got != r.Msg {
			t.Errorf("%s renders %q in English, want %q", r.ID, got, r.Msg)
		}
	}
	return ids
}

// AllUsed checks that every message of file is among ids (those Sources and Rendered found, and
// any the caller words itself): a message no refusal gives is a translation nobody reads.
func AllUsed(t *testing.T, file string, ids ...[]string) {
	t.Helper()
	used := map[string]bool{}
	for _, l := range ids {
		for _, id := range l {
			used[id] = true
		}
	}
	for id := range Catalog(t, file) {
		if !used[id] {
			t.Errorf("%s: no refusal gives %s", file, id)
		}
	}
}

// Sources checks the refusal.New calls in the Go files of dir (tests excepted) against file: a
// message ID written as a literal must be in file, and a literal sentence without placeholders
// must be its English text. A call whose sentence is computed is checked by Rendered. It returns
// the IDs found.
func Sources(t *testing.T, file, dir string) []string {
	t.Helper()
	en := Catalog(t, file)
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "New" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "refusal" {
				return true
			}
			id, ok := literal(call.Args[1])
			if !ok {
				return true
			}
			ids = append(ids, id)
			d, ok := en[id]
			if !ok {
				t.Errorf("%s: %s is not in %s", fset.Position(call.Pos()), id, file)
				return true
			}
			if msg, ok := literal(call.Args[2]); ok && len(call.Args) == 3 {
				if got := English(t, d, nil); got != msg {
					t.Errorf("%s: %s renders %q in English, want %q", fset.Position(call.Pos()), id, got, msg)
				}
			}
			return true
		})
	}
	return ids
}

func literal(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
