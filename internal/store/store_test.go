package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// columns returns table -> sorted column names, read from the database itself.
func columns(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var rows []struct{ Table, Column string }
	var q string
	if s.Dialect == config.Postgres {
		q = `SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
		     WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	} else {
		q = `SELECT m.name AS "table", p.name AS "column" FROM sqlite_master m, pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence')`
	}
	if err := s.DB.Raw(q).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		out[r.Table] = append(out[r.Table], r.Column)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func TestDialectsHaveSameSchemaAndModelsMatchIt(t *testing.T) {
	pg, lite := columns(t, testdb.Postgres(t)), columns(t, testdb.SQLite(t))
	if len(pg) == 0 {
		t.Fatal("no tables in PostgreSQL")
	}
	for table, cols := range pg {
		if !slices.Equal(cols, lite[table]) {
			t.Errorf("table %s: postgres columns %v, sqlite columns %v", table, cols, lite[table])
		}
		if !slices.Contains(cols, "district_id") {
			t.Errorf("table %s has no district_id", table)
		}
	}
	for table := range lite {
		if _, ok := pg[table]; !ok {
			t.Errorf("table %s exists only in sqlite", table)
		}
	}
	modelled := map[string]bool{}
	for _, m := range store.Models() {
		sch, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		modelled[sch.Table] = true
		var fields []string
		for _, f := range sch.Fields {
			if f.DBName != "" {
				fields = append(fields, f.DBName)
			}
		}
		sort.Strings(fields)
		if !slices.Equal(fields, pg[sch.Table]) {
			t.Errorf("model %T: fields %v, table %s has %v", m, fields, sch.Table, pg[sch.Table])
		}
	}
	for table := range pg {
		if !modelled[table] {
			t.Errorf("table %s has no model in store.Models()", table)
		}
	}
}

// Every unique key must include district_id so the schema can later be sharded by district, on
// both dialects (each reads its own catalog: pg_indexes, or SQLite's pragma_index_list).
func TestEveryUniqueKeyIncludesDistrict(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		var rows []struct{ Table, Index, Def string }
		q := `SELECT tablename AS "table", indexname AS "index", indexdef AS def FROM pg_indexes
		      WHERE schemaname = current_schema() AND indexdef LIKE 'CREATE UNIQUE%' AND tablename <> 'goose_db_version'`
		if s.Dialect == config.SQLite {
			// Primary keys and UNIQUE constraints are unique indexes too (origin pk / u).
			q = `SELECT m.name AS "table", il.name AS "index", group_concat(ii.name, ',') AS def
			     FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii
			     WHERE m.type = 'table' AND il."unique" = 1 AND m.name NOT IN ('goose_db_version', 'sqlite_sequence')
			     GROUP BY m.name, il.name`
		}
		if err := s.DB.Raw(q).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) < 10 {
			t.Fatalf("found only %d unique indexes", len(rows))
		}
		for _, r := range rows {
			// districts is the root (one row per district) and a reference table on Citus, copied
			// whole to every node: its route (#19 line 3) is unique across the deployment.
			if r.Table == "districts" && r.Index == "districts_route" {
				continue
			}
			// code_districts and slip_code_districts are reference tables too
			// (store.citusReferenceTables): a typed class or personal code names no district, and
			// their keys make codes unique across the deployment.
			if r.Table == "code_districts" || r.Table == "slip_code_districts" {
				continue
			}
			if !strings.Contains(r.Def, "district_id") {
				t.Errorf("%s.%s does not include district_id: %s", r.Table, r.Index, r.Def)
			}
		}
	})
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		n, err := s.Migrate(ctx, nil)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, err %v; want 0, nil", n, err)
		}
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate: %v", err)
		}
	})
}

func TestCheckSchemaRefusesUnmigratedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fresh.db")
	s, err := store.Open(context.Background(), config.Database{Dialect: config.SQLite, DSN: path}, slogDiscard())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckSchema(context.Background()); !errors.Is(err, store.ErrStaleSchema) {
		t.Fatalf("CheckSchema on empty database = %v, want ErrStaleSchema", err)
	}
}

func TestRoundTripAndConstraints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		d := testdb.NewDistrict(t, s)
		now := s.Now()
		school := store.School{DistrictID: d, ID: store.NewID(), SourcedID: "sch-1", Name: "Lincoln", TimeZone: "America/Chicago", Active: true, CreatedAt: now, UpdatedAt: now}
		if err := s.DB.WithContext(ctx).Create(&school).Error; err != nil {
			t.Fatal(err)
		}
		p := store.Person{DistrictID: d, ID: store.NewID(), SourcedID: "stu-1", Kind: store.KindStudent, SchoolID: &school.ID,
			Grade: "05", Attributes: store.Attrs{"gender": "F", "home_language": "es"}, Active: true, CreatedAt: now, UpdatedAt: now}
		if err := s.DB.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		var got store.Person
		if err := s.DB.Where("district_id = ? AND sourced_id = ?", d, "stu-1").First(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.Attributes["home_language"] != "es" || got.Grade != "05" || *got.SchoolID != school.ID || !got.CreatedAt.Equal(now) {
			t.Fatalf("round trip changed the row: %+v", got)
		}
		dup := p
		dup.ID = store.NewID()
		if err := s.DB.Create(&dup).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Fatalf("duplicate sourced_id: err = %v, want gorm.ErrDuplicatedKey", err)
		}
		orphan := store.Person{DistrictID: d, ID: store.NewID(), SourcedID: "stu-2", Kind: store.KindStudent, SchoolID: ptr(store.NewID()), CreatedAt: now, UpdatedAt: now}
		if err := s.DB.Create(&orphan).Error; err == nil {
			t.Fatal("a person in an unknown school was accepted: foreign keys are off")
		}
		bad := store.Person{DistrictID: d, ID: store.NewID(), SourcedID: "x", Kind: "alien", CreatedAt: now, UpdatedAt: now}
		if err := s.DB.Create(&bad).Error; err == nil {
			t.Fatal("an unknown person kind was accepted")
		}
	})
}

// SQLite with _txlock=immediate must queue concurrent writers, not drop them.
func TestConcurrentWritersAllCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := testdb.NewDistrict(t, s)
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for w := 0; w < 20; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					now := s.Now()
					errs <- s.Tx(context.Background(), func(tx *gorm.DB) error {
						id := store.NewID()
						return tx.Create(&store.School{DistrictID: d, ID: id, SourcedID: strings.Repeat("s", 1) + string(rune('a'+w)) + "-" + string(rune('a'+i)), Name: "x", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		s.DB.Model(&store.School{}).Where("district_id = ?", d).Count(&n)
		if n != 200 {
			t.Fatalf("%d of 200 transactions committed", n)
		}
	})
}

func TestOpenErrorsAreClear(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, config.Database{Dialect: config.SQLite, DSN: "/nonexistent-dir/x/trustpulse.db"}, slogDiscard())
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "/nonexistent-dir/x") {
		t.Fatalf("unwritable sqlite path: %v", err)
	}
	db, _ := config.ParseDatabaseURL("postgres://bob:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	_, err = store.Open(ctx, db, slogDiscard())
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable postgres: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// Two admins saving different settings of one district at the same time both keep their change:
// each writer adds its own keys, and every key must be there at the end, on both dialects.
func TestConcurrentSettingsChangesKeepEachOther(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := testdb.NewDistrict(t, s)
		const writers, rounds = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					key := string(rune('a'+w)) + strings.Repeat("x", r)
					errs <- s.Tx(context.Background(), func(tx *gorm.DB) error {
						return s.ChangeSettings(tx, d, func(settings store.Attrs) { settings[key] = "set" }, nil)
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var got store.District
		if err := s.DB.Where("district_id = ?", d).First(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got.Settings) != writers*rounds {
			t.Fatalf("%d settings kept of %d written: concurrent saves lost each other's", len(got.Settings), writers*rounds)
		}
	})
}

// Every district gets a route of its own, the next free one, and it reads back both ways.
func TestDistrictRoutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := testdb.NewDistrict(t, s), testdb.NewDistrict(t, s)
		ra, err := s.RouteOf(s.DB, a)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := s.RouteOf(s.DB, b)
		if err != nil {
			t.Fatal(err)
		}
		if ra <= 0 || rb <= ra {
			t.Fatalf("routes %d then %d", ra, rb)
		}
		for route, want := range map[int]int64{ra: a, rb: b} {
			got, err := s.DistrictOfRoute(ctx, route)
			if err != nil || got != want {
				t.Errorf("district of route %d: %d, %v; want %d", route, got, err, want)
			}
		}
		if _, err := s.DistrictOfRoute(ctx, rb+1000); !errors.Is(err, store.ErrUnknownRoute) {
			t.Errorf("unknown route: %v", err)
		}
		// Made at the same moment, districts still get routes of their own (CreateDistrict retries).
		var wg sync.WaitGroup
		ids := make([]int64, 6)
		for i := range ids {
			wg.Add(1)
			go func() { defer wg.Done(); ids[i] = testdb.NewDistrict(t, s) }()
		}
		wg.Wait()
		seen := map[int]bool{}
		for _, id := range ids {
			r, err := s.RouteOf(s.DB, id)
			if err != nil || seen[r] {
				t.Fatalf("route %d of district %d: %v (seen %v)", r, id, err, seen)
			}
			seen[r] = true
		}
	})
}
