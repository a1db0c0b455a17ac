package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/store"
)

// runRescore: `trustpulse score rescore --wave ID [--calibrate]` recomputes a wave's stored scores.
// It first fixes the instrument version's calibration from this wave if none exists yet and the
// wave has enough answers (or --calibrate forces it).
func runRescore(ctx context.Context, env *Env, args []string) error {
	var waveID int64
	var force bool
	cfg, _, err := parseConfig(env, "score rescore", args, func(c *config.Config, fs *flag.FlagSet) {
		c.DatabaseFlag(fs)
		fs.Int64Var(&waveID, "wave", 0, "wave id (required)")
		fs.BoolVar(&force, "calibrate", false, "calibrate from this wave even with fewer than 200 responses")
	})
	if err != nil {
		return err
	}
	if waveID == 0 {
		return usageError("score rescore: --wave ID is required")
	}
	log := newLogger(cfg, env.Stderr)
	c, s, err := openRuntime(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	var w store.Wave
	if err := s.DB.WithContext(ctx).Where("id = ?", waveID).First(&w).Error; err != nil {
		return failure(store.NotFound(err, fmt.Sprintf("wave %d", waveID)))
	}
	m := &measures.Service{Store: s, Surveys: c.surveys, Log: log}
	made, err := m.Calibrate(ctx, w.DistrictID, w.ID, force)
	if err != nil {
		return failure(err)
	}
	if made {
		fmt.Fprintf(env.Stdout, "calibrated %s version %d from wave %d\n", w.InstrumentID, w.InstrumentVersion, w.ID)
	}
	n, err := m.Rescore(ctx, w.DistrictID, w.ID)
	if err != nil {
		return failure(err)
	}
	fmt.Fprintf(env.Stdout, "rescored %d responses in wave %d\n", n, w.ID)
	return nil
}
