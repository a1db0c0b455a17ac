package roster

import (
	"slices"
	"strings"

	"github.com/trustpulse/trustpulse/internal/store"
)

// resolver checks every reference between records against this import's files and, where a file
// is a delta (or absent), against what the district already holds; and gives every record its
// row id. A record a bulk file leaves out does not count: it is about to be deactivated.
type resolver struct {
	d  *dataset
	ex *existing
	p  *problems

	schoolIDs map[string]int64 // school sourcedId → row id, this import's and the district's
	classIDs  map[string]int64
	agentsCol string

	schoolsOf map[string][]int64    // personKey.orgs → the schools it names, in order
	links     map[[2]int64]struct{} // the guardian links (guardian, student) the import states
	owners    map[int64]bool        // delta: people whose row states their whole list of links
	demoOps   map[int64][]attrOp    // person → demographic attribute changes
	enrolls   []enrollment          // by class and person, one each
}

// enrollment is a resolved enrollments.csv row.
type enrollment struct {
	class, person int64
	role          string
	active        bool
}

func newResolver(d *dataset, ex *existing, p *problems) *resolver {
	r := &resolver{d: d, ex: ex, p: p, schoolIDs: map[string]int64{}, classIDs: map[string]int64{},
		schoolsOf: map[string][]int64{}, links: map[[2]int64]struct{}{}, owners: map[int64]bool{}, demoOps: map[int64][]attrOp{},
		agentsCol: "agentSourcedIds"}
	if d.format == FormatSimple {
		r.agentsCol = "student_ids"
	}
	return r
}

func (r *resolver) add(at where, id, format string, kv ...any) {
	r.p.add(at.file, at.line, id, format, kv...)
}

func (r *resolver) warn(at where, id, format string, kv ...any) {
	r.p.warnf(at.file, at.line, id, format, kv...)
}

// unknown reports a reference, in column col, to a record of the kind what ("org", "user",
// "class", "course" or "academic session") that neither the import nor the district has.
func (r *resolver) unknown(at where, what, col, sid string) {
	r.add(at, "unknown_"+strings.ReplaceAll(what, " ", "_"), "%s: unknown "+what+" %q", "Column", col, "Value", sid)
}

// org finds an org by sourcedId: its type and parent.
func (r *resolver) org(sid string) (typ, parent string, ok bool) {
	if i, ok := r.d.orgIdx[sid]; ok && !r.d.orgs[i].deleted {
		return r.d.orgs[i].typ, r.d.orgs[i].parent, true
	}
	_, inFile := r.d.orgIdx[sid]
	if r.d.orgMode == bulk && !inFile {
		return "", "", false
	}
	if rec, ok := r.ex.records[[2]string{"org", sid}]; ok {
		return rec.typ, rec.parent, true
	}
	if _, ok := r.ex.schools[sid]; ok {
		return "school", "", true
	}
	return "", "", false
}

// schoolOf is the school an org stands for: itself, or for a department its school.
func (r *resolver) schoolOf(sid string) string {
	for range 8 { // departments nest; a cycle must not hang the import
		typ, parent, ok := r.org(sid)
		switch {
		case !ok:
			return ""
		case typ == "school":
			return sid
		case typ != "department" || parent == "":
			return ""
		}
		sid = parent
	}
	return ""
}

// ref finds an academic session or course.
func (r *resolver) ref(entity, sid string, m fileMode) bool {
	if i, ok := r.d.refIdx[[2]string{entity, sid}]; ok {
		if !r.d.refs[i].deleted {
			return true
		}
	} else if m == bulk {
		return false
	}
	_, ok := r.ex.records[[2]string{entity, sid}]
	return ok
}

// person finds a user by sourcedId: their kind and row id.
func (r *resolver) person(sid string) (kind string, id int64, ok bool) {
	i, inFile := r.d.personIdx[sid]
	if inFile && !r.d.people[i].deleted {
		return r.d.people[i].kind, r.d.people[i].pid, true
	}
	e, there := r.ex.people[sid]
	if !there || (!inFile && r.d.peopleMode[e.kind] == bulk) {
		return "", 0, false
	}
	return e.kind, e.id, true
}

func (r *resolver) class(sid string) (int64, bool) {
	if id, ok := r.classIDs[sid]; ok {
		return id, true
	}
	_, inFile := r.d.classIdx[sid]
	if r.d.classMode == bulk && !inFile {
		return 0, false
	}
	if c, ok := r.ex.classes[sid]; ok {
		return c.id, true
	}
	return 0, false
}

func kindNoun(kind string) string {
	switch kind {
	case store.KindStudent:
		return "student"
	case store.KindGuardian:
		return "guardian"
	}
	return "staff member"
}

// kindID names a kind of person in a problem's message ID, as kindNoun does in its sentence.
func kindID(kind string) string {
	switch kind {
	case store.KindStudent, store.KindGuardian:
		return kind
	}
	return store.KindStaff
}

func describeKind(kind string) string {
	switch kind {
	case store.KindStudent:
		return "a student"
	case store.KindGuardian:
		return "a parent, guardian or relative"
	}
	return "a staff member"
}

func (r *resolver) resolve() {
	d := r.d
	// Orgs: give schools their ids, and check parents.
	for i := range d.orgs {
		o := &d.orgs[i]
		if o.deleted {
			continue
		}
		if o.typ == "school" {
			if e, ok := r.ex.schools[o.id]; ok {
				r.schoolIDs[o.id] = e.id
			} else {
				r.schoolIDs[o.id] = store.NewID()
			}
		}
		// A district's parent (a state or national body) is outside the district's export.
		if o.parent != "" && o.typ != "district" {
			if _, _, ok := r.org(o.parent); !ok {
				r.unknown(o.at, "org", "parentSourcedId", o.parent)
			}
		}
	}
	for sid, s := range r.ex.schools {
		if _, ok := r.schoolIDs[sid]; !ok {
			r.schoolIDs[sid] = s.id
		}
	}
	for i := range d.refs {
		f := &d.refs[i]
		if f.deleted || f.up == "" {
			continue
		}
		if f.entity == "academicSession" && !r.ref("academicSession", f.up, d.sessionMode) {
			r.unknown(f.at, "academic session", "parentSourcedId", f.up)
		}
		if f.entity == "course" {
			if _, _, ok := r.org(f.up); !ok {
				r.unknown(f.at, "org", "orgSourcedId", f.up)
			}
		}
	}

	// People: ids first, so references between them resolve in any order.
	for i := range d.people {
		p := &d.people[i]
		if e, ok := r.ex.people[p.id]; ok {
			p.pid = e.id
		} else if !p.deleted {
			p.pid = store.NewID()
		}
	}
	orgsCol := "orgSourcedIds"
	if d.format == FormatSimple {
		orgsCol = "school"
	}
	unknown := map[string][]string{}
	for i := range d.people {
		p := &d.people[i]
		if p.deleted {
			if _, ok := r.ex.people[p.id]; !ok {
				r.warn(p.at, "deleted_unknown", "user %q is marked tobedeleted but is not in the district; ignored", "ID", p.id)
			}
			continue
		}
		schools, seen := r.schoolsOf[p.orgs]
		if !seen {
			for _, o := range splitKey(p.orgs) {
				if _, _, ok := r.org(o); !ok {
					unknown[p.orgs] = append(unknown[p.orgs], o)
				} else if s := r.schoolOf(o); s != "" && !slices.Contains(schools, r.schoolIDs[s]) {
					schools = append(schools, r.schoolIDs[s])
				}
			}
			r.schoolsOf[p.orgs] = schools
		}
		for _, o := range unknown[p.orgs] {
			r.unknown(p.at, "org", orgsCol, o)
		}
		if len(schools) == 0 && len(unknown[p.orgs]) == 0 && p.kind != store.KindGuardian && p.kind != "" {
			r.warn(p.at, "no_school_"+kindID(p.kind), kindNoun(p.kind)+" %q belongs to no school (%s names none); imported without a school", "ID", p.id, "Column", orgsCol)
		}
		if p.kind == store.KindStaff || p.kind == "" || p.agents == "" && !p.agentsOwner {
			continue
		}
		if p.agentsOwner && d.peopleMode[p.kind] == delta {
			r.owners[p.pid] = true
		}
		for _, a := range splitKey(p.agents) {
			kind, id, ok := r.person(a)
			switch {
			case !ok:
				r.unknown(p.at, "user", r.agentsCol, a)
			case kind == "": // its role is invalid, and reported
			case p.kind == store.KindStudent && kind != store.KindGuardian:
				r.add(p.at, "agent_not_guardian_"+kindID(kind), "%s: %q is "+describeKind(kind)+", not a parent, guardian or relative", "Column", r.agentsCol, "Value", a)
			case p.kind == store.KindGuardian && kind != store.KindStudent:
				r.add(p.at, "agent_not_student_"+kindID(kind), "%s: %q is "+describeKind(kind)+", not a student", "Column", r.agentsCol, "Value", a)
			case p.kind == store.KindStudent:
				r.links[[2]int64{id, p.pid}] = struct{}{}
			default:
				r.links[[2]int64{p.pid, id}] = struct{}{}
			}
		}
	}

	for _, dm := range d.demo {
		_, id, ok := r.person(dm.user)
		if !ok {
			if dm.deleted {
				continue
			}
			r.unknown(dm.at, "user", "sourcedId", dm.user)
			continue
		}
		r.demoOps[id] = dm.attrs // sourcedIds are unique in the file: one row per person
	}
	d.demo = nil // what the write needs is in demoOps now

	for i := range d.classes {
		c := &d.classes[i]
		if c.deleted {
			continue
		}
		if e, ok := r.ex.classes[c.id]; ok {
			r.classIDs[c.id] = e.id
		} else {
			r.classIDs[c.id] = store.NewID()
		}
		if typ, _, ok := r.org(c.school); !ok {
			r.unknown(c.at, "org", "schoolSourcedId", c.school)
		} else if typ != "school" && typ != "" { // "": an invalid type, reported where it was read
			r.add(c.at, "not_school", "schoolSourcedId: %q is a %s org, not a school", "Value", c.school, "Type", typ)
		}
		if d.sessionMode != absent {
			for _, term := range c.terms {
				if !r.ref("academicSession", term, d.sessionMode) {
					r.unknown(c.at, "academic session", "termSourcedIds", term)
				}
			}
		}
		if d.courseMode != absent && c.crs != "" && !r.ref("course", c.crs, d.courseMode) {
			r.unknown(c.at, "course", "courseSourcedId", c.crs)
		}
	}

	for _, e := range d.enrolls {
		cid, okC := r.class(e.class)
		if !okC {
			r.unknown(e.at, "class", "classSourcedId", e.class)
		}
		_, pid, okP := r.person(e.user)
		if !okP {
			r.unknown(e.at, "user", "userSourcedId", e.user)
		}
		if e.school != "" {
			if _, _, ok := r.org(e.school); !ok {
				r.unknown(e.at, "org", "schoolSourcedId", e.school)
			}
		}
		if okC && okP {
			r.enrolls = append(r.enrolls, enrollment{class: cid, person: pid, role: e.role, active: e.active})
		}
	}
	d.enrolls = nil
	// One enrollment per class and person; of several rows for one, the last counts.
	slices.SortStableFunc(r.enrolls, func(a, b enrollment) int { return cmp2(a.class, a.person, b.class, b.person) })
	out := r.enrolls[:0]
	for i, e := range r.enrolls {
		if i+1 < len(r.enrolls) && r.enrolls[i+1].class == e.class && r.enrolls[i+1].person == e.person {
			continue
		}
		out = append(out, e)
	}
	r.enrolls = slices.Clip(out)
}
