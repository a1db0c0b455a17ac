package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/demo"
)

func runDemo(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := parseConfig(env, "demo", args, func(c *config.Config, fs *flag.FlagSet) { c.ServerFlags(fs) })
	if err != nil {
		return err
	}
	cfg.Role = config.RoleAll // the demo is one process: web and workers
	cfg.Migrate = true        // the demo stays one command: it brings its database up to date itself
	log := newLogger(cfg, env.Stderr)
	c, s, err := openRuntime(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	// Refuse before listening: nothing is printed or served for a real district's database.
	if err := demo.CheckDatabase(ctx, s); err != nil {
		if errors.Is(err, demo.ErrNotDemoDatabase) {
			return usageError("demo: %v", err)
		}
		return err
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	svc := newServices(cfg, s, c, log)
	// Someone trying the demo answers alone: mix each ballot on the next round (every 5 s) so
	// their answer is counted while they look, not after an hour (the district is synthetic).
	svc.waves.Mixing.MinBatch = 1
	links, err := demo.Seed(ctx, s, svc.waves, svc.measures, svc.results, cfg.BaseURL, log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("seed demo district: %w", err)
	}
	printLinks(env, links)
	// Without Twilio settings family texts land in the local outbox; the demo shows it.
	fmt.Fprintf(env.Stdout, "sms outbox: %s/dev/outbox\n", cfg.BaseURL)
	if cfg.SMTPURL == "" { // staff invitation mails stay in the local outbox too
		fmt.Fprintf(env.Stdout, "email outbox: %s/dev/email\n", cfg.BaseURL)
	}
	return serveUntilDone(ctx, cfg, s, log, ln, c, svc, true)
}

// printLinks writes the contract lines tests and the README rely on, one per thing to try.
func printLinks(env *Env, l demo.Links) {
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(env.Stdout, "%s: %s\n", label, v)
		}
	}
	line("student survey", l.StudentSurvey)
	line("family survey", l.FamilySurvey)
	line("staff survey", l.StaffSurvey)
	line("dashboard", l.Dashboard)
	line("link slips", l.Slips)
	line("type a code", l.EnterCode)
	line("language checks", l.LanguageCheck)
	line("team", l.Team)
	line("follow-up", l.FollowUp)
	line("mapping", l.Mapping)
	line("goals", l.Goals)
	if l.LoginUser != "" {
		fmt.Fprintf(env.Stdout, "login: %s %s\n", l.LoginUser, l.LoginPassword)
	}
	line("login (counselor)", l.Counselor)
	line("login (teacher)", l.Teacher)
}
