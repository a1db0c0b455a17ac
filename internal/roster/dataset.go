package roster

import (
	"strings"

	"github.com/trustpulse/trustpulse/internal/store"
)

// fileMode is how one file's records apply: OneRoster's bulk (the file is the whole truth; what
// it leaves out is deactivated), delta (only its rows change), or absent (nothing changes).
type fileMode uint8

const (
	absent fileMode = iota
	bulk
	delta
)

func (m fileMode) String() string {
	return [...]string{"absent", "bulk", "delta"}[m]
}

// where is a row's place, for problems found after the file was read.
type where struct {
	file string
	line int
}

// optStr is a value a file may leave out; a left-out value keeps what the database holds.
type optStr struct {
	set bool
	v   string
}

func some(v string) optStr { return optStr{set: true, v: v} }

// optBool is a flag a row may leave blank; blank keeps the stored flag, so a flag set once (an
// opt-out) survives every later import that does not say otherwise.
type optBool uint8

const (
	unset optBool = iota
	no
	yes
)

func optOf(b bool) optBool {
	if b {
		return yes
	}
	return no
}

// attrOp sets an attribute, or removes it when val is "".
type attrOp struct{ key, val string }

type orgRec struct {
	at                                where
	id, name, typ, identifier, parent string
	tz                                optStr
	deleted                           bool
}

// refRec is an academic session or course: checked, remembered in roster_records, otherwise unused.
type refRec struct {
	at                         where
	entity, id, typ, title, up string
	deleted                    bool
}

// personRec is one user row, fully read. Rows are read twice: once to check everything (only a
// personKey is kept), and again, inside the transaction, to be written a batch at a time; so a
// district of any size needs memory for its ids, not for its rows.
type personRec struct {
	at                        where
	id                        string
	kind                      string
	role                      string
	deleted                   bool
	given, family             string
	email, grade, phone, lang optStr
	orgs                      []string
	agents                    []string
	agentsOwner               bool // the row says who its agents are (even none)
	attrs                     []attrOp
	optOut, noText            optBool
	homeroom                  string // simple format: the homeroom class the row belongs to
}

// personKey is what the first pass keeps of a user row.
type personKey struct {
	id          string
	at          where
	kind        string
	deleted     bool
	agentsOwner bool
	// langUnknown: the row states no language for the person (a guardian may get their
	// children's home language).
	langUnknown bool
	homeLang    optStr // students: the home language the row states
	orgs        string // org ids joined by orgSep, interned: rows share few distinct lists
	agents      string // agent ids joined by orgSep
	pid         int64
}

// orgSep joins ids in personKey: it cannot occur in a CSV field anyone types.
const orgSep = "\x1f"

type demoRec struct {
	at      where
	user    string
	deleted bool
	attrs   []attrOp
}

type classRec struct {
	at                                where
	id, title, classType, school, crs string
	terms                             []string
	deleted                           bool
}

type enrollRec struct {
	at                        where
	class, school, user, role string
	active                    bool
}

// dataset is one import's files, read and checked row by row, before anything is looked up in
// the database. Both formats read into it.
type dataset struct {
	format string
	// Modes of each kind of record. People have one per kind because the simple format keeps
	// students, staff and guardians in files of their own.
	orgMode, demoMode, classMode, enrollMode, sessionMode, courseMode fileMode
	peopleMode                                                        map[string]fileMode
	probs                                                             *problems // the import\'s, for keeping

	districtOrgs []*orgRec
	orgs         []orgRec
	orgIdx       map[string]int
	refs         []refRec
	refIdx       map[[2]string]int
	people       []personKey
	personIdx    map[string]int
	demo         []demoRec
	classes      []classRec
	classIdx     map[string]int
	enrolls      []enrollRec

	in interner
	// rereadPeople streams the user rows again, in the order the first pass read them.
	rereadPeople func(emit func(*personRec) error) error
}

func newDataset(format string) *dataset {
	return &dataset{
		format:     format,
		peopleMode: map[string]fileMode{store.KindStudent: absent, store.KindStaff: absent, store.KindGuardian: absent},
		orgIdx:     map[string]int{},
		refIdx:     map[[2]string]int{},
		personIdx:  map[string]int{},
		classIdx:   map[string]int{},
		in:         interner{},
	}
}

// keep is the first pass's sink for user rows.
func (d *dataset) keep(p *personRec) {
	if !d.keeping() {
		return
	}
	k := personKey{id: strings.Clone(p.id), at: p.at, kind: p.kind, deleted: p.deleted, agentsOwner: p.agentsOwner,
		orgs: d.in.of(strings.Join(p.orgs, orgSep)), agents: strings.Clone(strings.Join(p.agents, orgSep))}
	k.langUnknown = p.lang.v == ""
	for _, op := range p.attrs {
		if op.key == AttrHomeLanguage {
			k.homeLang = some(op.val)
		}
	}
	d.personIdx[k.id] = len(d.people)
	d.people = append(d.people, k)
}

// user returns the first pass's copy of a user id when it has one, so a row that refers to a
// user does not keep its whole CSV record alive.
func (d *dataset) user(sid string) string {
	if i, ok := d.personIdx[sid]; ok {
		return d.people[i].id
	}
	return strings.Clone(sid)
}

// modeLabel names the import's mode for its history: full, delta, or mixed when files differ.
func (d *dataset) modeLabel() string {
	seen := map[fileMode]bool{}
	for _, m := range []fileMode{d.orgMode, d.demoMode, d.classMode, d.enrollMode, d.sessionMode, d.courseMode,
		d.peopleMode[store.KindStudent], d.peopleMode[store.KindStaff], d.peopleMode[store.KindGuardian]} {
		if m != absent {
			seen[m] = true
		}
	}
	switch {
	case seen[bulk] && seen[delta]:
		return "mixed"
	case seen[delta]:
		return ModeDelta
	}
	return ModeFull
}

// keeping says whether rows are still kept. Once an import has as many fatal problems as it
// reports it has failed; the rest of its rows are still checked one by one so their problems are
// counted, but they are no longer kept, so a file of a million bad rows costs a counter. Checks
// across rows (duplicates, references) stop with them.
func (d *dataset) keeping() bool { return d.probs == nil || !d.probs.full() }

// interner shares one copy of the strings many rows repeat (kinds, roles, grades, languages,
// org lists).
type interner map[string]string

func (in interner) of(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	s = strings.Clone(s)
	in[s] = s
	return s
}

func splitKey(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, orgSep)
}
