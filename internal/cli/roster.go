package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/roster"
)

const rosterUsage = "usage: trustpulse roster import [--db URL] [--district SLUG] [--format oneroster|simple] [--full|--delta] [--allow-mass-deactivation] PATH"

// runRoster is `trustpulse roster import PATH`. Warnings and problems go to stdout as
// "file:line: …" lines; on success the last line is the "imported: …" summary. Any problem
// means nothing was imported: exit 1.
func runRoster(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(env.Stderr, rosterUsage)
		if len(args) == 0 {
			return usageError("roster: missing subcommand")
		}
		return usageError("roster: unknown subcommand %q", args[0])
	}
	var opt roster.Options
	var full, deltaMode bool
	cfg, fs, err := parseConfig(env, "roster import", interspersed(args[1:], "full", "delta", "allow-mass-deactivation", "h", "help"), func(c *config.Config, fs *flag.FlagSet) {
		c.DatabaseFlag(fs)
		fs.StringVar(&opt.DistrictSlug, "district", "", "import into the district with this `slug` (created if missing); default: from the orgs file's district org")
		fs.StringVar(&opt.Format, "format", roster.FormatOneRoster, "`format` of the files: oneroster (OneRoster 1.1 CSV) or simple (the plain CSV template)")
		fs.BoolVar(&full, "full", false, "treat every file as complete: people it leaves out are deactivated (OneRoster bulk)")
		fs.BoolVar(&deltaMode, "delta", false, "treat every file as changes only: people it leaves out are untouched (OneRoster delta)")
		fs.BoolVar(&opt.AllowMassDeactivation, "allow-mass-deactivation", false,
			"confirm an import that deactivates more than TRUSTPULSE_MASS_DEACTIVATION_SHARE of the district's active people")
	})
	if err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		fmt.Fprintln(env.Stderr, rosterUsage)
		return usageError("roster import: missing PATH (a folder or a .zip)")
	case fs.NArg() > 1:
		return usageError("roster import: unexpected argument %q", fs.Arg(1))
	case full && deltaMode:
		return usageError("roster import: --full and --delta exclude each other")
	case opt.Format != roster.FormatOneRoster && opt.Format != roster.FormatSimple:
		return usageError("roster import: --format must be oneroster or simple, not %q", opt.Format)
	case opt.Format == roster.FormatSimple && opt.DistrictSlug == "":
		return usageError("roster import: --format simple needs --district SLUG")
	}
	if full {
		opt.Mode = roster.ModeFull
	}
	if deltaMode {
		opt.Mode = roster.ModeDelta
	}
	log := newLogger(cfg, env.Stderr)
	opt.Log = log
	opt.MassDeactivationShare = cfg.MassDeactivationShare
	bar := newProgressBar(env.Stderr)
	opt.Progress = bar.update
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()

	res, err := roster.Import(ctx, s, fs.Arg(0), opt)
	bar.done()
	var ierr *roster.ImportError
	if errors.As(err, &ierr) {
		for _, line := range roster.ReportTotal(ierr.Problems, ierr.Total, roster.MaxListed, "problems") {
			fmt.Fprintln(env.Stdout, line)
		}
		return failure(fmt.Errorf("roster import: %d problems; nothing was imported", max(ierr.Total, len(ierr.Problems))))
	}
	var mass *roster.MassDeactivationError
	if errors.As(err, &mass) {
		return failure(fmt.Errorf("roster import: %w (run again with --allow-mass-deactivation)", err))
	}
	if err != nil {
		return failure(err)
	}
	for _, line := range roster.ReportTotal(res.Warnings, res.WarningTotal, roster.MaxListed, "warnings") {
		fmt.Fprintln(env.Stdout, line)
	}
	fmt.Fprintln(env.Stdout, res.Summary())
	return nil
}

// interspersed moves flags before positional arguments, so `roster import PATH --district x`
// works as well as the flag package's flags-first order. boolFlags take no value.
func interspersed(args []string, boolFlags ...string) []string {
	flags, pos := splitArgs(args, boolFlags)
	return append(flags, append([]string{"--"}, pos...)...)
}

func splitArgs(args []string, boolFlags []string) (flags, pos []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(pos, args[i+1:]...)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") || isBool(name, boolFlags) {
				continue
			}
			if i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	return flags, pos
}

func isBool(name string, boolFlags []string) bool {
	for _, b := range boolFlags {
		if name == b {
			return true
		}
	}
	return false
}
