// Package rostergen writes synthetic districts as OneRoster 1.1 CSV files: the demo district, and
// districts large enough to measure the importer with. Output depends only on the Config: the
// same seed and school year give byte-identical files. Every name, e-mail domain and phone number
// is fictional (example.org / example.com, and the 555-01xx numbers set aside for fiction).
package rostergen

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// School is one school of a generated district.
type School struct {
	SourcedID, Name, Identifier string
	LowGrade, HighGrade         int // 0 is kindergarten
	TimeZone                    string
}

// Config describes a district to generate.
type Config struct {
	Seed uint64
	// SchoolYear is the calendar year a school year ends in (2026 for 2025–26): session dates,
	// birth dates and dateLastModified follow it.
	SchoolYear         int
	DistrictName       string
	DistrictIdentifier string
	Domain             string // staff e-mail domain, under example.org
	Schools            []School
	Students           int
	Staff              int
	Guardians          int
	AreaCodes          []string // families' phone area codes
	// Noise is the share of guardian rows given an unreadable phone number or a language name
	// instead of a code, to exercise the importer's warnings. The demo has none.
	Noise float64
}

// Stats counts what Write wrote.
type Stats struct {
	Schools, Students, Staff, Guardians, GuardianLinks, Classes, Enrollments int
}

// SchoolYearOf is the school year a day falls in: from July 1 on, the year that ends next June.
func SchoolYearOf(t time.Time) int {
	if t.Month() >= time.July {
		return t.Year() + 1
	}
	return t.Year()
}

// Demo is the demo district: 2 schools covering grades 3–12, 640 students, 60 staff, 500 guardians.
func Demo(schoolYear int) Config {
	return Config{
		Seed: 20260901, SchoolYear: schoolYear,
		DistrictName: "Riverside Unified (demo)", DistrictIdentifier: "demo", Domain: "riverside.example.org",
		Schools: []School{
			{SourcedID: "sch-rem", Name: "Riverside Elementary-Middle School", Identifier: "0900001", LowGrade: 3, HighGrade: 8, TimeZone: "America/New_York"},
			{SourcedID: "sch-rhs", Name: "Riverside High School", Identifier: "0900002", LowGrade: 9, HighGrade: 12, TimeZone: "America/New_York"},
		},
		Students: 640, Staff: 60, Guardians: 500,
		AreaCodes: []string{"617", "781", "508", "978", "857", "339", "774", "413"},
	}
}

// Large is a district of 100,000 students (K–12), 10,000 staff and 150,000 guardians.
func Large(schoolYear int) Config {
	return Config{
		Seed: 100000, SchoolYear: schoolYear,
		DistrictName: "Lakeshore Metropolitan Schools", DistrictIdentifier: "lakeshore", Domain: "lakeshore.example.org",
		Students: 100000, Staff: 10000, Guardians: 150000,
		AreaCodes: []string{"312", "773", "872", "630", "708", "847", "224", "331", "779", "815", "309", "217", "618", "414", "262", "608", "920", "219", "574", "260"},
		Noise:     0.0005,
	}
}

// layout plans schools for a district given only its size: elementary K–5, middle 6–8, high 9–12.
func layout(students int) []School {
	perGrade := float64(students) / 13
	var out []School
	for _, lvl := range []struct {
		name      string
		low, high int
		size      float64
	}{{"Elementary", 0, 5, 450}, {"Middle", 6, 8, 800}, {"High", 9, 12, 1600}} {
		n := max(1, int(perGrade*float64(lvl.high-lvl.low+1)/lvl.size+0.5))
		for i := range n {
			id := fmt.Sprintf("sch-%s-%03d", strings.ToLower(lvl.name[:1]), i+1)
			out = append(out, School{SourcedID: id, Name: fmt.Sprintf("%s %s School", placeNames()[i%len(placeNames())]+suffix(i), lvl.name),
				Identifier: fmt.Sprintf("17%05d", len(out)+1), LowGrade: lvl.low, HighGrade: lvl.high, TimeZone: "America/Chicago"})
		}
	}
	return out
}

func suffix(i int) string {
	if n := i / len(placeNames()); n > 0 {
		return fmt.Sprintf(" %d", n+1)
	}
	return ""
}

type student struct {
	id, given, family, grade, email string
	school                          int
	gender                          string // male | female | other
	race                            string
	hispanic                        bool
	races                           []string
	lang                            string
	el, disability, lowIncome       bool
	optOut                          bool
	birth                           time.Time
	guardians                       []int
}

type staffer struct {
	id, given, family, role, dept, email string
	school                               int
	gender, race                         string
	hispanic                             bool
	races                                []string
	birth, hired                         time.Time
}

type guardian struct {
	id, given, family, role, lang, sms, phone, email string
	optOut, noText                                   bool
	children                                         []int
}

type class struct {
	id, title, classType, school, course string
	grade                                int
}

type enrollment struct {
	class, school, user, role string
}

type gen struct {
	cfg       Config
	rng       *rand.Rand
	schools   []School
	students  []student
	staff     []staffer
	guardians []guardian
	classes   []class
	enrolls   []enrollment
	courses   map[string][2]string // course id → title, school
	courseIDs []string
}

// Write generates the district described by cfg into dir as OneRoster 1.1 CSV files.
func Write(dir string, cfg Config) (Stats, error) {
	if cfg.Students <= 0 || cfg.SchoolYear == 0 {
		return Stats{}, fmt.Errorf("rostergen: need students and a school year")
	}
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x726f73746572)), courses: map[string][2]string{}}
	g.schools = cfg.Schools
	if len(g.schools) == 0 {
		g.schools = layout(cfg.Students)
	}
	g.makeStudents()
	g.makeStaff()
	g.makeFamilies()
	g.makeClasses()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("rostergen: %w", err)
	}
	for _, f := range []struct {
		name  string
		write func(*csv.Writer) error
	}{
		{"manifest.csv", g.writeManifest},
		{"orgs.csv", g.writeOrgs},
		{"academicSessions.csv", g.writeSessions},
		{"courses.csv", g.writeCourses},
		{"classes.csv", g.writeClasses},
		{"users.csv", g.writeUsers},
		{"demographics.csv", g.writeDemographics},
		{"enrollments.csv", g.writeEnrollments},
	} {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return Stats{}, fmt.Errorf("rostergen: %s: %w", f.name, err)
		}
	}
	links := 0
	for _, s := range g.students {
		links += len(s.guardians)
	}
	return Stats{Schools: len(g.schools), Students: len(g.students), Staff: len(g.staff), Guardians: len(g.guardians),
		GuardianLinks: links, Classes: len(g.classes), Enrollments: len(g.enrolls)}, nil
}

func writeFile(path string, write func(*csv.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.UseCRLF = true // as most exports are made on Windows
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func (g *gen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// weighted picks a key of a weight table.
func (g *gen) weighted(table []weight) string {
	total := 0.0
	for _, w := range table {
		total += w.p
	}
	x := g.rng.Float64() * total
	for _, w := range table {
		if x < w.p {
			return w.v
		}
		x -= w.p
	}
	return table[len(table)-1].v
}

type weight struct {
	v string
	p float64
}

func gradeCode(g int) string {
	if g == 0 {
		return "KG"
	}
	return fmt.Sprintf("%02d", g)
}

// yearStart is the first day of the school year; enrollments and sessions run to June 30.
func (g *gen) yearStart() time.Time {
	return time.Date(g.cfg.SchoolYear-1, time.August, 20, 0, 0, 0, 0, time.UTC)
}

func (g *gen) yearEnd() time.Time {
	return time.Date(g.cfg.SchoolYear, time.June, 30, 0, 0, 0, 0, time.UTC)
}

func (g *gen) modified() string {
	return time.Date(g.cfg.SchoolYear-1, time.August, 1, 12, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
}

// demographics draws a person's race/ethnicity as US public schools report it.
func (g *gen) demographics() (race string, hispanic bool, races []string) {
	race = g.weighted([]weight{{"hispanic", 0.28}, {"white", 0.44}, {"black", 0.15}, {"asian", 0.055},
		{"two_or_more", 0.05}, {"american_indian", 0.01}, {"pacific_islander", 0.005}})
	single := []string{"white", "black", "asian", "american_indian", "pacific_islander"}
	switch race {
	case "hispanic":
		// Hispanic or Latino is an ethnicity; the race flags are reported as well.
		races = []string{g.weighted([]weight{{"white", 0.9}, {"black", 0.05}, {"american_indian", 0.05}})}
		if g.chance(0.1) {
			races = append(races, "black")
		}
		return race, true, races
	case "two_or_more":
		a := g.pick(single)
		b := g.pick(single)
		for b == a {
			b = g.pick(single)
		}
		return race, false, []string{a, b}
	}
	return race, false, []string{race}
}

// homeLanguage draws a student's home language, which follows family background.
func (g *gen) homeLanguage(race string) string {
	switch race {
	case "hispanic":
		return g.weighted([]weight{{"es", 0.55}, {"en", 0.43}, {"pt", 0.02}})
	case "asian":
		return g.weighted([]weight{{"en", 0.45}, {"zh-Hans", 0.3}, {"vi", 0.25}})
	case "black":
		return g.weighted([]weight{{"en", 0.85}, {"ht", 0.08}, {"so", 0.07}})
	case "white":
		return g.weighted([]weight{{"en", 0.93}, {"ar", 0.03}, {"pt", 0.04}})
	}
	return "en"
}

func (g *gen) gender() string {
	if g.chance(0.015) {
		return "other"
	}
	if g.chance(0.49) {
		return "female"
	}
	return "male"
}

func (g *gen) name(gender, lang string) (given, family string) {
	var pool []string
	switch gender {
	case "female":
		pool = femaleNames()
	case "male":
		pool = maleNames()
	default:
		pool = neutralNames()
	}
	return g.pick(pool), g.pick(familyNames(lang))
}

func (g *gen) makeStudents() {
	// Grades offered, each by the schools that teach it.
	byGrade := map[int][]int{}
	var grades []int
	for i, s := range g.schools {
		for gr := s.LowGrade; gr <= s.HighGrade; gr++ {
			if len(byGrade[gr]) == 0 {
				grades = append(grades, gr)
			}
			byGrade[gr] = append(byGrade[gr], i)
		}
	}
	slices.Sort(grades)
	next := map[int]int{}
	sepFirst := time.Date(g.cfg.SchoolYear-1, time.September, 1, 0, 0, 0, 0, time.UTC)
	for i := range g.cfg.Students {
		gr := grades[i%len(grades)]
		school := byGrade[gr][next[gr]%len(byGrade[gr])]
		next[gr]++
		s := student{id: fmt.Sprintf("stu-%06d", i+1), grade: gradeCode(gr), school: school, gender: g.gender()}
		s.race, s.hispanic, s.races = g.demographics()
		s.lang = g.homeLanguage(s.race)
		s.given, s.family = g.name(s.gender, s.lang)
		if s.lang != "en" {
			s.el = g.chance(0.55)
		} else {
			s.el = g.chance(0.02)
		}
		s.disability = g.chance(0.14)
		if s.lang != "en" {
			s.lowIncome = g.chance(0.6)
		} else {
			s.lowIncome = g.chance(0.4)
		}
		s.optOut = g.chance(0.015)
		// Age on September 1 is the grade plus five (kindergarten at five).
		youngest := sepFirst.AddDate(-(gr + 6), 0, 1)
		s.birth = youngest.AddDate(0, 0, g.rng.IntN(365))
		if gr >= 6 {
			s.email = fmt.Sprintf("%s.%s%d@students.%s", asciiLower(s.given), asciiLower(s.family), i+1, g.cfg.Domain)
		}
		g.students = append(g.students, s)
	}
}

func (g *gen) makeStaff() {
	if g.cfg.Staff <= 0 {
		return
	}
	counts := make([]int, len(g.schools))
	for _, s := range g.students {
		counts[s.school]++
	}
	// Staff per school in proportion to its students; remainders to the first schools.
	alloc := make([]int, len(g.schools))
	given := 0
	for i, c := range counts {
		alloc[i] = g.cfg.Staff * c / len(g.students)
		given += alloc[i]
	}
	for i := 0; given < g.cfg.Staff; i = (i + 1) % len(alloc) {
		alloc[i]++
		given++
	}
	hiredBy := time.Date(g.cfg.SchoolYear-1, time.August, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for si, k := range alloc {
		high := g.schools[si].LowGrade >= 6
		for j := range k {
			n++
			st := staffer{id: fmt.Sprintf("stf-%05d", n), school: si, gender: g.gender()}
			// Every school has its leaders first, then a teaching staff with aides.
			switch {
			case j < max(1, k/12):
				st.role, st.dept = "administrator", "Administration"
			case j%9 == 4:
				st.role, st.dept = "aide", g.pick([]string{"Special Education", "English Language Development", "Support Services"})
			case j%9 == 7:
				st.role, st.dept = "aide", g.pick([]string{"Special Education", "Support Services", "Library"})
			default:
				st.role = "teacher"
				if high {
					st.dept = g.pick(secondaryDepartments())
				} else {
					st.dept = g.pick([]string{"Elementary", "Elementary", "Mathematics", "English Language Arts", "Special Education", "English Language Development", "Arts", "Physical Education"})
				}
			}
			if j == 1 && k > 8 {
				st.role, st.dept = "administrator", "Counseling"
			}
			st.race, st.hispanic, st.races = g.demographics()
			st.given, st.family = g.name(st.gender, g.homeLanguage(st.race))
			st.email = fmt.Sprintf("%s.%s%d@%s", asciiLower(st.given), asciiLower(st.family), n, g.cfg.Domain)
			st.birth = time.Date(g.cfg.SchoolYear-24-g.rng.IntN(40), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
			years := []int{0, 1, 2, 3, 4, 5, 7, 9, 12, 16, 20, 25}[g.rng.IntN(12)]
			st.hired = hiredBy.AddDate(-years, -g.rng.IntN(3), 0)
			g.staff = append(g.staff, st)
		}
	}
}

func secondaryDepartments() []string {
	return []string{"English", "Mathematics", "Science", "Social Studies", "World Languages", "Arts", "Physical Education",
		"Special Education", "English Language Development", "Career and Technical Education"}
}

// makeFamilies groups students into families (siblings share guardians) and gives every family
// one guardian, then second guardians, then relatives, until the guardians run out.
func (g *gen) makeFamilies() {
	if g.cfg.Guardians <= 0 {
		return
	}
	order := g.rng.Perm(len(g.students))
	nf := min(g.cfg.Guardians, max(1, int(float64(len(g.students))/1.38)))
	families := make([][]int, nf)
	for i, s := range order {
		f := i
		if i >= nf {
			f = g.rng.IntN(nf)
		}
		families[f] = append(families[f], s)
	}
	perFamily := make([]int, nf)
	left := g.cfg.Guardians
	for round := 0; left > 0; round++ {
		for _, f := range g.rng.Perm(nf) {
			if left == 0 {
				break
			}
			if round > 0 && g.chance(0.15) && round < 3 {
				continue // not every family has a second guardian, until the count demands it
			}
			perFamily[f]++
			left--
		}
	}
	phoneSeq := 0
	for f, kids := range families {
		first := g.students[kids[0]]
		for k := range perFamily[f] {
			gd := guardian{id: fmt.Sprintf("gdn-%06d", len(g.guardians)+1), children: kids}
			switch {
			case k == 0:
				gd.role = g.weighted([]weight{{"parent", 0.88}, {"guardian", 0.12}})
			case k == 1:
				gd.role = g.weighted([]weight{{"parent", 0.9}, {"relative", 0.1}})
			default:
				gd.role = "relative"
			}
			gender := "female"
			if k == 1 || g.chance(0.3) {
				gender = "male"
			}
			gd.given, gd.family = g.name(gender, first.lang)
			if k == 0 || g.chance(0.7) {
				gd.family = first.family
			}
			gd.lang = first.lang
			if g.chance(0.1) {
				gd.lang = "en"
			}
			phone := g.phone(phoneSeq)
			phoneSeq++
			switch x := g.rng.Float64(); {
			case x < 0.7:
				gd.sms = phone
			case x < 0.95:
				gd.phone = phone
			}
			if g.chance(g.cfg.Noise) {
				gd.sms, gd.phone = "555-01", ""
			}
			if g.chance(g.cfg.Noise) {
				gd.lang = "Spanish"
			}
			if g.chance(0.6) {
				gd.email = fmt.Sprintf("%s.%s%d@example.com", asciiLower(gd.given), asciiLower(gd.family), len(g.guardians)+1)
			}
			gd.noText = g.chance(0.03)
			gd.optOut = g.chance(0.01)
			for _, kid := range kids {
				g.students[kid].guardians = append(g.students[kid].guardians, len(g.guardians))
			}
			g.guardians = append(g.guardians, gd)
		}
	}
}

// phone gives the n-th family phone number: 555-0100 to 555-0199, the numbers set aside for
// fiction, spread over the district's area codes, in the spellings people type.
func (g *gen) phone(n int) string {
	codes := g.cfg.AreaCodes
	if len(codes) == 0 {
		codes = []string{"617"}
	}
	// Step through all numbers in a scattered but repeatable order, so neighbours differ.
	total := len(codes) * 100
	k := (n * 37) % total
	area, line := codes[k/100], 100+k%100
	switch n % 4 {
	case 0:
		return fmt.Sprintf("(%s) 555-%04d", area, line)
	case 1:
		return fmt.Sprintf("%s-555-%04d", area, line)
	case 2:
		return fmt.Sprintf("+1 %s 555 %04d", area, line)
	}
	return fmt.Sprintf("%s.555.%04d", area, line)
}

func (g *gen) course(id, title, school string) string {
	if _, ok := g.courses[id]; !ok {
		g.courses[id] = [2]string{title, school}
		g.courseIDs = append(g.courseIDs, id)
	}
	return id
}

// makeClasses gives every grade of every school homerooms of about 25, and secondary grades
// English and mathematics sections of about 28, each with a teacher.
func (g *gen) makeClasses() {
	type key struct{ school, grade int }
	roster := map[key][]int{}
	var keys []key
	for i, s := range g.students {
		k := key{s.school, gradeNum(s.grade)}
		if len(roster[k]) == 0 {
			keys = append(keys, k)
		}
		roster[k] = append(roster[k], i)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.school != b.school {
			return a.school - b.school
		}
		return a.grade - b.grade
	})
	teachers := map[int][]int{}
	byDept := map[[2]any][]int{}
	for i, st := range g.staff {
		if st.role == "teacher" {
			teachers[st.school] = append(teachers[st.school], i)
			byDept[[2]any{st.school, st.dept}] = append(byDept[[2]any{st.school, st.dept}], i)
		}
	}
	nextTeacher := map[any]int{}
	teacherFor := func(school int, dept string) int {
		pool := byDept[[2]any{school, dept}]
		var k any = [2]any{school, dept}
		if len(pool) == 0 {
			pool, k = teachers[school], school
		}
		if len(pool) == 0 {
			return -1
		}
		t := pool[nextTeacher[k]%len(pool)]
		nextTeacher[k]++
		return t
	}
	for _, k := range keys {
		kids := roster[k]
		school := g.schools[k.school]
		sections := func(subject, dept, prefix string, size int) {
			n := (len(kids) + size - 1) / size
			crs := g.course(fmt.Sprintf("crs-%s-%s-%s", prefix, school.SourcedID, gradeCode(k.grade)),
				fmt.Sprintf("%s %s", subject, gradeLabel(k.grade)), school.SourcedID)
			ids := make([]string, n)
			for j := range n {
				c := class{id: fmt.Sprintf("cls-%s-%s-%s-%d", prefix, school.SourcedID, gradeCode(k.grade), j+1), grade: k.grade,
					school: school.SourcedID, course: crs, classType: "scheduled"}
				c.title = fmt.Sprintf("%s %s-%c", subject, gradeLabel(k.grade), 'A'+j%26)
				if prefix == "hr" {
					c.classType = "homeroom"
				}
				if t := teacherFor(k.school, dept); t >= 0 {
					g.enrolls = append(g.enrolls, enrollment{class: c.id, school: school.SourcedID, user: g.staff[t].id, role: "teacher"})
				}
				ids[j] = c.id
				g.classes = append(g.classes, c)
			}
			for j, kid := range kids {
				g.enrolls = append(g.enrolls, enrollment{class: ids[j%n], school: school.SourcedID, user: g.students[kid].id, role: "student"})
			}
		}
		sections("Homeroom", "Elementary", "hr", 25)
		if k.grade >= 6 {
			sections("English", "English", "ela", 28)
			sections("Mathematics", "Mathematics", "math", 28)
		}
	}
}

func gradeNum(code string) int {
	if code == "KG" {
		return 0
	}
	var n int
	fmt.Sscanf(code, "%d", &n)
	return n
}

func gradeLabel(g int) string {
	if g == 0 {
		return "K"
	}
	return fmt.Sprint(g)
}

func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func tf(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (g *gen) writeManifest(w *csv.Writer) error {
	rows := [][]string{{"propertyName", "value"},
		{"manifest.version", "1.0"}, {"oneroster.version", "1.1"},
		{"file.academicSessions", "bulk"}, {"file.categories", "absent"}, {"file.classes", "bulk"},
		{"file.classResources", "absent"}, {"file.courses", "bulk"}, {"file.courseResources", "absent"},
		{"file.demographics", "bulk"}, {"file.enrollments", "bulk"}, {"file.lineItems", "absent"},
		{"file.orgs", "bulk"}, {"file.resources", "absent"}, {"file.results", "absent"}, {"file.users", "bulk"},
		{"source.systemName", "TrustPulse rostergen"}, {"source.systemCode", "rostergen"}}
	return w.WriteAll(rows)
}

func (g *gen) districtOrg() string { return "dst-" + g.cfg.DistrictIdentifier }

func (g *gen) writeOrgs(w *csv.Writer) error {
	if err := w.Write([]string{"sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId", "metadata.timeZone"}); err != nil {
		return err
	}
	if err := w.Write([]string{g.districtOrg(), "", g.modified(), g.cfg.DistrictName, "district", g.cfg.DistrictIdentifier, "", ""}); err != nil {
		return err
	}
	for _, s := range g.schools {
		if err := w.Write([]string{s.SourcedID, "", g.modified(), s.Name, "school", s.Identifier, g.districtOrg(), s.TimeZone}); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) sessionID() string { return fmt.Sprintf("sy-%d", g.cfg.SchoolYear) }

func (g *gen) writeSessions(w *csv.Writer) error {
	y := fmt.Sprint(g.cfg.SchoolYear)
	start, end := g.yearStart(), g.yearEnd()
	mid := time.Date(g.cfg.SchoolYear, time.January, 20, 0, 0, 0, 0, time.UTC)
	return w.WriteAll([][]string{
		{"sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"},
		{g.sessionID(), "", g.modified(), fmt.Sprintf("%d-%d", g.cfg.SchoolYear-1, g.cfg.SchoolYear%100), "schoolYear", start.Format(time.DateOnly), end.Format(time.DateOnly), "", y},
		{g.sessionID() + "-s1", "", g.modified(), "Semester 1", "semester", start.Format(time.DateOnly), mid.AddDate(0, 0, -1).Format(time.DateOnly), g.sessionID(), y},
		{g.sessionID() + "-s2", "", g.modified(), "Semester 2", "semester", mid.Format(time.DateOnly), end.Format(time.DateOnly), g.sessionID(), y},
	})
}

func (g *gen) writeCourses(w *csv.Writer) error {
	if err := w.Write([]string{"sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"}); err != nil {
		return err
	}
	for _, id := range g.courseIDs {
		c := g.courses[id]
		if err := w.Write([]string{id, "", g.modified(), g.sessionID(), c[0], strings.ToUpper(strings.TrimPrefix(id, "crs-")), "", c[1], "", ""}); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) writeClasses(w *csv.Writer) error {
	if err := w.Write([]string{"sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"}); err != nil {
		return err
	}
	for _, c := range g.classes {
		if err := w.Write([]string{c.id, "", g.modified(), c.title, gradeCode(c.grade), c.course, strings.ToUpper(strings.TrimPrefix(c.id, "cls-")), c.classType, "", c.school, g.sessionID(), "", "", ""}); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) writeUsers(w *csv.Writer) error {
	if err := w.Write([]string{"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds",
		"givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password",
		"metadata.homeLanguage", "metadata.preferredLanguage", "metadata.englishLearner", "metadata.disability", "metadata.lowIncome",
		"metadata.surveyOptOut", "metadata.doNotText", "metadata.department", "metadata.hireDate"}); err != nil {
		return err
	}
	mod := g.modified()
	for i, s := range g.students {
		agents := make([]string, len(s.guardians))
		for j, gi := range s.guardians {
			agents[j] = g.guardians[gi].id
		}
		if err := w.Write([]string{s.id, "", mod, "true", g.schools[s.school].SourcedID, "student", strings.TrimPrefix(s.id, "stu-"), "",
			s.given, s.family, "", fmt.Sprintf("%07d", 3000000+i), s.email, "", "", strings.Join(agents, ","), s.grade, "",
			s.lang, "", tf(s.el), tf(s.disability), tf(s.lowIncome), tf(s.optOut), "", "", ""}); err != nil {
			return err
		}
	}
	for _, st := range g.staff {
		if err := w.Write([]string{st.id, "", mod, "true", g.schools[st.school].SourcedID, st.role, strings.TrimPrefix(st.id, "stf-"), "",
			st.given, st.family, "", "", st.email, "", "", "", "", "",
			"", "", "", "", "", "", "", st.dept, st.hired.Format(time.DateOnly)}); err != nil {
			return err
		}
	}
	for _, gd := range g.guardians {
		var orgs, kids []string
		for _, k := range gd.children {
			kids = append(kids, g.students[k].id)
			if o := g.schools[g.students[k].school].SourcedID; !slices.Contains(orgs, o) {
				orgs = append(orgs, o)
			}
		}
		if err := w.Write([]string{gd.id, "", mod, "false", strings.Join(orgs, ","), gd.role, strings.TrimPrefix(gd.id, "gdn-"), "",
			gd.given, gd.family, "", "", gd.email, gd.sms, gd.phone, strings.Join(kids, ","), "", "",
			"", gd.lang, "", "", "", tf(gd.optOut), tf(gd.noText), "", ""}); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) writeDemographics(w *csv.Writer) error {
	if err := w.Write([]string{"sourcedId", "status", "dateLastModified", "birthDate", "sex", "americanIndianOrAlaskaNative", "asian",
		"blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
		"hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus"}); err != nil {
		return err
	}
	row := func(id string, birth time.Time, sex string, hispanic bool, races []string) []string {
		has := func(r string) string { return tf(slices.Contains(races, r)) }
		return []string{id, "", g.modified(), birth.Format(time.DateOnly), sex, has("american_indian"), has("asian"), has("black"),
			has("pacific_islander"), has("white"), tf(len(races) > 1), tf(hispanic), "US", "", "", ""}
	}
	for _, s := range g.students {
		if err := w.Write(row(s.id, s.birth, s.gender, s.hispanic, s.races)); err != nil {
			return err
		}
	}
	for _, st := range g.staff {
		if err := w.Write(row(st.id, st.birth, st.gender, st.hispanic, st.races)); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) writeEnrollments(w *csv.Writer) error {
	if err := w.Write([]string{"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"}); err != nil {
		return err
	}
	begin, end := g.yearStart().Format(time.DateOnly), g.yearEnd().Format(time.DateOnly)
	for i, e := range g.enrolls {
		primary := ""
		if e.role == "teacher" {
			primary = "true"
		}
		if err := w.Write([]string{fmt.Sprintf("enr-%07d", i+1), "", g.modified(), e.class, e.school, e.user, e.role, primary, begin, end}); err != nil {
			return err
		}
	}
	return nil
}
