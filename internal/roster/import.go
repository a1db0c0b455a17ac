package roster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// importLockKey serializes roster imports on PostgreSQL (pg_advisory_xact_lock): two imports into
// one district must not both create it, nor interleave their upserts. SQLite's immediate
// transactions already serialize writers.
const importLockKey = 0x54505249 // "TPRI"

// errProblems rolls the transaction back when resolution found fatal problems.
var errProblems = errors.New("roster has problems")

// analyzeAfter is how many changed people make an import refresh PostgreSQL's statistics.
const analyzeAfter = 5000

// maxWarningLines bounds the warnings text kept with an import's history.
const maxWarningLines = 1000

type importer struct {
	s       *store.Store
	opt     Options
	log     *slog.Logger
	started time.Time
	p       *problems
	d       *dataset
}

func (im *importer) run(ctx context.Context, fsys fs.FS) (Result, error) {
	im.p = newProblems(im.opt.Limits.MaxProblems)
	markers := []string{fileManifest, strings.ToLower(fileOrgs), strings.ToLower(fileUsers)}
	if im.opt.Format == FormatSimple {
		markers = []string{fileStudents, fileStaff, fileGuardians, fileSchools}
	}
	src, err := findSource(fsys, markers, im.opt.Limits)
	if err != nil {
		return Result{}, fmt.Errorf("roster import: %w", err)
	}
	if im.opt.Progress != nil {
		total := src.size()
		im.opt.Progress(Progress{Phase: PhaseReading, Total: total})
		src.budget.onRead = func(n int64) { im.opt.Progress(Progress{Phase: PhaseReading, Done: min(n, total), Total: total}) }
	}
	if im.opt.Format == FormatSimple {
		im.d, err = readSimple(src, im.opt, im.started, im.p)
	} else {
		im.d, err = readOneRoster(src, im.opt, im.started, im.p)
	}
	if err != nil {
		return Result{}, fmt.Errorf("roster import: %w", err)
	}
	im.log.Info("roster read", "source", im.opt.Source, "format", im.opt.Format, "people", len(im.d.people),
		"classes", len(im.d.classes), "enrollments", len(im.d.enrolls), "problems", im.p.nFatal, "warnings", im.p.nWarn,
		"elapsed", time.Since(im.started).Round(time.Millisecond))

	slug, name := im.districtSlug()
	if im.p.structural || slug == "" || im.p.nFatal > 0 && im.p.nFatal >= im.opt.Limits.MaxProblems {
		return Result{}, im.fail(ctx, slug)
	}
	if im.opt.Progress != nil {
		// Said before the transaction starts, so a listener that writes it down can (SQLite's
		// one write lock is the transaction's from then on).
		im.opt.Progress(Progress{Phase: PhaseWriting, Total: int64(len(im.d.people))})
	}
	var res Result
	err = im.s.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		res, err = im.apply(ctx, tx, slug, name)
		return err
	})
	if errors.Is(err, errProblems) {
		return Result{}, im.fail(ctx, slug)
	}
	var mass *MassDeactivationError
	if errors.As(err, &mass) {
		return Result{}, im.failWith(ctx, slug, mass)
	}
	if err != nil {
		return Result{}, fmt.Errorf("roster import: %w", err)
	}
	im.log.Info("roster imported", "district_id", res.DistrictID, "import_id", res.ImportID, "created", res.PeopleCreated,
		"updated", res.PeopleUpdated, "deactivated", res.PeopleDeactivated, "elapsed", time.Since(im.started).Round(time.Millisecond))
	return res, nil
}

// districtSlug decides which district the roster goes to, and the name to create it with.
func (im *importer) districtSlug() (slug, name string) {
	orgs := im.d.districtOrgs
	if len(orgs) == 1 {
		name = orgs[0].name
	}
	if im.opt.DistrictSlug != "" {
		if name == "" {
			name = im.opt.DistrictSlug
		}
		return im.opt.DistrictSlug, name
	}
	switch len(orgs) {
	case 0:
		if im.d.orgMode != absent || !hasProblems(im.p.fatal, fileOrgs) {
			im.p.fileSeen(fileOrgs)
			im.p.add(fileOrgs, 0, "no_district", "no org of type district: name the district to import into with --district")
		}
		return "", ""
	case 1:
		o := orgs[0]
		from := o.identifier
		if from == "" {
			from = o.name
		}
		if slug = slugify(from); slug == "" {
			im.p.add(o.at.file, o.at.line, "district_slug", "cannot make a district slug from %q: name the district with --district", "Name", from)
		}
		return slug, name
	}
	for _, o := range orgs[1:] {
		im.p.add(o.at.file, o.at.line, "second_district", "a second district org (the first is on line %d): name the district to import into with --district", "First", orgs[0].at.line)
	}
	return "", ""
}

func hasProblems(ps []Problem, file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}

func (im *importer) apply(ctx context.Context, tx *gorm.DB, slug, name string) (Result, error) {
	if im.s.Dialect == config.Postgres {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", importLockKey).Error; err != nil {
			return Result{}, fmt.Errorf("lock: %w", err)
		}
	}
	districtID, err := findOrCreateDistrict(tx, slug, name, im.started)
	if err != nil {
		return Result{}, err
	}
	ex, err := loadExisting(tx, districtID)
	if err != nil {
		return Result{}, err
	}
	r := newResolver(im.d, ex, im.p)
	r.resolve()
	if im.p.nFatal > 0 {
		return Result{}, errProblems
	}
	im.log.Debug("roster resolved", "elapsed", time.Since(im.started).Round(time.Millisecond))
	w := &writer{tx: tx, districtID: districtID, now: im.started, d: im.d, ex: ex, r: r, log: im.log}
	if im.opt.Progress != nil {
		w.progress = func(done, total int) {
			im.opt.Progress(Progress{Phase: PhaseWriting, Done: int64(done), Total: int64(total)})
		}
	}
	if err := w.write(); err != nil {
		return Result{}, err
	}
	// Checked after writing, as only the writer knows who ends up deactivated; returning the
	// error rolls every write back.
	if err := im.checkDeactivation(ex, w.deactivated); err != nil {
		return Result{}, err
	}
	if im.s.Dialect == config.Postgres && w.created+w.updated+w.deactivated >= analyzeAfter {
		// Fresh statistics, or PostgreSQL plans the next import's (and everyone's) lookups in
		// these tables as if they were still small; ANALYZE samples, so this takes a moment.
		if err := tx.Exec("ANALYZE people, person_schools, guardian_links, classes, enrollments").Error; err != nil {
			return Result{}, fmt.Errorf("analyze: %w", err)
		}
	}
	res, err := counts(tx, districtID)
	if err != nil {
		return Result{}, err
	}
	res.DistrictID = districtID
	res.PeopleCreated, res.PeopleUpdated, res.PeopleDeactivated = w.created, w.updated, w.deactivated
	res.Warnings = im.p.sorted(im.p.warn)
	res.WarningTotal = im.p.nWarn
	rec := im.record(districtID, store.ImportSucceeded, JobProblems{})
	rec.Schools, rec.Students, rec.Staff, rec.Guardians, rec.GuardianLinks = res.Schools, res.Students, res.Staff, res.Guardians, res.GuardianLinks
	rec.PeopleCreated, rec.PeopleUpdated, rec.PeopleDeactivated = w.created, w.updated, w.deactivated
	if err := tx.Create(&rec).Error; err != nil {
		return Result{}, fmt.Errorf("record import: %w", err)
	}
	if err := im.audit(tx, districtID, fmt.Sprintf("succeeded: %d created, %d updated, %d deactivated", w.created, w.updated, w.deactivated)); err != nil {
		return Result{}, err
	}
	res.ImportID = rec.ID
	return res, nil
}

// checkDeactivation refuses a bulk import that would deactivate more than the allowed share of
// the district's active people, unless the caller confirmed it: a one-person "bulk" file from a
// misconfigured export must not switch off a whole district.
func (im *importer) checkDeactivation(ex *existing, deactivated int) error {
	if im.opt.AllowMassDeactivation || deactivated == 0 {
		return nil
	}
	active := 0
	for _, k := range ex.people {
		if k.active {
			active++
		}
	}
	share := im.opt.MassDeactivationShare
	if share <= 0 {
		share = DefaultMassDeactivationShare
	}
	if !overShare(deactivated, active, share) {
		return nil
	}
	return &MassDeactivationError{Deactivated: deactivated, Active: active, Share: share}
}

// overShare says whether deactivating n of active people is more than share of them.
func overShare(n, active int, share float64) bool {
	return active > 0 && float64(n) > share*float64(active)
}

// audit writes the import's audit row in tx, the import's own transaction.
func (im *importer) audit(tx *gorm.DB, districtID int64, detail string) error {
	a := im.opt.Audit
	actor := a.Actor
	if actor == "" {
		actor = "cli"
	}
	return auth.AuditTx(tx, im.s.Now(), auth.Entry{DistrictID: districtID, UserID: a.UserID, Actor: actor,
		Action: auth.ActionRosterImport, Target: im.opt.Source, Detail: detail, IP: a.IP})
}

func findOrCreateDistrict(tx *gorm.DB, slug, name string, now time.Time) (int64, error) {
	var d store.District
	err := tx.Where("slug = ?", slug).Order("created_at").First(&d).Error
	if err == nil {
		return d.DistrictID, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, fmt.Errorf("find district %q: %w", slug, err)
	}
	d = store.District{DistrictID: store.NewID(), Slug: slug, Name: name, MinGroupSize: 10, Settings: store.Attrs{}, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateDistrict(tx, &d); err != nil {
		return 0, fmt.Errorf("create district %q: %w", slug, err)
	}
	return d.DistrictID, nil
}

// counts is what is active in the district: the numbers the command's last line reports.
func counts(tx *gorm.DB, districtID int64) (Result, error) {
	var res Result
	var n int64
	if err := tx.Model(&store.School{}).Where("district_id = ? AND active = ?", districtID, true).Count(&n).Error; err != nil {
		return res, fmt.Errorf("count schools: %w", err)
	}
	res.Schools = int(n)
	var byKind []struct {
		Kind string
		N    int
	}
	if err := tx.Model(&store.Person{}).Select("kind, COUNT(*) AS n").Where("district_id = ? AND active = ?", districtID, true).
		Group("kind").Scan(&byKind).Error; err != nil {
		return res, fmt.Errorf("count people: %w", err)
	}
	for _, k := range byKind {
		switch k.Kind {
		case store.KindStudent:
			res.Students = k.N
		case store.KindStaff:
			res.Staff = k.N
		case store.KindGuardian:
			res.Guardians = k.N
		}
	}
	err := tx.Raw(`SELECT COUNT(*) FROM guardian_links l
		JOIN people g ON g.district_id = l.district_id AND g.id = l.guardian_id AND g.active = ?
		JOIN people s ON s.district_id = l.district_id AND s.id = l.student_id AND s.active = ?
		WHERE l.district_id = ?`, true, true, districtID).Scan(&n).Error
	if err != nil {
		return res, fmt.Errorf("count guardian links: %w", err)
	}
	res.GuardianLinks = int(n)
	return res, nil
}

// record is the import's history row; kept is its problems or reason, if it failed, which the row
// keeps with its warnings for the roster page to word (see JobProblems).
func (im *importer) record(districtID int64, status string, kept JobProblems) store.RosterImport {
	warnings := im.p.sorted(im.p.warn)
	mode := ""
	if im.d != nil {
		mode = im.d.modeLabel()
	}
	return store.RosterImport{
		DistrictID: districtID, ID: store.NewID(), Source: im.opt.Source, Format: im.opt.Format, Mode: mode,
		Status: status, StartedAt: im.started, FinishedAt: im.s.Now(),
		WarningCount: im.p.nWarn, Warnings: strings.Join(ReportTotal(warnings, im.p.nWarn, maxWarningLines, "warnings"), "\n"),
		ProblemsJSON: kept.withWarnings(warnings, im.p.nWarn, maxWarningLines).encode(),
	}
}

// fail returns the import's problems, after recording the failed attempt (and its audit row,
// in one transaction) in the history of the district it was meant for, if that district exists.
// Nothing else is written.
func (im *importer) fail(ctx context.Context, slug string) error {
	return im.failWith(ctx, slug, nil)
}

// failWith is fail with the error to return instead of the problem list, when there is one.
func (im *importer) failWith(ctx context.Context, slug string, cause error) error {
	probs := im.p.sorted(im.p.fatal)
	var ierr error = &ImportError{Problems: probs, Total: im.p.nFatal}
	if cause != nil {
		ierr = cause
	}
	if slug == "" {
		return ierr
	}
	var d store.District
	if err := im.s.DB.WithContext(ctx).Where("slug = ?", slug).Order("created_at").First(&d).Error; err != nil {
		return ierr
	}
	kept := keptProblems(probs, im.p.nFatal)
	var mass *MassDeactivationError
	if errors.As(cause, &mass) {
		kept = JobProblems{Total: 1, Reason: mass.Reason()}
	}
	rec := im.record(d.DistrictID, store.ImportFailed, kept)
	rec.ProblemCount = im.p.nFatal
	rec.Problems = strings.Join(ReportTotal(probs, im.p.nFatal, MaxListed, "problems"), "\n")
	detail := fmt.Sprintf("failed: %d problems; nothing was imported", im.p.nFatal)
	if cause != nil {
		rec.ProblemCount, rec.Problems, detail = 1, cause.Error(), "refused: "+cause.Error()
	}
	err := im.s.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&rec).Error; err != nil {
			return fmt.Errorf("record failed roster import: %w", err)
		}
		return im.audit(tx, d.DistrictID, detail)
	})
	if err != nil {
		im.log.Error("record failed roster import", "err", err)
	}
	return ierr
}
