package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// runAdminToken is `trustpulse admin token`: it makes a read-only API token for an existing
// account and prints it once, on stdout, for a script or a scheduler. Only its hash is stored.
func runAdminToken(ctx context.Context, env *Env, args []string) error {
	var email, name, slug string
	cfg, fs, err := parseConfig(env, "admin token", args, func(c *config.Config, fs *flag.FlagSet) {
		c.DatabaseFlag(fs)
		fs.StringVar(&email, "email", "", "`email` of the account the token acts as")
		fs.StringVar(&name, "name", "", "`name` of the token (what will use it)")
		fs.StringVar(&slug, "district", "", "district `slug`; default: the only district")
	})
	if err != nil {
		return err
	}
	switch {
	case email == "" || name == "":
		fmt.Fprintln(env.Stderr, adminUsage)
		return usageError("admin token: --email and --name are required")
	case fs.NArg() > 0:
		return usageError("admin token: unexpected argument %q", fs.Arg(0))
	}
	log := newLogger(cfg, env.Stderr)
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	districtID, err := tokenDistrict(ctx, s, slug)
	if err != nil {
		return err
	}
	token, _, err := auth.New(s, auth.Options{Log: log}).CreateAPITokenFor(ctx, districtID, email, name)
	if errors.Is(err, auth.ErrInvalid) {
		return usageError("%v", err)
	}
	if err != nil {
		return failure(err)
	}
	fmt.Fprintf(env.Stdout, "API token: %s\n", token)
	fmt.Fprintln(env.Stdout, "It is shown only now and cannot be recovered; revoke it at /admin/tokens.")
	return nil
}

// tokenDistrict finds an existing district by slug, or the only one; unlike admin create it never
// makes one.
func tokenDistrict(ctx context.Context, s *store.Store, slug string) (int64, error) {
	db := s.DB.WithContext(ctx)
	var ds []store.District
	q := db.Limit(2)
	if slug != "" {
		q = q.Where("slug = ?", slug)
	}
	if err := q.Find(&ds).Error; err != nil {
		return 0, failure(fmt.Errorf("admin token: find district: %w", err))
	}
	switch {
	case slug != "" && len(ds) == 0:
		return 0, usageError("admin token: no district %q", slug)
	case len(ds) != 1:
		return 0, usageError("admin token: %d districts exist; name one with --district SLUG", len(ds))
	}
	return ds[0].DistrictID, nil
}
