package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/config"
)

// Citus (distributed PostgreSQL, #19 line 1). On a database with the citus extension, migrate
// distributes every project table on district_id after every run, so a table a later migration
// adds is distributed too, and it refuses to finish while any project table is left local.
//
// districts is a reference table (a copy on every node), not a table distributed on its
// district_id, because:
//   - it is tiny (one row per district) and almost never written, while the other tables'
//     foreign keys, the privacy floor (min_group_size) and the settings read it on every request:
//     as a reference table each of those reads and joins is answered on the node holding the shard;
//   - it is the one table read without a district: finding a district by its slug or host name and
//     the background jobs that list the districts to work per district. Distributed, each of those
//     would ask every shard; as a reference table it is one read on one node;
//   - Citus lets a distributed table reference a reference table, so every REFERENCES districts
//     stays as it is. The cost, a write to districts going to every node in one transaction, is
//     paid when a district is created or its settings change.
//
// goose's version table stays a local table on the coordinator: only migrate reads and writes it.

// citusGooseTable is goose's version table, left local.
const citusGooseTable = "goose_db_version"

// citusReferenceTables are the project tables made reference tables; every other is distributed.
// code_districts is one too: the district of a typed class code, read before its district is
// known (#19 line 3), small (one row per code) and written once per code made; and
// slip_code_districts, the same for a printed slip's personal code (one row per slip printed).
var citusReferenceTables = map[string]bool{"districts": true, "code_districts": true, "slip_code_districts": true}

// citusColumn is the distribution column of every distributed project table.
const citusColumn = "district_id"

// Kinds of a table in Citus's metadata (pg_dist_partition).
const (
	citusLocal       = ""            // not in the metadata: a plain local table
	citusCitusLocal  = "citus local" // in the metadata, on the coordinator only (partmethod 'n', repmodel 's')
	citusReference   = "reference"   // partmethod 'n', repmodel 't'
	citusDistributed = "distributed" // partmethod 'h'
)

// citusTable is what migrate knows of one table of the schema: its columns, the tables its
// foreign keys reference, and its place in Citus's metadata.
type citusTable struct {
	Name        string
	Columns     []string
	ForeignKeys []citusFK
	Kind        string // citusLocal, citusCitusLocal, citusReference or citusDistributed
	DistColumn  string // for citusDistributed
	Colocation  int    // colocation group, for citusDistributed
}

// citusFK is one foreign key of a table: its name, the table it references and its definition
// (pg_get_constraintdef), to drop it and add it again around distribution.
type citusFK struct {
	Name, Ref, Def string
}

// citusPlan returns the statements that bring tables to the layout above, to run in one
// transaction, or an error naming each table that cannot get there: a table without district_id,
// one distributed on another column or not co-located with the others, a project table made a
// reference table, or goose's table distributed. Tables already in place give no statement, so a
// second run plans nothing.
//
// Citus distributes one table at a time, and refuses a foreign key between a distributed table and
// a table that is not (yet) distributed in either direction: distributing schools while people
// still references it fails, and so does distributing people first. So the plan makes districts a
// reference table first (the tables referencing it become Citus local tables, which
// create_distributed_table takes), drops each foreign key between two tables that are to be
// distributed when the referenced one is not distributed yet, distributes the tables, each after
// the tables it references, and adds those foreign keys again, as they were. A table a later
// migration adds that references distributed tables only is distributed with its keys in place.
func citusPlan(tables []citusTable) ([]string, error) {
	byName := make(map[string]citusTable, len(tables))
	for _, t := range tables {
		byName[t.Name] = t
	}
	order, err := citusOrder(tables)
	if err != nil {
		return nil, err
	}
	// The co-location anchor: the first table in order already distributed on district_id.
	anchor, group := "", 0
	for _, name := range order {
		t := byName[name]
		if t.Kind == citusDistributed && t.DistColumn == citusColumn && !citusReferenceTables[name] {
			anchor, group = name, t.Colocation
			break
		}
	}
	var reference, create, problems []string
	pending := map[string]bool{} // tables this plan distributes
	for _, name := range order {
		t := byName[name]
		switch {
		case name == citusGooseTable:
			if t.Kind != citusLocal {
				problems = append(problems, fmt.Sprintf("%s is a %s table: goose's version table must stay local (undistribute_table('%s'))", name, t.Kind, name))
			}
		case citusReferenceTables[name]:
			switch t.Kind {
			case citusReference:
			case citusLocal, citusCitusLocal:
				reference = append(reference, fmt.Sprintf("SELECT create_reference_table('%s')", name))
			default:
				problems = append(problems, fmt.Sprintf("%s is a %s table, it must be a reference table (undistribute_table('%s'), then migrate again)", name, t.Kind, name))
			}
		case !hasColumn(t.Columns, citusColumn):
			problems = append(problems, fmt.Sprintf("%s has no %s column, so it cannot be distributed with the others", name, citusColumn))
		case t.Kind == citusLocal || t.Kind == citusCitusLocal:
			pending[name] = true
			if anchor == "" {
				create = append(create, fmt.Sprintf("SELECT create_distributed_table('%s', '%s')", name, citusColumn))
				anchor = name
			} else {
				create = append(create, fmt.Sprintf("SELECT create_distributed_table('%s', '%s', colocate_with => '%s')", name, citusColumn, anchor))
			}
		case t.Kind != citusDistributed:
			problems = append(problems, fmt.Sprintf("%s is a %s table, it must be distributed on %s (undistribute_table('%s'), then migrate again)", name, t.Kind, citusColumn, name))
		case t.DistColumn != citusColumn:
			problems = append(problems, fmt.Sprintf("%s is distributed on %s, not %s (alter_distributed_table('%s', distribution_column => '%s'))", name, t.DistColumn, citusColumn, name, citusColumn))
		case t.Colocation != group:
			problems = append(problems, fmt.Sprintf("%s is not co-located with %s (alter_distributed_table('%s', colocate_with => '%s'))", name, anchor, name, anchor))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("citus: %d tables cannot be distributed on %s:\n  %s", len(problems), citusColumn, strings.Join(problems, "\n  "))
	}
	// The keys to a table this plan distributes, from another table, wait until both are distributed.
	var drop, add []string
	for _, name := range order {
		for _, fk := range byName[name].ForeignKeys {
			if fk.Ref == name || !pending[fk.Ref] {
				continue
			}
			t := quoteIdent(name)
			drop = append(drop, "ALTER TABLE "+t+" DROP CONSTRAINT "+quoteIdent(fk.Name))
			add = append(add, "ALTER TABLE "+t+" ADD CONSTRAINT "+quoteIdent(fk.Name)+" "+fk.Def)
		}
	}
	plan := append(reference, drop...)
	plan = append(plan, create...)
	return append(plan, add...), nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// citusOrder sorts the tables so each comes after the tables its foreign keys reference (Citus
// distributes a table only once what it references is distributed or a reference table), by name
// among equals so the plan is the same on every run.
func citusOrder(tables []citusTable) ([]string, error) {
	known := map[string]bool{}
	for _, t := range tables {
		known[t.Name] = true
	}
	waiting := map[string]int{}
	referencedBy := map[string][]string{}
	for _, t := range tables {
		seen := map[string]bool{}
		for _, fk := range t.ForeignKeys {
			r := fk.Ref
			if r == t.Name || !known[r] || seen[r] {
				continue
			}
			seen[r] = true
			waiting[t.Name]++
			referencedBy[r] = append(referencedBy[r], t.Name)
		}
	}
	var ready, order []string
	for _, t := range tables {
		if waiting[t.Name] == 0 {
			ready = append(ready, t.Name)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		next := ready[0]
		ready = ready[1:]
		order = append(order, next)
		for _, r := range referencedBy[next] {
			if waiting[r]--; waiting[r] == 0 {
				ready = append(ready, r)
			}
		}
	}
	if len(order) < len(tables) {
		var cycle []string
		for _, t := range tables {
			if waiting[t.Name] > 0 {
				cycle = append(cycle, t.Name)
			}
		}
		sort.Strings(cycle)
		return nil, fmt.Errorf("citus: the foreign keys of %s form a cycle, no order distributes them", strings.Join(cycle, ", "))
	}
	return order, nil
}

func hasColumn(cols []string, name string) bool {
	for _, c := range cols {
		if c == name {
			return true
		}
	}
	return false
}

// citusMigrationDB opens connections for goose's migrations on Citus, with two settings:
//   - citus.enable_local_reference_table_foreign_keys off: a table a migration creates with keys to
//     districts (a reference table) and to distributed tables stays a plain table until Distribute
//     distributes it. With the setting on, Citus turns it into a Citus local table at once, and
//     refuses its keys to distributed tables ("foreign keys from reference tables and local tables
//     to distributed tables are not supported"), so the migration fails;
//   - citus.multi_shard_modify_mode sequential: a migration changing districts after a
//     distributed table (or the reverse) in its one transaction is refused in parallel mode.
func (s *Store) citusMigrationDB() (*sql.DB, error) {
	if s.dsn == "" {
		return nil, errors.New("citus: migrate needs the store opened from a database URL")
	}
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		return nil, fmt.Errorf("citus: %w", err)
	}
	cfg.RuntimeParams["citus.enable_local_reference_table_foreign_keys"] = "off"
	cfg.RuntimeParams["citus.multi_shard_modify_mode"] = "sequential"
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	return db, nil
}

// HasCitus reports whether the database has the citus extension (false on SQLite).
func (s *Store) HasCitus(ctx context.Context) (bool, error) {
	if s.Dialect != config.Postgres {
		return false, nil
	}
	var ok bool
	if err := s.DB.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')").Scan(&ok).Error; err != nil {
		return false, fmt.Errorf("look for the citus extension: %w", err)
	}
	return ok, nil
}

// CitusLayout is what Distribute did and found: the statements it ran (none on a second run) and
// the tables now distributed on district_id and made reference tables. Citus is false on a
// database without the citus extension, where Distribute does nothing.
type CitusLayout struct {
	Citus                  bool
	Ran                    []string
	Distributed, Reference []string
}

// Distribute lays the schema out on Citus when the database has the citus extension (see the top
// of this file) and does nothing elsewhere. It fails, naming them, when any project table is left
// undistributed. Migrate calls it after every run; running it again is a no-op.
func (s *Store) Distribute(ctx context.Context, log *slog.Logger) (CitusLayout, error) {
	var out CitusLayout
	ok, err := s.HasCitus(ctx)
	if err != nil || !ok {
		return out, err
	}
	out.Citus = true
	tables, err := s.citusTables(ctx, true)
	if err != nil {
		return out, err
	}
	stmts, err := citusPlan(tables)
	if err != nil {
		return out, err
	}
	if len(stmts) > 0 {
		// One transaction: the foreign keys dropped for the move are back, or nothing happened.
		err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, st := range stmts {
				if err := tx.Exec(st).Error; err != nil {
					return fmt.Errorf("citus: %s: %w", st, err)
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		out.Ran = stmts
		if log != nil {
			log.Info("citus: schema distributed", "statements", len(stmts), "tables", strings.Join(citusPlanTables(stmts), " "))
		}
	}
	// Check what the catalog now says, not what was planned.
	tables, err = s.citusTables(ctx, true)
	if err != nil {
		return out, err
	}
	left, err := citusPlan(tables)
	if err != nil {
		return out, err
	}
	if len(left) > 0 {
		return out, fmt.Errorf("citus: tables left undistributed after migrate: %s", strings.Join(citusPlanTables(left), ", "))
	}
	for _, t := range tables {
		switch t.Kind {
		case citusDistributed:
			out.Distributed = append(out.Distributed, t.Name)
		case citusReference:
			out.Reference = append(out.Reference, t.Name)
		}
	}
	return out, nil
}

// citusPlanTables names the tables a plan's statements distribute.
func citusPlanTables(stmts []string) []string {
	var names []string
	for _, st := range stmts {
		if !strings.HasPrefix(st, "SELECT create_") {
			continue
		}
		if i := strings.Index(st, "('"); i >= 0 {
			rest := st[i+2:]
			if j := strings.Index(rest, "'"); j >= 0 {
				names = append(names, rest[:j])
			}
		}
	}
	return names
}

// citusTables reads the tables of the current schema with their columns and foreign keys, and,
// when withMetadata is set, their place in Citus's metadata (pg_dist_partition). The shards Citus
// keeps on the coordinator are not listed: Citus hides them from the catalog.
func (s *Store) citusTables(ctx context.Context, withMetadata bool) ([]citusTable, error) {
	db := s.DB.WithContext(ctx)
	var cols []struct{ Table, Column string }
	if err := db.Raw(`SELECT c.relname AS "table", a.attname AS "column"
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
		  AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`).Scan(&cols).Error; err != nil {
		return nil, fmt.Errorf("citus: list tables: %w", err)
	}
	var fks []struct{ Table, Name, Ref, Def string }
	if err := db.Raw(`SELECT c.relname AS "table", k.conname AS name, r.relname AS ref, pg_get_constraintdef(k.oid) AS def
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace
		ORDER BY 1, 2`).Scan(&fks).Error; err != nil {
		return nil, fmt.Errorf("citus: list foreign keys: %w", err)
	}
	var meta []struct {
		Table, Method, Model, Column string
		Colocation                   int
	}
	if withMetadata {
		if err := db.Raw(`SELECT c.relname AS "table", p.partmethod::text AS method, p.repmodel::text AS model,
			COALESCE(CASE WHEN p.partmethod = 'h' THEN column_to_column_name(p.logicalrelid, p.partkey) END, '') AS "column",
			p.colocationid AS colocation
			FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
			WHERE c.relnamespace = current_schema()::regnamespace`).Scan(&meta).Error; err != nil {
			return nil, fmt.Errorf("citus: read pg_dist_partition: %w", err)
		}
	}
	index := map[string]int{}
	var tables []citusTable
	for _, c := range cols {
		i, ok := index[c.Table]
		if !ok {
			i = len(tables)
			index[c.Table] = i
			tables = append(tables, citusTable{Name: c.Table})
		}
		tables[i].Columns = append(tables[i].Columns, c.Column)
	}
	for _, fk := range fks {
		if i, ok := index[fk.Table]; ok {
			tables[i].ForeignKeys = append(tables[i].ForeignKeys, citusFK{Name: fk.Name, Ref: fk.Ref, Def: fk.Def})
		}
	}
	for _, m := range meta {
		i, ok := index[m.Table]
		if !ok {
			continue
		}
		t := &tables[i]
		switch {
		case m.Method == "h":
			t.Kind, t.DistColumn, t.Colocation = citusDistributed, m.Column, m.Colocation
		case m.Method == "n" && m.Model == "t":
			t.Kind = citusReference
		case m.Method == "n":
			t.Kind = citusCitusLocal
		default:
			t.Kind = "partmethod " + m.Method
		}
	}
	return tables, nil
}
