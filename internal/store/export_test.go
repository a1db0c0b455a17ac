package store

import "context"

// CitusPlanFromLocal is the plan Distribute would run on a Citus database where no table is
// distributed yet: for tests on plain PostgreSQL, which has no Citus metadata.
func CitusPlanFromLocal(ctx context.Context, s *Store) ([]string, error) {
	tables, err := s.citusTables(ctx, false)
	if err != nil {
		return nil, err
	}
	return citusPlan(tables)
}
