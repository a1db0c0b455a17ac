package roster

import (
	"database/sql"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// existing is what the district holds before the import: everything the import compares with,
// keeps from, or may deactivate. Read inside the import's transaction.
type existing struct {
	records       map[[2]string]exRecord
	schools       map[string]*exSchool
	people        map[string]exKey
	personSchools [][2]int64        // (person, school), sorted
	links         map[[2]int64]bool // guardian, student
	classes       map[string]*exClass
	enrolls       map[[2]int64]exEnroll // class, person
}

type exRecord struct {
	typ, title, parent string
	active             bool
}

type exSchool struct {
	id             int64
	name, timeZone string
	active         bool
}

// exKey is what the import needs of every stored person up front; their full rows are read a
// batch at a time, as the second pass reaches them (loadPeople).
type exKey struct {
	id     int64
	kind   string
	active bool
}

type exPerson struct {
	id                                      int64
	kind, role, given, family, email, grade string
	schoolID                                int64 // 0: none
	attrs, lang, phone                      string
	optOut, noText, active                  bool
}

type exClass struct {
	id, schoolID     int64
	title, classType string
	active           bool
}

type exEnroll struct {
	role   string
	active bool
}

func loadExisting(tx *gorm.DB, districtID int64) (*existing, error) {
	ex := &existing{
		records: map[[2]string]exRecord{}, schools: map[string]*exSchool{}, people: map[string]exKey{},
		links: map[[2]int64]bool{}, classes: map[string]*exClass{}, enrolls: map[[2]int64]exEnroll{},
	}
	in := interner{}
	scan := func(what, q string, row func(*sql.Rows) error) error {
		rows, err := tx.Raw(q, districtID).Rows()
		if err != nil {
			return fmt.Errorf("load %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows); err != nil {
				return fmt.Errorf("load %s: %w", what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load %s: %w", what, err)
		}
		return nil
	}
	err := scan("roster records", `SELECT entity, sourced_id, record_type, title, parent_sourced_id, active FROM roster_records WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var entity, sid string
			var rec exRecord
			if err := r.Scan(&entity, &sid, &rec.typ, &rec.title, &rec.parent, &rec.active); err != nil {
				return err
			}
			ex.records[[2]string{entity, sid}] = rec
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = scan("schools", `SELECT id, sourced_id, name, time_zone, active FROM schools WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var sid string
			s := &exSchool{}
			if err := r.Scan(&s.id, &sid, &s.name, &s.timeZone, &s.active); err != nil {
				return err
			}
			ex.schools[sid] = s
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = scan("people", `SELECT id, sourced_id, kind, active FROM people WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var sid string
			var k exKey
			if err := r.Scan(&k.id, &sid, &k.kind, &k.active); err != nil {
				return err
			}
			k.kind = in.of(k.kind)
			ex.people[sid] = k
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = scan("person schools", `SELECT person_id, school_id FROM person_schools WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var pid, sid int64
			if err := r.Scan(&pid, &sid); err != nil {
				return err
			}
			ex.personSchools = append(ex.personSchools, [2]int64{pid, sid})
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = scan("guardian links", `SELECT guardian_id, student_id FROM guardian_links WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var g, s int64
			if err := r.Scan(&g, &s); err != nil {
				return err
			}
			ex.links[[2]int64{g, s}] = true
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = scan("classes", `SELECT id, sourced_id, school_id, title, class_type, active FROM classes WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var sid string
			c := &exClass{}
			if err := r.Scan(&c.id, &sid, &c.schoolID, &c.title, &c.classType, &c.active); err != nil {
				return err
			}
			c.classType = in.of(c.classType)
			ex.classes[sid] = c
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = scan("enrollments", `SELECT class_id, person_id, role, active FROM enrollments WHERE district_id = ?`,
		func(r *sql.Rows) error {
			var k [2]int64
			var e exEnroll
			if err := r.Scan(&k[0], &k[1], &e.role, &e.active); err != nil {
				return err
			}
			e.role = in.of(e.role)
			ex.enrolls[k] = e
			return nil
		})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ex.personSchools, func(a, b [2]int64) int { return cmp2(a[0], a[1], b[0], b[1]) })
	return ex, nil
}

// schoolsOf lists the schools a person is stored as belonging to.
func (ex *existing) schoolsOf(person int64) []int64 {
	i, _ := slices.BinarySearchFunc(ex.personSchools, person, func(p [2]int64, id int64) int { return cmp2(p[0], 0, id, 0) })
	var out []int64
	for ; i < len(ex.personSchools) && ex.personSchools[i][0] == person; i++ {
		out = append(out, ex.personSchools[i][1])
	}
	return out
}

const personColumns = `id, sourced_id, kind, role, given_name, family_name, email, school_id, grade, attributes,
	preferred_language, phone, survey_opt_out, do_not_text, active`

// loadPeople reads the full stored rows of some people, by sourcedId or (ids) by row id.
func loadPeople(tx *gorm.DB, districtID int64, sids []string, ids []int64) (map[string]*exPerson, error) {
	out := make(map[string]*exPerson, len(sids)+len(ids))
	q, arg := `SELECT `+personColumns+` FROM people WHERE district_id = ? AND sourced_id IN ?`, any(sids)
	if sids == nil {
		q, arg = `SELECT `+personColumns+` FROM people WHERE district_id = ? AND id IN ?`, any(ids)
	}
	rows, err := tx.Raw(q, districtID, arg).Rows()
	if err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid string
		var school sql.NullInt64
		p := &exPerson{}
		if err := rows.Scan(&p.id, &sid, &p.kind, &p.role, &p.given, &p.family, &p.email, &school, &p.grade, &p.attrs,
			&p.lang, &p.phone, &p.optOut, &p.noText, &p.active); err != nil {
			return nil, fmt.Errorf("load people: %w", err)
		}
		p.schoolID = school.Int64
		out[sid] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	return out, nil
}
