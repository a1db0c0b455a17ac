package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/config"
)

// DistrictIDs lists every district's id, in id order. It is the one deployment-wide read a
// background job makes per run before it works district by district: every other statement of
// the job then names its district, so on a database sharded by district_id (Citus) each one goes
// to a single shard and a claim's FOR UPDATE SKIP LOCKED is allowed.
func (s *Store) DistrictIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.DB.WithContext(ctx).Model(&District{}).Order("district_id").Pluck("district_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list districts: %w", err)
	}
	return ids, nil
}

// EachDistrict calls fn for every district in turn, or only for district only when it is not 0
// (tests that share one database scope a worker to their own district so). A district whose fn
// fails does not stop the others: their errors are joined. It stops early when ctx is done.
func (s *Store) EachDistrict(ctx context.Context, only int64, fn func(districtID int64) error) error {
	ids := []int64{only}
	if only == 0 {
		var err error
		if ids, err = s.DistrictIDs(ctx); err != nil {
			return err
		}
	}
	var errs []error
	for _, d := range ids {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := fn(d); err != nil {
			errs = append(errs, fmt.Errorf("district %d: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// ClaimIDs is the condition of a queue claim, UPDATE t SET … WHERE district_id = ? AND
// ClaimIDs(sub), where sub selects the ids of the district's rows to claim (ending in its ORDER BY
// and LIMIT). On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so workers claim side by
// side without waiting on each other, and their ids are read once into an array: with a plain
// id IN (sub), a row another worker changed meanwhile makes PostgreSQL re-check the UPDATE's
// condition by running sub again (EvalPlanQual), which can skip to further rows and claim more
// than LIMIT. On SQLite the immediate transaction already serialises claims.
func (s *Store) ClaimIDs(sub string) string {
	if s.Dialect == config.Postgres {
		return "id = ANY(ARRAY(" + sub + " FOR UPDATE SKIP LOCKED))"
	}
	return "id IN (" + sub + ")"
}
