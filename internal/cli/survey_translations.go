package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

const translationsUsage = `usage: trustpulse survey translations export --locale TAG [--surveys DIR] > TAG.csv
       trustpulse survey translations import --locale TAG --surveys DIR TAG.csv`

// runTranslations is `trustpulse survey translations export|import`: the reviewer's round trip.
// Export writes one locale's instrument texts next to the English as CSV; the reviewer corrects
// "translation" and writes "yes" in "reviewed"; import rewrites the instrument files in a source
// checkout (only the lines that changed) and records the reviews in surveys/reviewed/TAG.toml,
// all or nothing. Rebuild the program afterwards: the instruments are embedded.
func runTranslations(env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "export" && args[0] != "import") {
		fmt.Fprintln(env.Stderr, translationsUsage)
		return usageError("survey translations: want export or import")
	}
	sub := args[0]
	fset := flag.NewFlagSet("trustpulse survey translations "+sub, flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	tag := fset.String("locale", "", "the locale `TAG` to export or import (es, zh-Hans, …)")
	dir := fset.String("surveys", "", "the instruments folder `DIR` of a source checkout (import: required; export: default the embedded ones)")
	if err := fset.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &ExitError{Code: 2}
	}
	if *tag == "" {
		return usageError("survey translations %s: --locale is required", sub)
	}
	src, err := locale.ReadSource(locales.FS)
	if err != nil {
		return fmt.Errorf("survey translations: %w", err)
	}
	var shipped []string
	for _, m := range src.Metas {
		shipped = append(shipped, m.Tag)
	}
	if !slices.Contains(shipped, *tag) || *tag == "en" {
		return usageError("survey translations: locale %q is not a shipped translation (shipped: %v; en is the source)", *tag, shipped)
	}
	var fsys fs.FS = surveys.FS
	if *dir != "" {
		if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
			return usageError("survey translations: %s is not a directory", *dir)
		}
		fsys = os.DirFS(*dir)
	}
	if sub == "export" {
		if fset.NArg() > 0 {
			return usageError("survey translations export: unexpected argument %q", fset.Arg(0))
		}
		rows, err := survey.TranslationRows(fsys, *tag, nil)
		if err != nil {
			return fmt.Errorf("survey translations export: %w", err)
		}
		return survey.WriteTranslations(env.Stdout, rows)
	}
	if *dir == "" {
		return usageError("survey translations import: --surveys DIR is required (the import rewrites the files there)")
	}
	if fset.NArg() != 1 {
		return usageError("survey translations import: want one CSV file")
	}
	file := fset.Arg(0)
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("survey translations import: %w", err)
	}
	defer f.Close()
	edits, err := survey.ReadTranslations(f, file)
	if err != nil {
		fmt.Fprintln(env.Stdout, err)
		return &ExitError{Code: 1}
	}
	ch, err := survey.ApplyTranslations(fsys, *tag, file, edits)
	if err != nil {
		fmt.Fprintln(env.Stdout, err)
		return &ExitError{Code: 1}
	}
	// Write each file beside itself and rename it into place, so a stop midway leaves every file
	// either old or new; the review file goes last, so it never vouches for texts not yet written.
	names := make([]string, 0, len(ch.Files))
	for name := range ch.Files {
		if name != survey.ReviewFile(*tag) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	names = append(names, survey.ReviewFile(*tag))
	for _, name := range names {
		p := filepath.Join(*dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("survey translations import: %w", err)
		}
		if err := writeFileAtomic(p, ch.Files[name]); err != nil {
			return fmt.Errorf("survey translations import: %w", err)
		}
	}
	fmt.Fprintf(env.Stdout, "%s: %d texts changed, %d newly marked reviewed; run `trustpulse survey lint --surveys %s` and rebuild\n",
		*tag, ch.Changed, ch.Marked, *dir)
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".import-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
