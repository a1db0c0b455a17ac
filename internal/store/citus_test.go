package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// On plain PostgreSQL (no citus extension) migrate does nothing new: Distribute finds no Citus,
// runs nothing, and a second migrate stays a no-op.
func TestDistributeDoesNothingWithoutCitus(t *testing.T) {
	ctx := context.Background()
	s := testdb.Postgres(t)
	has, err := s.HasCitus(ctx)
	if err != nil || has {
		t.Fatalf("HasCitus = %v, %v on plain PostgreSQL", has, err)
	}
	layout, err := s.Distribute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if layout.Citus || len(layout.Ran) > 0 || len(layout.Distributed) > 0 {
		t.Errorf("Distribute on plain PostgreSQL: %+v", layout)
	}
	if n, err := s.Migrate(ctx, nil); err != nil || n != 0 {
		t.Errorf("second Migrate = %d, %v", n, err)
	}
	if layout, err := testdb.SQLite(t).Distribute(ctx, nil); err != nil || layout.Citus {
		t.Errorf("Distribute on SQLite = %+v, %v", layout, err)
	}
}

// The real schema can be laid out on Citus: every table but goose's has district_id, districts
// is made a reference table first, every other table is distributed co-located with the first,
// each after the tables it references, and every foreign key between them is dropped before and
// added again after, as it was. A migration adding a table without district_id fails here, on
// plain PostgreSQL, before anyone runs it on Citus.
func TestSchemaPlansOntoCitus(t *testing.T) {
	ctx := context.Background()
	s := testdb.Postgres(t)
	plan, err := store.CitusPlanFromLocal(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	if err := s.DB.Raw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'goose_db_version'").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	// The reference tables come first: districts, and code_districts and slip_code_districts, the
	// district of a typed class or personal code (#19 line 3).
	refs := 0
	for refs < len(plan) && strings.HasPrefix(plan[refs], "SELECT create_reference_table('") {
		refs++
	}
	if got := strings.Join(plan[:refs], "\n"); got != "SELECT create_reference_table('code_districts')\nSELECT create_reference_table('districts')\nSELECT create_reference_table('slip_code_districts')" {
		t.Fatalf("plan does not start with the three reference tables:\n%s", strings.Join(plan, "\n"))
	}
	pos := map[string]int{"districts": 0, "code_districts": 0, "slip_code_districts": 0}
	drops, adds := map[string]bool{}, map[string]bool{}
	created := refs
	for i, st := range plan[refs:] {
		switch {
		case strings.HasPrefix(st, "SELECT create_distributed_table('"):
			name := strings.TrimPrefix(st, "SELECT create_distributed_table('")
			name = name[:strings.Index(name, "'")]
			pos[name] = i + refs
			if !strings.HasPrefix(st, "SELECT create_distributed_table('"+name+"', 'district_id'") || (created > refs && !strings.Contains(st, "colocate_with => ")) {
				t.Errorf("%s: %s", name, st)
			}
			created++
		case strings.Contains(st, " DROP CONSTRAINT "):
			drops[strings.Replace(st, " DROP CONSTRAINT ", " ", 1)] = true
		case strings.Contains(st, " ADD CONSTRAINT "):
			k := st[:strings.Index(st, " FOREIGN KEY")]
			adds[strings.Replace(k, " ADD CONSTRAINT ", " ", 1)] = true
		default:
			t.Errorf("unexpected statement %s", st)
		}
	}
	if created != len(tables) {
		t.Errorf("plan lays out %d tables of %d", created, len(tables))
	}
	var fks []struct{ Table, Name, Ref string }
	if err := s.DB.Raw(`SELECT c.relname AS "table", k.conname AS name, r.relname AS ref FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace`).Scan(&fks).Error; err != nil {
		t.Fatal(err)
	}
	if len(fks) < 30 {
		t.Fatalf("only %d foreign keys found", len(fks))
	}
	for _, fk := range fks {
		if fk.Table != fk.Ref && pos[fk.Ref] >= pos[fk.Table] {
			t.Errorf("%s references %s but is distributed first", fk.Table, fk.Ref)
		}
		k := `ALTER TABLE "` + fk.Table + `" "` + fk.Name + `"`
		between := fk.Ref != "districts" && fk.Ref != fk.Table
		if drops[k] != between || adds[k] != between {
			t.Errorf("%s → %s: dropped %v, added again %v", fk.Name, fk.Ref, drops[k], adds[k])
		}
	}
}
