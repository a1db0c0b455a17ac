package roster

import (
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// OneRoster 1.1 CSV file names.
const (
	fileManifest     = "manifest.csv"
	fileOrgs         = "orgs.csv"
	fileUsers        = "users.csv"
	fileDemographics = "demographics.csv"
	fileClasses      = "classes.csv"
	fileEnrollments  = "enrollments.csv"
	fileSessions     = "academicSessions.csv"
	fileCourses      = "courses.csv"
)

// Enumerations of OneRoster 1.1.
func orgTypes() []string {
	return []string{"department", "district", "local", "national", "school", "state"}
}

func userRoles() []string {
	return []string{"administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"}
}

func classTypes() []string   { return []string{"homeroom", "scheduled"} }
func sessionTypes() []string { return []string{"gradingPeriod", "semester", "schoolYear", "term"} }

// kindOfRole maps a OneRoster role to the kind of person TrustPulse surveys; "" for a role that
// is not valid (reported where it was read).
func kindOfRole(role string) string {
	switch role {
	case "student":
		return store.KindStudent
	case "guardian", "parent", "relative":
		return store.KindGuardian
	case "":
		return ""
	}
	return store.KindStaff
}

// readOneRoster reads and checks every file of a OneRoster 1.1 CSV export.
func readOneRoster(src *source, opt Options, now time.Time, p *problems) (*dataset, error) {
	d := newDataset(FormatOneRoster)
	d.probs = p
	modes, err := readManifest(src, opt, p)
	if err != nil {
		return nil, err
	}
	d.orgMode = modes[fileOrgs]
	users := modes[fileUsers]
	for k := range d.peopleMode {
		d.peopleMode[k] = users
	}
	d.demoMode = modes[fileDemographics]
	d.classMode = modes[fileClasses]
	d.enrollMode = modes[fileEnrollments]
	d.sessionMode = modes[fileSessions]
	d.courseMode = modes[fileCourses]

	keep := func(p *personRec) error { d.keep(p); return nil }
	steps := []struct {
		file string
		read func(*table, fileMode)
	}{
		{fileOrgs, d.readOrgs},
		{fileSessions, func(t *table, m fileMode) { d.readRefs(t, m, "academicSession") }},
		{fileCourses, func(t *table, m fileMode) { d.readRefs(t, m, "course") }},
		{fileClasses, d.readClasses},
		{fileUsers, func(t *table, m fileMode) { _ = readUsers(t, m, now, keep) }},
		{fileDemographics, func(t *table, m fileMode) { d.readDemographics(t, m, now) }},
		{fileEnrollments, func(t *table, m fileMode) { d.readEnrollments(t, m, now) }},
	}
	for _, st := range steps {
		m := modes[st.file]
		if m == absent || !src.has(st.file) {
			continue // a missing file that should be there is reported by readManifest
		}
		t, err := src.open(st.file, p)
		if err != nil {
			return nil, err
		}
		st.read(t, m)
		t.close()
	}
	d.rereadPeople = func(emit func(*personRec) error) error {
		if users == absent {
			return nil
		}
		t, err := src.open(fileUsers, newProblems(p.max))
		if err != nil {
			return err
		}
		defer t.close()
		return readUsers(t, users, now, emit)
	}
	return d, nil
}

// readManifest decides each file's mode. A file the manifest marks bulk or delta must be there;
// one it does not mention is read if present (orgs and users must be). An explicit mode in
// opt overrides the manifest for every file it does not mark absent.
func readManifest(src *source, opt Options, p *problems) (map[string]fileMode, error) {
	declared := map[string]fileMode{}
	declaredAt := map[string]int{}
	def := bulk
	if !src.has(fileManifest) {
		p.fileSeen(fileManifest)
		p.addStructural(fileManifest, 0, "file_missing", "required file is missing")
	} else {
		t, err := src.open(fileManifest, p)
		if err != nil {
			return nil, err
		}
		defer t.close()
		if t.require("propertyName", "value") {
			cName, cValue := t.col("propertyName"), t.col("value")
			for t.next() {
				name, value := t.get(cName), strings.ToLower(t.get(cValue))
				switch {
				case strings.HasPrefix(name, "file."):
					m, ok := parseMode(value)
					if !ok {
						t.add("manifest_mode", "%s: invalid value %q (want absent, bulk or delta)", "Column", name, "Value", t.get(cValue))
						continue
					}
					f := strings.ToLower(strings.TrimPrefix(name, "file.")) + ".csv"
					declared[f], declaredAt[f] = m, t.line
				case name == "processingMode":
					// Not in OneRoster 1.1's manifest, but some exporters state one mode for all files.
					m, ok := parseMode(value)
					if !ok || m == absent {
						t.add("processing_mode", "processingMode: invalid value %q (want bulk or delta)", "Value", t.get(cValue))
						continue
					}
					def = m
				case name == "oneroster.version":
					if v := t.get(cValue); v != "1.1" && v != "1.0" {
						t.warnf("version", "oneroster.version is %q; the files are read as OneRoster 1.1", "Version", v)
					}
				}
			}
		}
	}
	switch opt.Mode {
	case ModeFull:
		def = bulk
	case ModeDelta:
		def = delta
	}
	modes := map[string]fileMode{}
	for _, f := range []string{fileOrgs, fileUsers, fileDemographics, fileClasses, fileEnrollments, fileSessions, fileCourses} {
		dm, said := declared[strings.ToLower(f)]
		present := src.has(f)
		switch {
		case said && dm == absent:
			modes[f] = absent
			continue
		case said && !present:
			p.addStructural(fileManifest, declaredAt[strings.ToLower(f)], "declared_missing", "file.%s is %s but %s is missing",
				"Name", strings.TrimSuffix(f, ".csv"), "Mode", dm, "File", f)
			continue
		case !said && !present:
			if f == fileOrgs || f == fileUsers {
				p.fileSeen(f)
				p.addStructural(f, 0, "file_missing", "required file is missing")
			}
			continue
		}
		m := def
		if said && opt.Mode == "" {
			m = dm
		}
		modes[f] = m
	}
	return modes, nil
}

func parseMode(s string) (fileMode, bool) {
	switch s {
	case "absent":
		return absent, true
	case "bulk":
		return bulk, true
	case "delta":
		return delta, true
	}
	return absent, false
}

// std reads the columns every OneRoster file starts with. ok is false for a row that cannot be
// used at all (no sourcedId, or one seen before in this file).
type stdCols struct{ id, status, modified int }

func (t *table) stdCols() stdCols {
	return stdCols{t.col("sourcedId"), t.col("status"), t.col("dateLastModified")}
}

func (t *table) std(c stdCols, m fileMode, seen map[string]int) (id string, deleted, ok bool) {
	id = t.get(c.id)
	if id == "" {
		t.add("required", "%s is required", "Column", "sourcedId")
		return "", false, false
	}
	if first, dup := seen[id]; dup {
		t.add("duplicate_sourcedid", "duplicate sourcedId %q (first on line %d)", "ID", id, "First", first)
		return id, false, false
	}
	if !t.p.full() {
		seen[strings.Clone(id)] = t.line // a copy: the id alone must not keep its whole CSV record alive
	}
	switch st := t.get(c.status); strings.ToLower(st) {
	case "":
		if m == delta {
			t.add("delta_required", "%s is required in a delta file", "Column", "status")
		}
	case "active":
	case "tobedeleted", "inactive": // "inactive" is OneRoster 1.0's word for it
		deleted = true
	default:
		t.add("status_invalid", "status: invalid value %q (want active or tobedeleted)", "Value", st)
	}
	switch dlm := t.get(c.modified); {
	case dlm == "":
		if m == delta {
			t.add("delta_required", "%s is required in a delta file", "Column", "dateLastModified")
		}
	case !parseDateTime(dlm):
		t.add("datetime_malformed", "dateLastModified: malformed date-time %q (want e.g. 2025-08-15T12:00:00.000Z)", "Value", dlm)
	}
	return id, deleted, true
}

// enum checks v against a vocabulary, without regard to case, and returns the spec's spelling.
func (t *table) enum(col, v string, vocab []string) (string, bool) {
	for _, w := range vocab {
		if strings.EqualFold(v, w) {
			return w, true
		}
	}
	t.invalid(col, v, vocab)
	return "", false
}

// invalid reports v, a value outside vocab (of at least two words), in column col.
func (t *table) invalid(col, v string, vocab []string) {
	n := len(vocab) - 1
	t.add("invalid_value", "%s: invalid value %q (want %s or %s)", "Column", col, "Value", v,
		"Values", strings.Join(vocab[:n], ", "), "Last", vocab[n])
}

// required reports an empty required field.
func (t *table) required(col, v string) bool {
	if v == "" {
		t.add("required", "%s is required", "Column", col)
		return false
	}
	return true
}

// date reads an optional date column; ok is false (and a problem reported) if it is malformed.
func (t *table) date(col, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	d, ok := parseDate(v)
	if !ok {
		t.add("date_malformed", "%s: malformed date %q (want YYYY-MM-DD)", "Column", col, "Value", v)
	}
	return d, ok
}

func (d *dataset) readOrgs(t *table, m fileMode) {
	if !t.require("sourcedId", "name", "type") {
		return
	}
	c := t.stdCols()
	cName, cType, cIdent, cParent, cTZ := t.col("name"), t.col("type"), t.col("identifier"), t.col("parentSourcedId"), t.col("metadata.timeZone")
	seen := map[string]int{}
	for t.next() {
		id, deleted, ok := t.std(c, m, seen)
		if !ok {
			continue
		}
		o := orgRec{at: where{t.name, t.line}, id: id, deleted: deleted,
			name: t.get(cName), identifier: t.get(cIdent), parent: t.get(cParent)}
		if typ := t.get(cType); t.required("type", typ) {
			o.typ, _ = t.enum("type", typ, orgTypes())
		}
		if !deleted {
			t.required("name", o.name)
		}
		if cTZ >= 0 {
			if tz := t.get(cTZ); tz != "" {
				if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
					t.add("time_zone", "%s: unknown time zone %q (want an IANA name such as America/Chicago)", "Column", "metadata.timeZone", "Value", tz)
				} else {
					o.tz = some(tz)
				}
			}
		}
		if d.keeping() {
			d.orgIdx[id] = len(d.orgs)
			d.orgs = append(d.orgs, o)
		}
	}
	for i := range d.orgs {
		if d.orgs[i].typ == "district" && !d.orgs[i].deleted {
			d.districtOrgs = append(d.districtOrgs, &d.orgs[i])
		}
	}
}

func (d *dataset) readRefs(t *table, m fileMode, entity string) {
	cols := []string{"sourcedId", "title"}
	if entity == "academicSession" {
		cols = append(cols, "type", "startDate", "endDate")
	}
	if !t.require(cols...) {
		return
	}
	c := t.stdCols()
	cTitle, cType, cStart, cEnd, cParent, cYear := t.col("title"), t.col("type"), t.col("startDate"), t.col("endDate"), t.col("parentSourcedId"), t.col("schoolYear")
	if entity == "course" {
		cParent = t.col("orgSourcedId")
	}
	seen := map[string]int{}
	for t.next() {
		id, deleted, ok := t.std(c, m, seen)
		if !ok {
			continue
		}
		r := refRec{at: where{t.name, t.line}, entity: entity, id: id, title: t.get(cTitle), up: t.get(cParent), deleted: deleted}
		if entity == "academicSession" && !deleted {
			if typ := t.get(cType); t.required("type", typ) {
				r.typ, _ = t.enum("type", typ, sessionTypes())
			}
			if v := t.get(cStart); t.required("startDate", v) {
				t.date("startDate", v)
			}
			if v := t.get(cEnd); t.required("endDate", v) {
				t.date("endDate", v)
			}
			if y := t.get(cYear); y != "" {
				if _, err := time.Parse("2006", y); err != nil {
					t.add("year_malformed", "schoolYear: malformed year %q (want YYYY)", "Value", y)
				}
			}
		}
		if !deleted {
			t.required("title", r.title)
		}
		if d.keeping() {
			d.refIdx[[2]string{entity, id}] = len(d.refs)
			d.refs = append(d.refs, r)
		}
	}
}

func (d *dataset) readClasses(t *table, m fileMode) {
	if !t.require("sourcedId", "title", "classType", "schoolSourcedId") {
		return
	}
	c := t.stdCols()
	cTitle, cType, cSchool, cTerms, cCourse := t.col("title"), t.col("classType"), t.col("schoolSourcedId"), t.col("termSourcedIds"), t.col("courseSourcedId")
	seen := map[string]int{}
	for t.next() {
		id, deleted, ok := t.std(c, m, seen)
		if !ok {
			continue
		}
		cl := classRec{at: where{t.name, t.line}, id: id, deleted: deleted, title: t.get(cTitle), school: t.get(cSchool),
			terms: splitList(t.get(cTerms), ","), crs: t.get(cCourse)}
		if !deleted {
			t.required("title", cl.title)
			t.required("schoolSourcedId", cl.school)
			if typ := t.get(cType); t.required("classType", typ) {
				cl.classType, _ = t.enum("classType", typ, classTypes())
			}
		}
		if d.keeping() {
			d.classIdx[id] = len(d.classes)
			d.classes = append(d.classes, cl)
		}
	}
}

// Extension columns of users.csv, in OneRoster's "metadata." convention.
const (
	metaHomeLanguage      = "metadata.homeLanguage"
	metaPreferredLanguage = "metadata.preferredLanguage"
	metaEnglishLearner    = "metadata.englishLearner"
	metaDisability        = "metadata.disability"
	metaLowIncome         = "metadata.lowIncome"
	metaSurveyOptOut      = "metadata.surveyOptOut"
	metaDoNotText         = "metadata.doNotText"
	metaDepartment        = "metadata.department"
	metaHireDate          = "metadata.hireDate"
)

// readUsers reads users.csv, handing each usable row to emit.
func readUsers(t *table, m fileMode, now time.Time, emit func(*personRec) error) error {
	if !t.require("sourcedId", "orgSourcedIds", "role", "givenName", "familyName") {
		return nil
	}
	c := t.stdCols()
	cRole, cGiven, cFamily, cOrgs, cAgents := t.col("role"), t.col("givenName"), t.col("familyName"), t.col("orgSourcedIds"), t.col("agentSourcedIds")
	cEnabled, cEmail, cSMS, cPhone, cGrades := t.col("enabledUser"), t.col("email"), t.col("sms"), t.col("phone"), t.col("grades")
	cHome, cPref := t.col(metaHomeLanguage), t.col(metaPreferredLanguage)
	flags := []struct {
		col  int
		name string
		attr string
	}{
		{t.col(metaEnglishLearner), metaEnglishLearner, AttrEnglishLearner},
		{t.col(metaDisability), metaDisability, AttrDisability},
		{t.col(metaLowIncome), metaLowIncome, AttrLowIncome},
	}
	cOptOut, cNoText, cDept, cHire := t.col(metaSurveyOptOut), t.col(metaDoNotText), t.col(metaDepartment), t.col(metaHireDate)
	seen := map[string]int{}
	for t.next() {
		id, deleted, ok := t.std(c, m, seen)
		if !ok {
			continue
		}
		p := personRec{at: where{t.name, t.line}, id: id, deleted: deleted, given: t.get(cGiven), family: t.get(cFamily)}
		if deleted {
			// A record to delete only needs finding; the rest of the row is not checked.
			if err := emit(&p); err != nil {
				return err
			}
			continue
		}
		if role := t.get(cRole); t.required("role", role) {
			p.role, _ = t.enum("role", role, userRoles())
		}
		p.kind = kindOfRole(p.role)
		p.orgs = splitList(t.get(cOrgs), ",")
		p.agents = splitList(t.get(cAgents), ",")
		p.agentsOwner = len(p.agents) > 0 || m == bulk
		t.required("givenName", p.given)
		t.required("familyName", p.family)
		if len(p.orgs) == 0 && p.kind != store.KindGuardian {
			t.add("required", "%s is required", "Column", "orgSourcedIds")
		}
		if v := t.get(cEnabled); v != "" {
			if _, ok := parseBool(v); !ok {
				t.add("bool_invalid", "%s: invalid value %q (want true or false)", "Column", "enabledUser", "Value", v)
			}
		}
		if cEmail >= 0 {
			p.email = some(t.get(cEmail))
		}
		if cGrades >= 0 {
			var first string
			for _, g := range splitList(t.get(cGrades), ",") {
				n, ok := normGrade(g)
				if !ok {
					t.add("grade_ceds", "grades: invalid value %q (want a CEDS grade: KG, 01 … 12, PK …)", "Value", g)
					continue
				}
				if first == "" {
					first = n
				}
			}
			if p.kind == store.KindStudent {
				p.grade = some(first)
			}
		}
		if p.kind == store.KindGuardian && (cSMS >= 0 || cPhone >= 0) {
			col, raw := "sms", t.get(cSMS)
			if raw == "" {
				col, raw = "phone", t.get(cPhone)
			}
			p.phone = some("")
			if raw != "" {
				if e164, ok := normPhone(raw); ok {
					p.phone = some(e164)
				} else {
					t.warnf("phone", "%s: cannot read %q as a phone number; imported without a phone", "Column", col, "Value", raw)
				}
			}
		}
		home := optStr{}
		if cHome >= 0 {
			home = some(t.language(metaHomeLanguage, t.get(cHome)))
			p.attrs = append(p.attrs, attrOp{AttrHomeLanguage, home.v})
		}
		if cPref >= 0 {
			p.lang = some(t.language(metaPreferredLanguage, t.get(cPref)))
		}
		if (!p.lang.set || p.lang.v == "") && home.v != "" {
			p.lang = home // the language to write to them in, when only the home language is known
		}
		for _, f := range flags {
			if f.col < 0 {
				continue
			}
			switch v := t.get(f.col); v {
			case "":
				p.attrs = append(p.attrs, attrOp{f.attr, ""})
			default:
				b, ok := parseBool(v)
				if !ok {
					t.add("bool_invalid", "%s: invalid value %q (want true or false)", "Column", f.name, "Value", v)
					continue
				}
				p.attrs = append(p.attrs, attrOp{f.attr, yesNo(b)})
			}
		}
		p.optOut = t.flag(cOptOut, metaSurveyOptOut)
		p.noText = t.flag(cNoText, metaDoNotText)
		if p.kind == store.KindStaff {
			if cDept >= 0 {
				p.attrs = append(p.attrs, attrOp{AttrDepartment, t.get(cDept)})
			}
			if cHire >= 0 {
				if h, ok := t.date(metaHireDate, t.get(cHire)); ok {
					band := ""
					if !h.IsZero() {
						band = tenureBand(h, now)
					}
					p.attrs = append(p.attrs, attrOp{AttrTenure, band})
				}
			}
		}
		if err := emit(&p); err != nil {
			return err
		}
	}
	return nil
}

// flag reads an opt-out style column: blank (or no column) leaves the stored flag alone.
func (t *table) flag(col int, name string) optBool {
	v := t.get(col)
	if v == "" {
		return unset
	}
	b, ok := parseBool(v)
	if !ok {
		t.add("bool_invalid", "%s: invalid value %q (want true or false)", "Column", name, "Value", v)
		return unset
	}
	return optOf(b)
}

// language normalizes a language code; one it cannot read is a warning, and the value is left empty.
func (t *table) language(col, v string) string {
	if v == "" {
		return ""
	}
	tag, ok := normLanguage(v)
	if !ok {
		t.warnf("language", "%s: unknown language code %q (want a BCP 47 tag such as es, zh-Hans or ar); left empty", "Column", col, "Value", v)
	}
	return tag
}

// raceColumns are the race flag columns of demographics.csv and the value each one gives.
func raceColumns() []struct{ col, value string } {
	return []struct{ col, value string }{
		{"americanIndianOrAlaskaNative", RaceAmericanIndian},
		{"asian", RaceAsian},
		{"blackOrAfricanAmerican", RaceBlack},
		{"nativeHawaiianOrOtherPacificIslander", RacePacificIslander},
		{"white", RaceWhite},
	}
}

func (d *dataset) readDemographics(t *table, m fileMode, now time.Time) {
	if !t.require("sourcedId") {
		return
	}
	c := t.stdCols()
	cBirth, cSex, cTwo, cHisp := t.col("birthDate"), t.col("sex"), t.col("demographicRaceTwoOrMoreRaces"), t.col("hispanicOrLatinoEthnicity")
	races := raceColumns()
	raceCols := make([]int, len(races))
	anyRace := cTwo >= 0 || cHisp >= 0
	for i, r := range races {
		raceCols[i] = t.col(r.col)
		anyRace = anyRace || raceCols[i] >= 0
	}
	boolAt := func(col int, name string) bool {
		v := t.get(col)
		if v == "" {
			return false
		}
		b, ok := parseBool(v)
		if !ok {
			t.add("bool_invalid", "%s: invalid value %q (want true or false)", "Column", name, "Value", v)
		}
		return b
	}
	seen := map[string]int{}
	for t.next() {
		id, deleted, ok := t.std(c, m, seen)
		if !ok {
			continue
		}
		r := demoRec{at: where{t.name, t.line}, user: d.user(id), deleted: deleted, attrs: make([]attrOp, 0, 3)}
		if deleted {
			r.attrs = []attrOp{{AttrGender, ""}, {AttrRaceEthnicity, ""}, {AttrAgeBand, ""}}
			if d.keeping() {
				d.demo = append(d.demo, r)
			}
			continue
		}
		if cBirth >= 0 {
			if b, ok := t.date("birthDate", t.get(cBirth)); ok {
				band := ""
				switch {
				case b.IsZero():
				case b.After(now):
					t.warnf("birth_future", "birthDate %s is in the future; imported without an age band", "Date", b.Format(time.DateOnly))
				default:
					band = ageBand(b, now)
				}
				r.attrs = append(r.attrs, attrOp{AttrAgeBand, band})
			}
		}
		if cSex >= 0 {
			v := t.get(cSex)
			if g, ok := normGender(v); ok {
				r.attrs = append(r.attrs, attrOp{AttrGender, g})
			} else {
				t.add("sex_invalid", "sex: invalid value %q (want male, female, other or unspecified)", "Value", v)
			}
		}
		if anyRace {
			var marked []string
			for i, rc := range races {
				if boolAt(raceCols[i], rc.col) {
					marked = append(marked, rc.value)
				}
			}
			two := boolAt(cTwo, "demographicRaceTwoOrMoreRaces")
			race := ""
			switch {
			case boolAt(cHisp, "hispanicOrLatinoEthnicity"):
				race = RaceHispanic
			case two || len(marked) > 1:
				race = RaceTwoOrMore
			case len(marked) == 1:
				race = marked[0]
			}
			r.attrs = append(r.attrs, attrOp{AttrRaceEthnicity, race})
		}
		if d.keeping() {
			d.demo = append(d.demo, r)
		}
	}
}

func (d *dataset) readEnrollments(t *table, m fileMode, now time.Time) {
	if !t.require("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role") {
		return
	}
	c := t.stdCols()
	cClass, cSchool, cUser, cRole, cPrimary, cBegin, cEnd := t.col("classSourcedId"), t.col("schoolSourcedId"), t.col("userSourcedId"),
		t.col("role"), t.col("primary"), t.col("beginDate"), t.col("endDate")
	today := now.Format(time.DateOnly)
	seen := map[string]int{}
	for t.next() {
		_, deleted, ok := t.std(c, m, seen)
		if !ok {
			continue
		}
		e := enrollRec{at: where{t.name, t.line}, class: d.in.of(t.get(cClass)), school: d.in.of(t.get(cSchool)),
			user: d.user(t.get(cUser)), active: !deleted}
		ok = t.required("classSourcedId", e.class)
		ok = t.required("userSourcedId", e.user) && ok
		if !deleted {
			t.required("schoolSourcedId", e.school)
		}
		if role := t.get(cRole); t.required("role", role) {
			e.role, _ = t.enum("role", role, userRoles())
		}
		if v := t.get(cPrimary); v != "" {
			if _, ok := parseBool(v); !ok {
				t.add("bool_invalid", "%s: invalid value %q (want true or false)", "Column", "primary", "Value", v)
			}
		}
		t.date("beginDate", t.get(cBegin))
		if end := t.get(cEnd); end != "" {
			if _, ok := t.date("endDate", end); ok && end < today {
				e.active = false // the enrollment has ended
			}
		}
		if ok && d.keeping() {
			d.enrolls = append(d.enrolls, e)
		}
	}
}
