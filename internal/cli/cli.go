// Package cli turns a command line into a running TrustPulse command.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/trustpulse/trustpulse/internal/jobs"
)

// Env is the outside world a command may touch, passed in so tests run commands in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Clock, when set, replaces the wall clock for stored timestamps and the job schedule of
	// serve, so a test can run several servers on one fake time. nil in production.
	Clock jobs.Clock
	// HTTPClient, when set, carries serve's calls to Twilio (tests point it at a fake). nil in
	// production: twilio-go's own client.
	HTTPClient *http.Client
}

// ExitError asks main to exit with Code after printing Err (if any) on stderr.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a bad command line or bad configuration: exit code 2.
func usageError(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

// failure is bad input data: exit code 1.
func failure(err error) error { return &ExitError{Code: 1, Err: err} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the web app and run background workers", runServe},
		{"demo", "seed a synthetic district and serve it", runDemo},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"survey", "survey lint: check every instrument and locale", runSurvey},
		{"roster", "roster import PATH: import a OneRoster 1.1 CSV folder or zip", runRoster},
		{"score", "score calibrate|persons|rescore: Rasch scoring", runScore},
		{"admin", "admin create|token --email E: create a district admin, or an API token for a user", runAdmin},
	}
}

// Run executes one command line (without the program name) and returns the process exit code.
func Run(ctx context.Context, env *Env, args []string) int {
	err := dispatch(ctx, env, args)
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(env.Stderr, "trustpulse: "+exit.Err.Error())
		}
		return exit.Code
	}
	fmt.Fprintln(env.Stderr, "trustpulse: "+err.Error())
	return 1
}

func dispatch(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return &ExitError{Code: 2}
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	printUsage(env.Stderr)
	return usageError("unknown command %q", args[0])
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: trustpulse COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	io.WriteString(w, b.String())
}
