package roster

import (
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// The simple format: plain CSV files a school without a student information system can fill in
// with a spreadsheet. See the README's "Rostering" section for the columns.
const (
	fileSchools   = "schools.csv"
	fileStudents  = "students.csv"
	fileStaff     = "staff.csv"
	fileGuardians = "guardians.csv"
)

func staffRoles() []string    { return []string{"teacher", "administrator", "aide", "proctor"} }
func guardianRoles() []string { return []string{"parent", "guardian", "relative"} }

// simpleReader reads the simple format into a dataset: people files first need the schools.
type simpleReader struct {
	d        *dataset
	m        fileMode
	now      time.Time
	haveFile bool              // schools.csv is there: school columns refer to it
	byName   map[string]string // lower-cased school name → school id (schools.csv)
	firstAt  map[string]where  // person id → where it was first seen, across the three files
	homeroom bool              // some file has a homeroom column
}

func readSimple(src *source, opt Options, now time.Time, p *problems) (*dataset, error) {
	d := newDataset(FormatSimple)
	d.probs = p
	r := &simpleReader{d: d, m: bulk, now: now, byName: map[string]string{}, firstAt: map[string]where{}}
	if opt.Mode == ModeDelta {
		r.m = delta
	}
	if !src.has(fileStudents) && !src.has(fileStaff) && !src.has(fileGuardians) {
		p.fileSeen(fileStudents)
		p.addStructural(fileStudents, 0, "simple_missing", "required file is missing (the simple format needs students.csv, staff.csv or guardians.csv)")
		return d, nil
	}
	// Schools named only in the school columns are never deactivated: no file lists them all.
	d.orgMode = delta
	if src.has(fileSchools) {
		d.orgMode = r.m
		r.haveFile = true
	}
	if src.has(fileSchools) {
		t, err := src.open(fileSchools, p)
		if err != nil {
			return nil, err
		}
		r.readSchools(t)
		t.close()
	}
	people := []struct {
		name string
		read func(*table, func(*personRec) error) error
	}{
		{fileStudents, r.readStudents},
		{fileStaff, r.readStaff},
		{fileGuardians, r.readGuardians},
	}
	readPeople := func(emit func(*personRec) error, p *problems) error {
		for _, f := range people {
			if !src.has(f.name) {
				continue
			}
			t, err := src.open(f.name, p)
			if err != nil {
				return err
			}
			err = f.read(t, emit)
			t.close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := readPeople(func(p *personRec) error { d.keep(p); r.homeroomOf(p); return nil }, p); err != nil {
		return nil, err
	}
	if r.homeroom {
		d.classMode, d.enrollMode = r.m, r.m
	}
	d.rereadPeople = func(emit func(*personRec) error) error {
		r.firstAt = map[string]where{} // the second pass meets every id again
		return readPeople(emit, newProblems(p.max))
	}
	return d, nil
}

// homeroomOf puts a person in the homeroom class their row names, making the class (one per
// school and homeroom name) on first mention: class codes are handed out per homeroom.
func (r *simpleReader) homeroomOf(p *personRec) {
	if p.homeroom == "" || len(p.orgs) == 0 {
		return
	}
	school := p.orgs[0]
	id := r.d.in.of("homeroom:" + school + ":" + p.homeroom)
	if _, ok := r.d.classIdx[id]; !ok {
		r.d.classIdx[id] = len(r.d.classes)
		r.d.classes = append(r.d.classes, classRec{at: p.at, id: id, title: r.d.in.of(p.homeroom), classType: "homeroom", school: r.d.in.of(school)})
	}
	role := "student"
	if p.kind == store.KindStaff {
		role = "teacher"
	}
	r.d.enrolls = append(r.d.enrolls, enrollRec{at: p.at, class: id, school: r.d.in.of(school), user: r.d.user(p.id), role: role, active: true})
}

func (r *simpleReader) readSchools(t *table) {
	if !t.require("id", "name") {
		return
	}
	cID, cName, cTZ := t.col("id"), t.col("name"), t.col("time_zone")
	seen := map[string]int{}
	for t.next() {
		id, name := t.get(cID), t.get(cName)
		if !t.required("id", id) {
			continue
		}
		if first, dup := seen[id]; dup {
			t.add("duplicate_id", "duplicate id %q (first on line %d)", "ID", id, "First", first)
			continue
		}
		if !t.p.full() {
			seen[id] = t.line
		}
		t.required("name", name)
		o := orgRec{at: where{t.name, t.line}, id: id, name: name, typ: "school"}
		if tz := t.get(cTZ); tz != "" {
			if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
				t.add("time_zone", "%s: unknown time zone %q (want an IANA name such as America/Chicago)", "Column", "time_zone", "Value", tz)
			} else {
				o.tz = some(tz)
			}
		}
		r.byName[strings.ToLower(name)] = id
		r.d.orgIdx[id] = len(r.d.orgs)
		r.d.orgs = append(r.d.orgs, o)
	}
}

// school resolves a school column value to school ids: with schools.csv, each value is an id or
// a name from it; without it, each name makes a school. Staff may list several, separated by ";".
func (r *simpleReader) school(t *table, v string) []string {
	var out []string
	for _, name := range splitList(v, ";") {
		if !r.haveFile {
			if _, ok := r.d.orgIdx[name]; !ok {
				r.d.orgIdx[name] = len(r.d.orgs)
				r.d.orgs = append(r.d.orgs, orgRec{at: where{t.name, t.line}, id: name, name: name, typ: "school"})
			}
			out = append(out, name)
			continue
		}
		if _, ok := r.d.orgIdx[name]; ok {
			out = append(out, name)
		} else if id, ok := r.byName[strings.ToLower(name)]; ok {
			out = append(out, id)
		} else {
			t.add("unknown_school", "school: unknown school %q (not in schools.csv)", "Value", name)
		}
	}
	return out
}

// person reads the columns all three files share.
func (r *simpleReader) person(t *table, kind string) (personRec, bool) {
	id := t.get(t.col("id"))
	if !t.required("id", id) {
		return personRec{}, false
	}
	if first, dup := r.firstAt[id]; dup {
		t.add("duplicate_id_at", "duplicate id %q (first at %s:%d)", "ID", id, "File", first.file, "First", first.line)
		return personRec{}, false
	}
	r.firstAt[id] = where{t.name, t.line}
	p := personRec{at: where{t.name, t.line}, id: id, kind: kind,
		given: t.get(t.col("first_name")), family: t.get(t.col("last_name"))}
	t.required("first_name", p.given)
	t.required("last_name", p.family)
	if c := t.col("email"); c >= 0 {
		p.email = some(t.get(c))
	}
	p.optOut = t.flag(t.col("survey_opt_out"), "survey_opt_out")
	return p, true
}

// yesNoColumn reads a yes/no attribute column; blank removes the attribute.
func (r *simpleReader) yesNoColumn(t *table, p *personRec, col, attr string) {
	c := t.col(col)
	if c < 0 {
		return
	}
	v := t.get(c)
	if v == "" {
		p.attrs = append(p.attrs, attrOp{attr, ""})
		return
	}
	b, ok := parseBool(v)
	if !ok {
		t.add("yesno_invalid", "%s: invalid value %q (want yes or no)", "Column", col, "Value", v)
		return
	}
	p.attrs = append(p.attrs, attrOp{attr, yesNo(b)})
}

func (r *simpleReader) homeroomColumn(t *table, p *personRec) {
	c := t.col("homeroom")
	if c < 0 {
		return
	}
	r.homeroom = true
	p.homeroom = t.get(c)
}

func (r *simpleReader) readStudents(t *table, emit func(*personRec) error) error {
	if !t.require("id", "school", "first_name", "last_name") {
		return nil
	}
	r.d.peopleMode[store.KindStudent] = r.m
	for t.next() {
		p, ok := r.person(t, store.KindStudent)
		if !ok {
			continue
		}
		p.role = "student"
		if v := t.get(t.col("school")); t.required("school", v) {
			p.orgs = r.school(t, v)
		}
		if c := t.col("grade"); c >= 0 {
			g := ""
			if v := t.get(c); v != "" {
				var ok bool
				if g, ok = normGrade(v); !ok {
					t.add("grade_simple", "grade: invalid value %q (want K or 1 … 12)", "Value", v)
				}
			}
			p.grade = some(g)
		}
		if c := t.col("gender"); c >= 0 {
			v := t.get(c)
			if g, ok := normGender(v); ok {
				p.attrs = append(p.attrs, attrOp{AttrGender, g})
			} else {
				t.add("gender_invalid", "gender: invalid value %q (want female, male or nonbinary)", "Value", v)
			}
		}
		if c := t.col("race_ethnicity"); c >= 0 {
			race := ""
			if v := t.get(c); v != "" {
				var ok bool
				if race, ok = normRace(v); !ok {
					t.invalid("race_ethnicity", v, RaceValues())
				}
			}
			p.attrs = append(p.attrs, attrOp{AttrRaceEthnicity, race})
		}
		if c := t.col("birth_date"); c >= 0 {
			if b, ok := t.date("birth_date", t.get(c)); ok {
				band := ""
				if !b.IsZero() && !b.After(r.now) {
					band = ageBand(b, r.now)
				}
				p.attrs = append(p.attrs, attrOp{AttrAgeBand, band})
			}
		}
		if c := t.col("home_language"); c >= 0 {
			home := t.language("home_language", t.get(c))
			p.attrs = append(p.attrs, attrOp{AttrHomeLanguage, home})
			p.lang = some(home)
		}
		r.yesNoColumn(t, &p, "english_learner", AttrEnglishLearner)
		r.yesNoColumn(t, &p, "disability", AttrDisability)
		r.yesNoColumn(t, &p, "low_income", AttrLowIncome)
		r.homeroomColumn(t, &p)
		if err := emit(&p); err != nil {
			return err
		}
	}
	return nil
}

func (r *simpleReader) readStaff(t *table, emit func(*personRec) error) error {
	if !t.require("id", "school", "first_name", "last_name") {
		return nil
	}
	r.d.peopleMode[store.KindStaff] = r.m
	cRole, cDept, cHire := t.col("role"), t.col("department"), t.col("hire_date")
	for t.next() {
		p, ok := r.person(t, store.KindStaff)
		if !ok {
			continue
		}
		p.role = "teacher"
		if v := t.get(cRole); v != "" {
			p.role, _ = t.enum("role", v, staffRoles())
		}
		if v := t.get(t.col("school")); t.required("school", v) {
			p.orgs = r.school(t, v)
		}
		if cDept >= 0 {
			p.attrs = append(p.attrs, attrOp{AttrDepartment, t.get(cDept)})
		}
		if cHire >= 0 {
			if h, ok := t.date("hire_date", t.get(cHire)); ok {
				band := ""
				if !h.IsZero() {
					band = tenureBand(h, r.now)
				}
				p.attrs = append(p.attrs, attrOp{AttrTenure, band})
			}
		}
		r.homeroomColumn(t, &p)
		if err := emit(&p); err != nil {
			return err
		}
	}
	return nil
}

func (r *simpleReader) readGuardians(t *table, emit func(*personRec) error) error {
	if !t.require("id", "first_name", "last_name") {
		return nil
	}
	r.d.peopleMode[store.KindGuardian] = r.m
	cPhone, cLang, cStudents, cRel := t.col("phone"), t.col("language"), t.col("student_ids"), t.col("relationship")
	for t.next() {
		p, ok := r.person(t, store.KindGuardian)
		if !ok {
			continue
		}
		p.role = "guardian"
		if v := t.get(cRel); v != "" {
			p.role, _ = t.enum("relationship", v, guardianRoles())
		}
		if cPhone >= 0 {
			p.phone = some("")
			if raw := t.get(cPhone); raw != "" {
				if e164, ok := normPhone(raw); ok {
					p.phone = some(e164)
				} else {
					t.warnf("phone", "%s: cannot read %q as a phone number; imported without a phone", "Column", "phone", "Value", raw)
				}
			}
		}
		if cLang >= 0 {
			lang := t.language("language", t.get(cLang))
			p.lang = some(lang)
			p.attrs = append(p.attrs, attrOp{AttrHomeLanguage, lang})
		}
		if cStudents >= 0 {
			p.agents = splitList(strings.ReplaceAll(t.get(cStudents), ",", ";"), ";")
			p.agentsOwner = true
		}
		p.noText = t.flag(t.col("do_not_text"), "do_not_text")
		if err := emit(&p); err != nil {
			return err
		}
	}
	return nil
}
