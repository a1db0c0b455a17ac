package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

const adminUsage = "usage: trustpulse admin create --email EMAIL [--district SLUG] [--db URL]\n" +
	"       trustpulse admin token --email EMAIL --name NAME [--district SLUG] [--db URL]"

// runAdmin is `trustpulse admin create`: it makes a district admin and prints a strong random
// password once, on stdout, for the operator to hand over. Nothing else ever shows it again.
func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "token" {
		return runAdminToken(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(env.Stderr, adminUsage)
		if len(args) == 0 {
			return usageError("admin: missing subcommand")
		}
		return usageError("admin: unknown subcommand %q", args[0])
	}
	var email, slug string
	cfg, fs, err := parseConfig(env, "admin create", args[1:], func(c *config.Config, fs *flag.FlagSet) {
		c.DatabaseFlag(fs)
		fs.StringVar(&email, "email", "", "`email` the admin signs in with")
		fs.StringVar(&slug, "district", "", "district `slug` (created if missing); default: the only district")
	})
	if err != nil {
		return err
	}
	switch {
	case email == "":
		fmt.Fprintln(env.Stderr, adminUsage)
		return usageError("admin create: --email is required")
	case fs.NArg() > 0:
		return usageError("admin create: unexpected argument %q", fs.Arg(0))
	}
	log := newLogger(cfg, env.Stderr)
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	districtID, err := adminDistrict(ctx, s, slug)
	if err != nil {
		return err
	}
	pw, err := auth.New(s, auth.Options{Log: log}).CreateAdmin(ctx, districtID, email)
	if errors.Is(err, auth.ErrInvalid) {
		return usageError("%v", err)
	}
	if err != nil {
		return failure(err)
	}
	fmt.Fprintf(env.Stdout, "created district admin %s\none-time password: %s\n", strings.ToLower(strings.TrimSpace(email)), pw)
	fmt.Fprintln(env.Stdout, "It is shown only now and cannot be recovered; run the command again with another email if it is lost.")
	return nil
}

// adminDistrict finds the district to add the admin to: by slug (creating it, so a fresh
// install can start with its admin before any roster), or the only one there is.
func adminDistrict(ctx context.Context, s *store.Store, slug string) (int64, error) {
	db := s.DB.WithContext(ctx)
	if slug == "" {
		var ds []store.District
		if err := db.Limit(2).Find(&ds).Error; err != nil {
			return 0, failure(fmt.Errorf("admin create: list districts: %w", err))
		}
		if len(ds) != 1 {
			return 0, usageError("admin create: %d districts exist; name one with --district SLUG", len(ds))
		}
		return ds[0].DistrictID, nil
	}
	var d store.District
	err := db.Where("slug = ?", slug).First(&d).Error
	if err == nil {
		return d.DistrictID, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, failure(fmt.Errorf("admin create: find district %s: %w", slug, err))
	}
	now := s.Now()
	d = store.District{DistrictID: store.NewID(), Slug: slug, Name: slug, MinGroupSize: 10, Settings: store.Attrs{}, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateDistrict(db, &d); err != nil {
		return 0, failure(fmt.Errorf("admin create: create district %s: %w", slug, err))
	}
	return d.DistrictID, nil
}
