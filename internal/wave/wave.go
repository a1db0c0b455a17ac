// Package wave owns administrations: waves, invitations and their tokens, class codes, the
// anonymous/confidential rules, saving answers page by page, and submission. It renders nothing.
package wave

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/credential"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// Respondent-facing outcomes; the web layer maps each to a localized page.
var (
	ErrUnknown       = errors.New("unknown survey link")
	ErrNotOpen       = errors.New("wave not open yet")
	ErrClosed        = errors.New("wave closed")
	ErrUsed          = errors.New("survey already answered with this link")
	ErrOptedOut      = errors.New("respondent opted out of surveys")
	ErrInvalidAnswer = errors.New("invalid answer")
)

// Service runs waves against the store.
type Service struct {
	Store   *store.Store
	Surveys *survey.Catalog
	// Scorer, when set, turns a submitted response into measure scores in the same transaction.
	Scorer Scorer
	// Notifier, when set, queues the messages (SMS) of newly made invitations: the tokens exist in
	// clear only while Invite returns.
	Notifier Notifier
	// Mixing decides when anonymous ballots are mixed into responses (see Mix); zero: defaults.
	Mixing MixPolicy
	// ReportedKeys, when set, lists the subgroup attributes a district reports for an audience
	// under its settings (report.Attributes, wired by the app): responses store no others. Nil
	// stores every snapshot attribute.
	ReportedKeys func(audience string, districtSettings store.Attrs) []string
	// CohortK is the k of snapshot k-anonymity (see CohortScheme); zero means DefaultCohortK.
	CohortK int
	// CodeMargin is how many responses a class or school code takes beyond the number of people
	// it is for; zero means DefaultCodeMargin, negative means none.
	CodeMargin int

	waves        sync.Map    // waveKey -> cachedWave, for the respondent hot path
	homes        codeHomes   // the district of typed codes already found (see codehome.go)
	sweepPending atomic.Bool // the mixer's last sweep did not finish (see Mix)
	// mixXid is the newest transaction id (PostgreSQL xid8) that deleted mixed ballots and has
	// not been swept yet: the sweep waits only for what is older (see olderSnapshotsQuery).
	mixXid      atomic.Uint64
	schemes     sync.Map // [3]int64{district, wave, school} -> Scheme; stored schemes never change
	codeRosters sync.Map // codeRosterKey -> cachedCodeRoster
}

// waveCacheTTL bounds how long a server may act on an old copy of a wave: closing or extending a
// wave reaches every app server within this time.
const waveCacheTTL = 2 * time.Second

type waveKey struct{ district, id int64 }

type cachedWave struct {
	w       store.Wave
	fetched time.Time
}

// cachedWave reads the wave through db (a caller's transaction, so it never waits for a second
// pooled connection while holding one) unless this server read it moments ago.
func (s *Service) cachedWave(db *gorm.DB, districtID, waveID int64) (store.Wave, error) {
	k := waveKey{districtID, waveID}
	if v, ok := s.waves.Load(k); ok {
		if c := v.(cachedWave); time.Since(c.fetched) < waveCacheTTL {
			return c.w, nil
		}
	}
	w, err := getWave(db, districtID, waveID)
	if err != nil {
		return w, err
	}
	s.waves.Store(k, cachedWave{w: w, fetched: time.Now()})
	return w, nil
}

// forget drops a wave from the cache after this server changed it.
func (s *Service) forget(districtID, waveID int64) { s.waves.Delete(waveKey{districtID, waveID}) }

// Scorer scores one response at submission. Implemented by the scoring glue; nil scores nothing.
type Scorer interface {
	ScoreResponse(ctx context.Context, tx *gorm.DB, in *survey.Instrument, r *store.Response) error
}

// Notifier queues invitation messages in the transaction that made the invitations, so both
// commit or neither does. It queues nothing for a wave that is not open. Implemented by
// internal/sms.
type Notifier interface {
	EnqueueTx(ctx context.Context, tx *gorm.DB, w store.Wave, issued []Issued) (int, error)
}

// Notifiers queues with each in turn (SMS and email), in the same transaction; each takes only
// the invitations of its own channel.
type Notifiers []Notifier

// EnqueueTx implements Notifier.
func (ns Notifiers) EnqueueTx(ctx context.Context, tx *gorm.DB, w store.Wave, issued []Issued) (int, error) {
	total := 0
	for _, n := range ns {
		k, err := n.EnqueueTx(ctx, tx, w, issued)
		if err != nil {
			return total, err
		}
		total += k
	}
	return total, nil
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// tokenSecretLen is the length of a link token's secret: 160 random bits in base32.
const tokenSecretLen = 32

// MaxTokenLen is the longest link token made for a deployment of up to 1023 districts: the
// secret after a route of up to two characters (internal/credential). Texts are checked to fit
// two segments with links this long.
const MaxTokenLen = tokenSecretLen + 2

// NewToken returns a link token of 160 random bits for the district of route, and the hash that
// is all we store of it. The token starts with the route (internal/credential), so its lookup
// names the district; the hash is of the whole token, as it was before routes.
func NewToken(route int) (token string, hash []byte) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	token = credential.Wrap(route, strings.ToLower(tokenEncoding.EncodeToString(b[:])))
	return token, HashToken(token)
}

// NewDistrictToken is NewToken for a district, its route read through db (once per process).
func NewDistrictToken(st *store.Store, db *gorm.DB, districtID int64) (token string, hash []byte, err error) {
	route, err := st.RouteOf(db, districtID)
	if err != nil {
		return "", nil, err
	}
	token, hash = NewToken(route)
	return token, hash, nil
}

// HashToken is the stored form of a token. A fast hash is right here: the token has 160 bits of
// entropy, so there is nothing to brute-force that a slow hash would protect.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(token))))
	return h[:]
}

// ValidTokenShape rejects obviously malformed tokens before they cost a database lookup.
func ValidTokenShape(token string) bool {
	_, ok := TokenRoute(token)
	return ok
}

// TokenRoute is the route a link token starts with — credential.Legacy for a token made before
// routes — and whether it has a token's shape at all.
func TokenRoute(token string) (int, bool) {
	route, secret, ok := credential.Split(token, tokenSecretLen)
	if !ok {
		return 0, false
	}
	for _, r := range secret {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return 0, false
		}
	}
	return route, true
}

// codeAlphabet avoids look-alike characters (0/O, 1/I/L) because codes are read off a board.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewCode returns a 10-character class code (about 49 bits): typed by students, so shorter than a
// token, and the per-IP rate limit on lookups keeps guessing impractical.
func NewCode() string {
	code, err := newCode(rand.Reader)
	if err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	return code
}

// codeByteLimit is the largest multiple of the alphabet's size that fits in a byte: random bytes
// at or above it are drawn again, so every character is equally likely (a plain byte % 31 would
// make the first 8 characters 9/8 as likely as the rest).
const codeByteLimit = 256 - 256%len(codeAlphabet)

// newCode draws a code from random by rejection sampling.
func newCode(random io.Reader) (string, error) {
	out := make([]byte, 0, 10)
	var buf [10]byte
	for len(out) < cap(out) {
		// Read only as many bytes as characters are missing: none is drawn and thrown away.
		b := buf[:cap(out)-len(out)]
		if _, err := io.ReadFull(random, b); err != nil {
			return "", err
		}
		for _, v := range b {
			if int(v) < codeByteLimit {
				out = append(out, codeAlphabet[int(v)%len(codeAlphabet)])
			}
		}
	}
	return string(out), nil
}

// NormalizeCode accepts what people type: lower case, spaces and dashes.
func NormalizeCode(code string) string {
	code = strings.ToUpper(code)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
}

// Spec describes a wave to create.
type Spec struct {
	DistrictID         int64
	Name               string
	InstrumentID       string
	InstrumentVersion  int
	Mode               string
	SchoolIDs          []int64
	OpensAt, ClosesAt  time.Time
	Channels           []string // link, code, sms, email
	Grades             []string // students: only these grades (empty = all)
	StaffRoles         []string // staff: only these roles (empty = all)
	SMSAnswering       bool
	ReminderDelayHours int
	MaxReminders       int
	// Start is what happens once it is stored: "" or ActUnschedule keeps a draft; ActSchedule
	// schedules it to open by itself at OpensAt; ActOpen opens it now (invitations made and queued).
	Start Action
	// By is who creates it, for the audit log; the zero value is the system.
	By Actor
}

// ReminderMax bounds a wave's reminders (Spec.MaxReminders).
const ReminderMax = 2

// Create is the create-a-wave use case: it validates a spec and stores the wave, as a draft, or
// scheduled or opened at once as spec.Start asks (opening makes its invitations and queues their
// texts), with its audit row, in one transaction. A refused spec is a *refusal.Error (errors.As)
// reading "create wave: <why>"; a start the lifecycle refuses is also ErrTransition.
func (s *Service) Create(ctx context.Context, spec Spec) (store.Wave, error) {
	in, ok := s.Surveys.Get(spec.InstrumentID, spec.InstrumentVersion)
	if !ok {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.instrument",
			fmt.Sprintf("instrument %s version %d does not exist", spec.InstrumentID, spec.InstrumentVersion), "Instrument", spec.InstrumentID, "Version", spec.InstrumentVersion))
	}
	if spec.Mode != store.ModeAnonymous && spec.Mode != store.ModeConfidential {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.mode", fmt.Sprintf("mode %q: want anonymous or confidential", spec.Mode), "Mode", strconv.Quote(spec.Mode)))
	}
	if strings.TrimSpace(spec.Name) == "" {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.name", "name is required"))
	}
	if !spec.ClosesAt.After(spec.OpensAt) {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.window", "it must close after it opens"))
	}
	if len(spec.SchoolIDs) == 0 {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.schools", "choose at least one school"))
	}
	if len(spec.Channels) == 0 {
		spec.Channels = []string{"link"}
	}
	for _, ch := range spec.Channels {
		if ch != "link" && ch != "code" && ch != "sms" && ch != "email" {
			return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.channel", fmt.Sprintf("unknown channel %q", ch), "Channel", strconv.Quote(ch)))
		}
	}
	if slices.Contains(spec.Channels, "code") && spec.Mode != store.ModeAnonymous {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.codes_confidential", "class codes are for anonymous waves only: a code cannot tell who answered"))
	}
	if spec.MaxReminders < 0 || spec.MaxReminders > ReminderMax {
		return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.reminders", "at most "+strconv.Itoa(ReminderMax)+" reminders", "Count", ReminderMax))
	}
	if spec.ReminderDelayHours == 0 {
		spec.ReminderDelayHours = 48
	}
	now := s.Store.Now()
	filter := store.Attrs{}
	if len(spec.Grades) > 0 {
		filter["grades"] = strings.Join(spec.Grades, ",")
	}
	if len(spec.StaffRoles) > 0 {
		filter["roles"] = strings.Join(spec.StaffRoles, ",")
	}
	w := store.Wave{
		DistrictID: spec.DistrictID, ID: store.NewID(), Name: strings.TrimSpace(spec.Name),
		InstrumentID: in.ID, InstrumentVersion: in.Version, Audience: string(in.Audience), AudienceFilter: filter,
		Mode: spec.Mode, Channels: strings.Join(spec.Channels, ","), Status: store.StatusDraft,
		OpensAt: spec.OpensAt.UTC(), ClosesAt: spec.ClosesAt.UTC(), SMSAnswering: spec.SMSAnswering,
		ReminderDelayHours: spec.ReminderDelayHours, MaxReminders: spec.MaxReminders, CreatedAt: now, UpdatedAt: now,
	}
	if spec.Start != "" && spec.Start != ActUnschedule {
		if spec.Start != ActSchedule && spec.Start != ActOpen {
			return store.Wave{}, fmt.Errorf("create wave: %w", invalid("refusal.wave.start", fmt.Sprintf("start %q: choose draft, schedule or open", spec.Start), "Start", strconv.Quote(string(spec.Start))))
		}
		next, err := Transition(LifecycleOf(w), spec.Start, now, time.Time{})
		if err != nil {
			return store.Wave{}, fmt.Errorf("create wave: %w", err)
		}
		w.Status = next.Status
	}
	var issued []Issued
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		if err := ensureInstrument(tx, spec.DistrictID, in, now); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&store.School{}).Where("district_id = ? AND id IN ?", spec.DistrictID, spec.SchoolIDs).Count(&n).Error; err != nil {
			return err
		}
		if int(n) != len(spec.SchoolIDs) {
			return invalid("refusal.wave.school_unknown", "one of the schools does not exist in this district")
		}
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		for _, id := range spec.SchoolIDs {
			if err := tx.Create(&store.WaveSchool{DistrictID: w.DistrictID, WaveID: w.ID, SchoolID: id}).Error; err != nil {
				return err
			}
		}
		if w.Status == store.StatusOpen {
			var err error
			if issued, err = s.inviteTx(ctx, tx, w, now, true); err != nil {
				return err
			}
		}
		return audit(tx, now, spec.By, w.DistrictID, auth.ActionWaveCreate, w.ID, fmt.Sprintf("%s, %s, %d invitations", w.Name, w.Status, len(issued)))
	})
	if err != nil {
		return store.Wave{}, fmt.Errorf("create wave: %w", err)
	}
	return w, nil
}

func ensureInstrument(tx *gorm.DB, districtID int64, in *survey.Instrument, now time.Time) error {
	row := store.Instrument{DistrictID: districtID, InstrumentID: in.ID, Version: in.Version, Audience: string(in.Audience), CreatedAt: now}
	return tx.Where(store.Instrument{DistrictID: districtID, InstrumentID: in.ID, Version: in.Version}).FirstOrCreate(&row).Error
}

// SetStatus opens or closes a wave through the lifecycle rule (Transition), audited as done by
// the system. Opening this way makes no invitations: callers that want them call Invite after
// (tests and tools that need the tokens); the web pages, CLI and scheduler use Apply, which
// invites and queues in the same transaction.
func (s *Service) SetStatus(ctx context.Context, districtID, waveID int64, status string) error {
	var a Action
	switch status {
	case store.StatusOpen:
		a = ActOpen
	case store.StatusClosed:
		a = ActClose
	case store.StatusScheduled:
		a = ActSchedule
	case store.StatusDraft:
		a = ActUnschedule
	default:
		return fmt.Errorf("set wave status: %q is not a status", status)
	}
	_, _, err := s.apply(ctx, districtID, waveID, Change{Action: a}, System, false)
	return err
}

// DraftGrace is how long after a wave closes its unfinished answers are kept: long enough for an
// admin to extend a wave closed by mistake without respondents losing their place.
const DraftGrace = 24 * time.Hour

// PurgeEnded deletes what unfinished answers leave behind once a wave has ended (closed, or past
// its closing time by DraftGrace): drafts still holding answers and SMS conversations. They link
// answers in progress to an invitation, so to a person, and no one can finish them any more.
// Submitted markers stay (they hold no answer and keep a late save from writing one).
// It works district by district, a transaction each.
func (s *Service) PurgeEnded(ctx context.Context) (int64, error) {
	var n int64
	err := s.Store.EachDistrict(ctx, 0, func(district int64) error {
		return s.Store.Tx(ctx, func(tx *gorm.DB) error {
			ended := tx.Model(&store.Wave{}).Select("id").
				Where("district_id = ? AND (status = ? OR closes_at < ?)", district, store.StatusClosed, s.Store.Now().Add(-DraftGrace))
			invs := tx.Model(&store.Invitation{}).Select("id").Where("district_id = ? AND wave_id IN (?)", district, ended)
			if err := tx.Where("district_id = ? AND invitation_id IN (?)", district, invs).Delete(&store.SMSConversation{}).Error; err != nil {
				return fmt.Errorf("purge sms conversations: %w", err)
			}
			res := tx.Where("district_id = ? AND NOT submitted AND wave_id IN (?)", district, ended).Delete(&store.Draft{})
			n += res.RowsAffected
			return res.Error
		})
	})
	if err != nil {
		return n, fmt.Errorf("purge ended waves' drafts: %w", err)
	}
	return n, nil
}

// Extend moves a wave's closing time through the lifecycle rule, audited as done by the system.
func (s *Service) Extend(ctx context.Context, districtID, waveID int64, closesAt time.Time) error {
	_, _, err := s.Apply(ctx, districtID, waveID, Change{Action: ActExtend, ClosesAt: closesAt}, System)
	return err
}

// Get loads one wave.
func (s *Service) Get(ctx context.Context, districtID, waveID int64) (store.Wave, error) {
	return getWave(s.Store.DB.WithContext(ctx), districtID, waveID)
}

func getWave(db *gorm.DB, districtID, waveID int64) (store.Wave, error) {
	var w store.Wave
	err := db.Where("district_id = ? AND id = ?", districtID, waveID).First(&w).Error
	return w, store.NotFound(err, fmt.Sprintf("wave %d", waveID))
}

// checkOpen applies the wave's window: status open and now within [opens, closes).
func checkOpen(w store.Wave, now time.Time) error {
	switch {
	case w.Status == store.StatusClosed || !now.Before(w.ClosesAt):
		return ErrClosed
	case w.Status != store.StatusOpen || now.Before(w.OpensAt):
		return ErrNotOpen
	}
	return nil
}
