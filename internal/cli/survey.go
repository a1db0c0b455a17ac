package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/trustpulse/trustpulse/internal/email"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
	"github.com/trustpulse/trustpulse/web"
)

const surveyUsage = "usage: trustpulse survey lint [--surveys DIR] [--locales DIR] [--templates DIR]\n       trustpulse survey translations export|import --locale TAG ..."

// runSurvey is `trustpulse survey lint`: check the instruments, locale files and templates together.
// Problems go to stdout, one "file:line: problem" each, so editors and CI can jump to them; the
// exit code is 1 if any is not a warning.
func runSurvey(_ context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "translations" {
		return runTranslations(env, args[1:])
	}
	if len(args) == 0 || args[0] != "lint" {
		fmt.Fprintln(env.Stderr, surveyUsage)
		if len(args) == 0 {
			return usageError("survey: missing subcommand")
		}
		return usageError("survey: unknown subcommand %q", args[0])
	}
	fset := flag.NewFlagSet("trustpulse survey lint", flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	surveysDir := fset.String("surveys", "", "lint the instruments in `DIR` instead of the embedded ones")
	localesDir := fset.String("locales", "", "lint the locale files in `DIR` instead of the embedded ones")
	templatesDir := fset.String("templates", "", "lint the templates in `DIR` instead of the embedded ones")
	if err := fset.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &ExitError{Code: 2} // the flag package has already printed the problem
	}
	if fset.NArg() > 0 {
		return usageError("survey lint: unexpected argument %q", fset.Arg(0))
	}

	templates, err := fs.Sub(web.FS, "templates")
	if err != nil {
		return fmt.Errorf("survey lint: embedded templates: %w", err)
	}
	in := survey.LintInput{
		Surveys: surveys.FS, Locales: locales.FS, Templates: templates,
		CodeMessageIDs: codeMessageIDs(),
		SMSTexts:       sms.LintTexts, // every text in at most 2 segments, links counted at 64 characters
		SurveysName:    "surveys", LocalesName: "locales", TemplatesName: "web/templates",
	}
	for _, d := range []struct {
		dir  string
		fsys *fs.FS
		name *string
	}{
		{*surveysDir, &in.Surveys, &in.SurveysName},
		{*localesDir, &in.Locales, &in.LocalesName},
		{*templatesDir, &in.Templates, &in.TemplatesName},
	} {
		if d.dir == "" {
			continue
		}
		if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
			return usageError("survey lint: %s is not a directory", d.dir)
		}
		*d.fsys, *d.name = os.DirFS(d.dir), filepath.ToSlash(filepath.Clean(d.dir))
	}
	if *localesDir != "" {
		// The program's own code uses the shipped messages; a locales folder on disk (another
		// deployment's, or a test fixture) is checked on its own terms.
		in.CodeMessageIDs = nil
	}

	failed, warnings := 0, 0
	for _, p := range survey.Lint(in) {
		fmt.Fprintln(env.Stdout, p.String())
		if p.Warning {
			warnings++
		} else {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "survey lint: %d problems, %d warnings\n", failed, warnings)
		return &ExitError{Code: 1}
	}
	return nil
}

// codeMessageIDs lists the message IDs Go code uses directly rather than through a template,
// so lint does not call them unused. Each package that picks messages in code exports its list.
func codeMessageIDs() []string {
	return append(append(httpserver.CodeMessageIDs(), sms.MessageIDs()...), email.MessageIDs()...)
}
