package store

import (
	"strings"
	"testing"
)

func TestCitusPlan(t *testing.T) {
	cols := []string{"district_id", "id"}
	keys := func(name string, refs []string) []citusFK {
		var fks []citusFK
		for _, r := range refs {
			fks = append(fks, citusFK{Name: name + "_" + r + "_fkey", Ref: r, Def: "FOREIGN KEY (district_id) REFERENCES " + r + "(district_id)"})
		}
		return fks
	}
	local := func(name string, refs ...string) citusTable {
		return citusTable{Name: name, Columns: cols, ForeignKeys: keys(name, refs)}
	}
	dist := func(name string, group int, refs ...string) citusTable {
		return citusTable{Name: name, Columns: cols, ForeignKeys: keys(name, refs), Kind: citusDistributed, DistColumn: "district_id", Colocation: group}
	}
	goose := citusTable{Name: "goose_db_version", Columns: []string{"id", "version_id"}}
	districts := citusTable{Name: "districts", Columns: []string{"district_id", "slug"}}
	refDistricts := districts
	refDistricts.Kind = citusReference
	for _, tc := range []struct {
		name   string
		tables []citusTable
		want   []string
		err    []string // substrings of the error
	}{{
		name: "fresh schema: districts a reference table, keys between distributed tables dropped and added again around the distribution, by foreign keys, co-located with the first",
		tables: []citusTable{goose, local("waves", "districts", "schools"), local("schools", "districts"), districts, local("audit_log"),
			local("scores", "waves", "schools", "scores")},
		want: []string{
			"SELECT create_reference_table('districts')",
			`ALTER TABLE "waves" DROP CONSTRAINT "waves_schools_fkey"`,
			`ALTER TABLE "scores" DROP CONSTRAINT "scores_waves_fkey"`,
			`ALTER TABLE "scores" DROP CONSTRAINT "scores_schools_fkey"`,
			"SELECT create_distributed_table('audit_log', 'district_id')",
			"SELECT create_distributed_table('schools', 'district_id', colocate_with => 'audit_log')",
			"SELECT create_distributed_table('waves', 'district_id', colocate_with => 'audit_log')",
			"SELECT create_distributed_table('scores', 'district_id', colocate_with => 'audit_log')",
			`ALTER TABLE "waves" ADD CONSTRAINT "waves_schools_fkey" FOREIGN KEY (district_id) REFERENCES schools(district_id)`,
			`ALTER TABLE "scores" ADD CONSTRAINT "scores_waves_fkey" FOREIGN KEY (district_id) REFERENCES waves(district_id)`,
			`ALTER TABLE "scores" ADD CONSTRAINT "scores_schools_fkey" FOREIGN KEY (district_id) REFERENCES schools(district_id)`,
		},
	}, {
		name:   "second run plans nothing",
		tables: []citusTable{goose, refDistricts, dist("schools", 7, "districts"), dist("waves", 7, "districts", "schools")},
	}, {
		name: "a table a later migration adds is co-located with the distributed ones, its keys to them kept",
		tables: []citusTable{goose, refDistricts, dist("schools", 7, "districts"), local("help_texts", "districts", "schools"),
			local("notes", "help_texts", "schools")},
		want: []string{
			`ALTER TABLE "notes" DROP CONSTRAINT "notes_help_texts_fkey"`,
			"SELECT create_distributed_table('help_texts', 'district_id', colocate_with => 'schools')",
			"SELECT create_distributed_table('notes', 'district_id', colocate_with => 'schools')",
			`ALTER TABLE "notes" ADD CONSTRAINT "notes_help_texts_fkey" FOREIGN KEY (district_id) REFERENCES help_texts(district_id)`,
		},
	}, {
		name: "a table Citus made a citus local table (it references a reference table) is distributed",
		tables: []citusTable{refDistricts, dist("schools", 3, "districts"),
			{Name: "people", Columns: cols, ForeignKeys: keys("people", []string{"districts", "schools"}), Kind: citusCitusLocal}},
		want: []string{"SELECT create_distributed_table('people', 'district_id', colocate_with => 'schools')"},
	}, {
		name:   "self references stay, repeated references do not block the order",
		tables: []citusTable{local("people", "people", "schools", "schools"), local("schools")},
		want: []string{
			`ALTER TABLE "people" DROP CONSTRAINT "people_schools_fkey"`,
			`ALTER TABLE "people" DROP CONSTRAINT "people_schools_fkey"`,
			"SELECT create_distributed_table('schools', 'district_id')",
			"SELECT create_distributed_table('people', 'district_id', colocate_with => 'schools')",
			`ALTER TABLE "people" ADD CONSTRAINT "people_schools_fkey" FOREIGN KEY (district_id) REFERENCES schools(district_id)`,
			`ALTER TABLE "people" ADD CONSTRAINT "people_schools_fkey" FOREIGN KEY (district_id) REFERENCES schools(district_id)`,
		},
	}, {
		name:   "a table without district_id is named, and nothing runs",
		tables: []citusTable{districts, {Name: "settings"}, {Name: "notes", Columns: []string{"id"}}},
		err:    []string{"2 tables cannot be distributed", "notes has no district_id column", "settings has no district_id column"},
	}, {
		name: "wrong column, wrong co-location, a reference project table, a distributed goose table and districts",
		tables: []citusTable{
			{Name: "goose_db_version", Kind: citusReference},
			{Name: "districts", Columns: []string{"district_id"}, Kind: citusDistributed, DistColumn: "district_id", Colocation: 1},
			dist("schools", 2),
			dist("waves", 5),
			{Name: "people", Columns: cols, Kind: citusDistributed, DistColumn: "id", Colocation: 2},
			{Name: "users", Columns: cols, Kind: citusReference},
		},
		err: []string{
			"goose_db_version is a reference table: goose's version table must stay local",
			"districts is a distributed table, it must be a reference table",
			"people is distributed on id, not district_id",
			"users is a reference table, it must be distributed on district_id",
			"waves is not co-located with schools",
		},
	}, {
		name:   "a foreign key cycle is refused",
		tables: []citusTable{local("a", "b"), local("b", "a"), local("c")},
		err:    []string{"the foreign keys of a, b form a cycle"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := citusPlan(tc.tables)
			if len(tc.err) > 0 {
				if err == nil {
					t.Fatalf("no error, plan %q", got)
				}
				for _, want := range tc.err {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\nlacks %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("plan\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestCitusPlanTables(t *testing.T) {
	got := citusPlanTables([]string{"SELECT create_reference_table('districts')", `ALTER TABLE "people" DROP CONSTRAINT "people_schools_fkey"`,
		"SELECT create_distributed_table('waves', 'district_id', colocate_with => 'schools')"})
	if strings.Join(got, ",") != "districts,waves" {
		t.Errorf("got %q", got)
	}
}
