package roster

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/email"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
)

// batchSize rows per statement: one statement per 1,000 people stays far below both PostgreSQL's
// 65,535 and SQLite's 32,766 bound parameters, while keeping round trips few.
const batchSize = 1000

// writer applies a resolved import inside its transaction. Rows that would not change are not
// written, so a re-import of the same files touches nothing and updated_at keeps its meaning.
type writer struct {
	tx         *gorm.DB
	districtID int64
	now        time.Time
	d          *dataset
	ex         *existing
	r          *resolver
	log        *slog.Logger
	// progress, when set, hears how many of the import's people are written so far.
	progress func(done, total int)

	created, updated, deactivated int
	// silenced are people this import opts out or marks do not text: their queued texts go.
	silenced []int64
}

func cols(names ...string) []clause.Column {
	out := make([]clause.Column, len(names))
	for i, n := range names {
		out[i] = clause.Column{Name: n}
	}
	return out
}

// upsert inserts rows, updating the listed columns of those whose key already exists.
func upsert[T any](tx *gorm.DB, rows []T, key []string, update []string) error {
	if len(rows) == 0 {
		return nil
	}
	oc := clause.OnConflict{Columns: cols(key...)}
	if len(update) == 0 {
		oc.DoNothing = true
	} else {
		oc.DoUpdates = clause.AssignmentColumns(update)
	}
	return tx.Clauses(oc).Create(&rows).Error
}

// inBatches runs fn over ids (or pairs) batchSize at a time.
func inBatches[T any](all []T, fn func([]T) error) error {
	for len(all) > 0 {
		n := min(len(all), batchSize)
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

func pairs(ps [][2]int64) [][]any {
	out := make([][]any, len(ps))
	for i, p := range ps {
		out[i] = []any{p[0], p[1]}
	}
	return out
}

func (w *writer) write() error {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"roster records", w.records},
		{"schools", w.schools},
		{"people", w.people},
		{"guardian links", w.links},
		{"classes", w.classes},
		{"enrollments", w.enrollments},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.fn(); err != nil {
			return fmt.Errorf("write %s: %w", s.name, err)
		}
		w.log.Debug("roster written", "step", s.name, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// records remembers orgs, sessions and courses so later delta imports can refer to them.
func (w *writer) records() error {
	var rows []store.RosterRecord
	var off [][2]string
	inFile := map[[2]string]bool{}
	add := func(entity, sid, typ, title, parent string, deleted bool) {
		k := [2]string{entity, sid}
		inFile[k] = true
		e, had := w.ex.records[k]
		switch {
		case deleted:
			if had && e.active {
				off = append(off, k)
			}
		case !had || e.typ != typ || e.title != title || e.parent != parent || !e.active:
			rows = append(rows, store.RosterRecord{DistrictID: w.districtID, Entity: entity, SourcedID: sid, RecordType: typ,
				Title: title, ParentSourcedID: parent, Active: true, UpdatedAt: w.now})
		}
	}
	for _, o := range w.d.orgs {
		add("org", o.id, o.typ, o.name, o.parent, o.deleted)
	}
	for _, f := range w.d.refs {
		add(f.entity, f.id, f.typ, f.title, f.up, f.deleted)
	}
	modes := map[string]fileMode{"org": w.d.orgMode, "academicSession": w.d.sessionMode, "course": w.d.courseMode}
	for k, rec := range w.ex.records {
		if rec.active && modes[k[0]] == bulk && !inFile[k] {
			off = append(off, k)
		}
	}
	if err := inBatches(rows, func(b []store.RosterRecord) error {
		return upsert(w.tx, b, []string{"district_id", "entity", "sourced_id"}, []string{"record_type", "title", "parent_sourced_id", "active", "updated_at"})
	}); err != nil {
		return err
	}
	slices.SortFunc(off, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	for _, k := range off {
		err := w.tx.Model(&store.RosterRecord{}).Where("district_id = ? AND entity = ? AND sourced_id = ?", w.districtID, k[0], k[1]).
			Updates(map[string]any{"active": false, "updated_at": w.now}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) schools() error {
	var rows []store.School
	var off []int64
	inFile := map[string]bool{}
	for _, o := range w.d.orgs {
		e := w.ex.schools[o.id]
		if o.typ != "school" && e == nil {
			continue
		}
		inFile[o.id] = true
		if o.deleted {
			if e != nil && e.active {
				off = append(off, e.id)
			}
			continue
		}
		row := store.School{DistrictID: w.districtID, ID: w.r.schoolIDs[o.id], SourcedID: o.id, Name: o.name,
			TimeZone: DefaultTimeZone, Active: o.typ == "school", CreatedAt: w.now, UpdatedAt: w.now}
		switch {
		case o.tz.set:
			row.TimeZone = o.tz.v
		case e != nil:
			row.TimeZone = e.timeZone
		}
		if e != nil && e.name == row.Name && e.timeZone == row.TimeZone && e.active == row.Active {
			continue
		}
		rows = append(rows, row)
	}
	if w.d.orgMode == bulk {
		for sid, e := range w.ex.schools {
			if e.active && !inFile[sid] {
				off = append(off, e.id)
			}
		}
	}
	if err := inBatches(rows, func(b []store.School) error {
		return upsert(w.tx, b, []string{"district_id", "sourced_id"}, []string{"name", "time_zone", "active", "updated_at"})
	}); err != nil {
		return err
	}
	return w.deactivate("schools", off, true)
}

// deactivate sets active = false on rows by id; people and schools also get a new updated_at.
func (w *writer) deactivate(table string, ids []int64, stamped bool) error {
	slices.Sort(ids) // a stable lock order, should two imports ever overlap
	return inBatches(ids, func(b []int64) error {
		set := map[string]any{"active": false}
		if stamped {
			set["updated_at"] = w.now
		}
		return w.tx.Table(table).Where("district_id = ? AND id IN ?", w.districtID, b).Updates(set).Error
	})
}

// attrsOf parses stored attributes; ones that do not parse (written by hand) start afresh.
func attrsOf(raw string) store.Attrs {
	a := store.Attrs{}
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), (*map[string]string)(&a))
	}
	return a
}

func applyOps(a store.Attrs, ops []attrOp) {
	for _, op := range ops {
		if op.val == "" {
			delete(a, op.key)
		} else {
			a[op.key] = op.val
		}
	}
}

func demographicKeys() []attrOp {
	return []attrOp{{AttrGender, ""}, {AttrRaceEthnicity, ""}, {AttrAgeBand, ""}}
}

// attrOps is every attribute change for a person: their row's, then their demographics'; when
// demographics.csv is bulk, a person it leaves out has none.
func (w *writer) attrOps(pid int64, own []attrOp) []attrOp {
	ops := own
	if dm, ok := w.r.demoOps[pid]; ok {
		ops = append(slices.Clip(ops), dm...)
	} else if w.d.demoMode == bulk {
		ops = append(slices.Clip(ops), demographicKeys()...)
	}
	return ops
}

// inferLanguages gives guardians whose row states no language the home language of their
// children, when the children agree on one: most systems record it for students only, and it is
// the best guess at the language to write to their families in.
func (w *writer) inferLanguages() (map[int64]string, error) {
	need := map[int64]bool{}
	for _, p := range w.d.people {
		if p.kind == store.KindGuardian && !p.deleted && p.langUnknown {
			need[p.pid] = true
		}
	}
	if len(need) == 0 {
		return nil, nil
	}
	// Children's home languages: as their rows state them, else as stored.
	home := map[int64]string{}
	var ask []int64
	for _, p := range w.d.people {
		if p.kind == store.KindStudent && !p.deleted && p.homeLang.set {
			home[p.pid] = p.homeLang.v
		}
	}
	for k := range w.r.links {
		if _, ok := home[k[1]]; need[k[0]] && !ok {
			ask = append(ask, k[1])
			home[k[1]] = ""
		}
	}
	slices.Sort(ask)
	if err := inBatches(ask, func(b []int64) error {
		stored, err := loadPeople(w.tx, w.districtID, nil, b)
		for _, e := range stored {
			home[e.id] = attrsOf(e.attrs)[AttrHomeLanguage]
		}
		return err
	}); err != nil {
		return nil, err
	}
	langs := map[int64]string{}
	conflict := map[int64]bool{}
	for k := range w.r.links {
		g, l := k[0], home[k[1]]
		if !need[g] || conflict[g] || l == "" {
			continue
		}
		if prev, seen := langs[g]; !seen {
			langs[g] = l
		} else if prev != l {
			conflict[g] = true
			delete(langs, g)
		}
	}
	return langs, nil
}

// people writes every user row of the import, streaming the file(s) a second time: each batch
// of rows is merged with those people's stored rows (loaded for the batch), and only changed
// rows are written. Then whoever the import deactivates is deactivated.
func (w *writer) people() error {
	inferred, err := w.inferLanguages()
	if err != nil {
		return err
	}
	update := []string{"kind", "role", "given_name", "family_name", "email", "school_id", "grade", "attributes",
		"preferred_language", "phone", "survey_opt_out", "do_not_text", "active", "updated_at"}
	var off []int64
	batch := make([]personRec, 0, batchSize)
	rows := make([]store.Person, 0, batchSize)
	var addSchools []store.PersonSchool
	var dropSchools [][2]int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// Only people already stored are looked up: a first import reads nothing back.
		var sids []string
		for i := range batch {
			if _, ok := w.ex.people[batch[i].id]; ok {
				sids = append(sids, batch[i].id)
			}
		}
		stored := map[string]*exPerson{}
		if len(sids) > 0 {
			var err error
			if stored, err = loadPeople(w.tx, w.districtID, sids, nil); err != nil {
				return err
			}
		}
		rows, addSchools, dropSchools = rows[:0], addSchools[:0], dropSchools[:0]
		for i := range batch {
			p := &batch[i]
			k := &w.d.people[w.d.personIdx[p.id]]
			e := stored[p.id]
			if p.deleted {
				if e != nil && e.active {
					off = append(off, e.id)
				}
				continue
			}
			row := w.merge(p, k.pid, e, inferred)
			if e != nil && (row.SurveyOptOut && !e.optOut || row.DoNotText && !e.noText) {
				w.silenced = append(w.silenced, e.id)
			}
			if e == nil {
				w.created++
				rows = append(rows, row)
			} else if !samePerson(row, e) {
				w.updated++
				rows = append(rows, row)
			}
			if p.orgs == nil && w.d.format == FormatSimple {
				continue // a guardians.csv row names no school: keep what is stored
			}
			schools := w.r.schoolsOf[strings.Join(p.orgs, orgSep)]
			have := w.ex.schoolsOf(k.pid)
			for _, s := range schools {
				if !slices.Contains(have, s) {
					addSchools = append(addSchools, store.PersonSchool{DistrictID: w.districtID, PersonID: k.pid, SchoolID: s})
				}
			}
			for _, s := range have {
				if !slices.Contains(schools, s) {
					dropSchools = append(dropSchools, [2]int64{k.pid, s})
				}
			}
		}
		batch = batch[:0]
		if err := upsert(w.tx, rows, []string{"district_id", "sourced_id"}, update); err != nil {
			return err
		}
		if err := inBatches(dropSchools, func(b [][2]int64) error {
			return w.tx.Exec("DELETE FROM person_schools WHERE district_id = ? AND (person_id, school_id) IN ?", w.districtID, pairs(b)).Error
		}); err != nil {
			return err
		}
		return inBatches(addSchools, func(b []store.PersonSchool) error {
			return upsert(w.tx, b, []string{"district_id", "person_id", "school_id"}, nil)
		})
	}
	n := 0
	err = w.d.rereadPeople(func(p *personRec) error {
		// The files are read twice; make sure the second reading is the first one's.
		if n >= len(w.d.people) || w.d.people[n].id != p.id {
			return fmt.Errorf("%s changed while it was being imported", p.at.file)
		}
		n++
		batch = append(batch, *p)
		if len(batch) == batchSize {
			if w.progress != nil {
				w.progress(n, len(w.d.people))
			}
			return flush()
		}
		return nil
	})
	if err == nil && n != len(w.d.people) {
		err = fmt.Errorf("the user files changed while they were being imported")
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	if err := w.storedOnly(update, &off); err != nil {
		return err
	}
	w.deactivated = len(off)
	if err := w.deactivate("people", off, true); err != nil {
		return err
	}
	// Texts still queued for whom this import opts out or removes are cancelled with it.
	_, err = sms.CancelQueuedTx(w.tx, w.districtID, append(w.silenced, off...), w.now)
	if err != nil {
		return err
	}
	_, err = email.CancelQueuedTx(w.tx, w.districtID, append(w.silenced, off...), w.now) // and their mails
	return err
}

// storedOnly handles people the import has no row for: a bulk file that leaves them out
// deactivates them; a demographics file may still change their attributes.
func (w *writer) storedOnly(update []string, off *[]int64) error {
	var touch []int64
	sidOf := map[int64]string{}
	for sid, e := range w.ex.people {
		if _, inFile := w.d.personIdx[sid]; inFile {
			continue
		}
		if w.d.peopleMode[e.kind] == bulk {
			if e.active {
				*off = append(*off, e.id)
			}
			continue
		}
		if _, ok := w.r.demoOps[e.id]; ok || w.d.demoMode == bulk {
			touch = append(touch, e.id)
			sidOf[e.id] = sid
		}
	}
	slices.Sort(touch)
	return inBatches(touch, func(b []int64) error {
		stored, err := loadPeople(w.tx, w.districtID, nil, b)
		if err != nil {
			return err
		}
		var rows []store.Person
		for sid, e := range stored {
			attrs := attrsOf(e.attrs)
			before := maps.Clone(attrs)
			applyOps(attrs, w.attrOps(e.id, nil))
			if maps.Equal(before, attrs) {
				continue
			}
			row := exRow(w.districtID, sid, e, w.now)
			row.Attributes = attrs
			rows = append(rows, row)
			w.updated++
		}
		slices.SortFunc(rows, func(a, b store.Person) int { return cmp2(a.ID, 0, b.ID, 0) })
		return upsert(w.tx, rows, []string{"district_id", "sourced_id"}, update)
	})
}

// merge makes a person's row from their import row and what is stored: what the row leaves out
// (a column the file lacks, a blank opt-out cell) keeps its stored value.
func (w *writer) merge(p *personRec, pid int64, e *exPerson, inferred map[int64]string) store.Person {
	row := store.Person{DistrictID: w.districtID, ID: pid, SourcedID: p.id, Kind: p.kind, Role: p.role,
		GivenName: p.given, FamilyName: p.family, Active: true, CreatedAt: w.now, UpdatedAt: w.now}
	attrs := store.Attrs{}
	if e != nil {
		attrs = attrsOf(e.attrs)
		row.Email, row.Grade, row.PreferredLanguage, row.Phone = e.email, e.grade, e.lang, e.phone
		row.SurveyOptOut, row.DoNotText = e.optOut, e.noText
		if e.schoolID != 0 {
			row.SchoolID = &e.schoolID
		}
	}
	applyOps(attrs, w.attrOps(pid, p.attrs))
	row.Attributes = attrs
	if p.email.set {
		row.Email = p.email.v
	}
	if p.grade.set {
		row.Grade = p.grade.v
	}
	if p.phone.set {
		row.Phone = p.phone.v
	}
	if p.lang.set {
		row.PreferredLanguage = p.lang.v
	}
	if l, ok := inferred[pid]; ok && row.PreferredLanguage == "" {
		row.PreferredLanguage = l
	}
	if p.optOut != unset {
		row.SurveyOptOut = p.optOut == yes
	}
	if p.noText != unset {
		row.DoNotText = p.noText == yes
	}
	if p.orgs != nil || w.d.format == FormatOneRoster {
		row.SchoolID = nil
		if s := w.r.schoolsOf[strings.Join(p.orgs, orgSep)]; len(s) > 0 {
			id := s[0]
			row.SchoolID = &id
		}
	}
	return row
}

// exRow rebuilds a stored person as a row to write back.
func exRow(districtID int64, sid string, e *exPerson, now time.Time) store.Person {
	row := store.Person{DistrictID: districtID, ID: e.id, SourcedID: sid, Kind: e.kind, Role: e.role, GivenName: e.given,
		FamilyName: e.family, Email: e.email, Grade: e.grade, PreferredLanguage: e.lang, Phone: e.phone,
		SurveyOptOut: e.optOut, DoNotText: e.noText, Active: e.active, CreatedAt: now, UpdatedAt: now}
	if e.schoolID != 0 {
		id := e.schoolID
		row.SchoolID = &id
	}
	return row
}

func samePerson(row store.Person, e *exPerson) bool {
	var school int64
	if row.SchoolID != nil {
		school = *row.SchoolID
	}
	return row.Kind == e.kind && row.Role == e.role && row.GivenName == e.given && row.FamilyName == e.family &&
		row.Email == e.email && school == e.schoolID && row.Grade == e.grade && row.PreferredLanguage == e.lang &&
		row.Phone == e.phone && row.SurveyOptOut == e.optOut && row.DoNotText == e.noText && row.Active == e.active &&
		maps.Equal(row.Attributes, attrsOf(e.attrs))
}

// links makes guardian links what the import states. A bulk users file states all of them; in a
// delta, a row that lists its agents states all of that person's links, and other links stay.
func (w *writer) links() error {
	var add []store.GuardianLink
	for k := range w.r.links {
		if !w.ex.links[k] {
			add = append(add, store.GuardianLink{DistrictID: w.districtID, GuardianID: k[0], StudentID: k[1]})
		}
	}
	all := w.d.peopleMode[store.KindGuardian] == bulk
	if w.d.format == FormatOneRoster {
		all = w.d.peopleMode[store.KindStudent] == bulk
	}
	var drop [][2]int64
	for k := range w.ex.links {
		if _, keep := w.r.links[k]; keep {
			continue
		}
		if all || w.r.owners[k[0]] || w.r.owners[k[1]] {
			drop = append(drop, k)
		}
	}
	// Map order is random; sorted batches make the writes repeatable.
	slices.SortFunc(add, func(a, b store.GuardianLink) int {
		return cmp2(a.GuardianID, a.StudentID, b.GuardianID, b.StudentID)
	})
	slices.SortFunc(drop, func(a, b [2]int64) int { return cmp2(a[0], a[1], b[0], b[1]) })
	if err := inBatches(drop, func(b [][2]int64) error {
		return w.tx.Exec("DELETE FROM guardian_links WHERE district_id = ? AND (guardian_id, student_id) IN ?", w.districtID, pairs(b)).Error
	}); err != nil {
		return err
	}
	return inBatches(add, func(b []store.GuardianLink) error {
		return upsert(w.tx, b, []string{"district_id", "guardian_id", "student_id"}, nil)
	})
}

func cmp2(a0, a1, b0, b1 int64) int {
	switch {
	case a0 < b0:
		return -1
	case a0 > b0:
		return 1
	case a1 < b1:
		return -1
	case a1 > b1:
		return 1
	}
	return 0
}

func (w *writer) classes() error {
	var rows []store.Class
	var off []int64
	inFile := map[string]bool{}
	for _, c := range w.d.classes {
		inFile[c.id] = true
		e := w.ex.classes[c.id]
		if c.deleted {
			if e != nil && e.active {
				off = append(off, e.id)
			}
			continue
		}
		row := store.Class{DistrictID: w.districtID, ID: w.r.classIDs[c.id], SourcedID: c.id, SchoolID: w.r.schoolIDs[c.school],
			Title: c.title, ClassType: c.classType, Active: true}
		if e != nil && e.schoolID == row.SchoolID && e.title == row.Title && e.classType == row.ClassType && e.active {
			continue
		}
		rows = append(rows, row)
	}
	if w.d.classMode == bulk {
		for sid, e := range w.ex.classes {
			if e.active && !inFile[sid] {
				off = append(off, e.id)
			}
		}
	}
	if err := inBatches(rows, func(b []store.Class) error {
		return upsert(w.tx, b, []string{"district_id", "sourced_id"}, []string{"school_id", "title", "class_type", "active"})
	}); err != nil {
		return err
	}
	return w.deactivate("classes", off, false)
}

func (w *writer) enrollments() error {
	var rows []store.Enrollment
	for _, e := range w.r.enrolls {
		k := [2]int64{e.class, e.person}
		old, had := w.ex.enrolls[k]
		if had && old.role == e.role && old.active == e.active || !had && !e.active {
			continue
		}
		rows = append(rows, store.Enrollment{DistrictID: w.districtID, ClassID: e.class, PersonID: e.person, Role: e.role, Active: e.active})
	}
	var off [][2]int64
	if w.d.enrollMode == bulk {
		stated := make(map[[2]int64]bool, len(w.r.enrolls))
		for _, e := range w.r.enrolls {
			stated[[2]int64{e.class, e.person}] = true
		}
		for k, e := range w.ex.enrolls {
			if !stated[k] && e.active {
				off = append(off, k)
			}
		}
	}
	slices.SortFunc(off, func(a, b [2]int64) int { return cmp2(a[0], a[1], b[0], b[1]) })
	if err := inBatches(rows, func(b []store.Enrollment) error {
		return upsert(w.tx, b, []string{"district_id", "class_id", "person_id"}, []string{"role", "active"})
	}); err != nil {
		return err
	}
	return inBatches(off, func(b [][2]int64) error {
		return w.tx.Exec("UPDATE enrollments SET active = ? WHERE district_id = ? AND (class_id, person_id) IN ?", false, w.districtID, pairs(b)).Error
	})
}
