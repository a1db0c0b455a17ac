package wave

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Printed link slips. A slip is handed to one student (or staff member) in class: their name, a
// QR code of their personal link and a short personal code to type at /j. Tokens are stored only
// as hashes, so a slip can be printed only by issuing fresh ones: printing a group's slips gives
// every unanswered invitation of the group a new link and code, and the slips printed before for
// them stop working. Answered invitations get no slip.

// KindSlip marks an invitation token that is a printed slip's personal code.
const KindSlip = "slip"

// ErrNoSlips means the wave's audience is not handed slips: families are reached by text.
var ErrNoSlips = errors.New("slips are printed for student and staff waves only")

// NoGroup is the group key of the people who have no homeroom (students) or no department (staff).
const NoGroup = ""

// SlipPerson is one invitation of a school in a wave, as the slip pages list it.
type SlipPerson struct {
	InvitationID int64
	Name         string // "Given Family"
	SortName     string // "Family, Given": class lists are read by family name
	Grade        string
	Language     string
	Group        string // homeroom title (students) or department (staff); NoGroup when none
	Answered     bool
}

// SlipGroup is one homeroom or department with its counts, for choosing what to print.
type SlipGroup struct {
	Key      string
	Invited  int
	Answered int
}

// Slip is one printed slip: the only moment its token and code exist in clear.
type Slip struct {
	SlipPerson
	Token string // the personal link's token (in the QR code)
	Code  string // the short personal code, grouped for reading: ABCD-EFGH-JKMN
}

// SlipBatch is what one print produces: the slips and the facts for the teacher's cover sheet.
type SlipBatch struct {
	Wave        store.Wave
	SchoolName  string
	Group       string // the group printed; meaningful when Whole is false
	Whole       bool   // every group of the school
	Slips       []Slip
	NotAnswered []SlipPerson // everyone of the printed groups who has not answered yet, by name
	Invited     int
	Answered    int
}

// SlipRequest asks for one print: a school's group (or all its groups), or one person's reprint.
type SlipRequest struct {
	DistrictID, WaveID, SchoolID int64
	Group                        *string // nil: every group of the school
	InvitationID                 int64   // non-zero: reprint this one invitation only
	Format                       string  // "html" or "pdf", recorded in the audit row
	Audit                        auth.Entry
}

// SlipRoster lists a school's invitations in a wave with their groups, sorted by group and name.
func (s *Service) SlipRoster(ctx context.Context, districtID, waveID, schoolID int64) ([]SlipPerson, error) {
	w, err := s.Get(ctx, districtID, waveID)
	if err != nil {
		return nil, fmt.Errorf("slip roster: %w", err)
	}
	return slipRoster(s.Store.DB.WithContext(ctx), w, schoolID)
}

// SlipGroups counts a roster by group, in the roster's order.
func SlipGroups(people []SlipPerson) []SlipGroup {
	var out []SlipGroup
	for _, p := range people {
		if len(out) == 0 || out[len(out)-1].Key != p.Group {
			out = append(out, SlipGroup{Key: p.Group})
		}
		g := &out[len(out)-1]
		g.Invited++
		if p.Answered {
			g.Answered++
		}
	}
	return out
}

func slipRoster(db *gorm.DB, w store.Wave, schoolID int64) ([]SlipPerson, error) {
	if w.Audience != "student" && w.Audience != "staff" {
		return nil, ErrNoSlips
	}
	var rows []struct {
		InvitationID int64
		PersonID     int64
		GivenName    string
		FamilyName   string
		Grade        string
		Language     string
		Attributes   store.Attrs
		Answered     bool
	}
	err := db.Table("invitations i").Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("i.district_id = ? AND i.wave_id = ? AND i.school_id = ?", w.DistrictID, w.ID, schoolID).
		Select("i.id AS invitation_id, p.id AS person_id, p.given_name, p.family_name, p.grade, i.language, p.attributes, i.completed_at IS NOT NULL AS answered").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	groupOf := map[int64]string{}
	if w.Audience == "student" {
		// A student's homeroom at this school; the first by title if the roster names several.
		var hr []struct {
			PersonID int64
			Title    string
		}
		err := db.Table("enrollments e").Joins("JOIN classes c ON c.district_id = e.district_id AND c.id = e.class_id").
			Joins("JOIN invitations i ON i.district_id = e.district_id AND i.person_id = e.person_id").
			Where("e.district_id = ? AND i.wave_id = ? AND i.school_id = ? AND c.school_id = ? AND c.class_type = ? AND c.active = ? AND e.active = ?",
				w.DistrictID, w.ID, schoolID, schoolID, "homeroom", true, true).
			Select("e.person_id, c.title").Order("c.title").Scan(&hr).Error
		if err != nil {
			return nil, fmt.Errorf("list homerooms: %w", err)
		}
		for _, h := range hr {
			if _, ok := groupOf[h.PersonID]; !ok {
				groupOf[h.PersonID] = h.Title
			}
		}
	}
	out := make([]SlipPerson, 0, len(rows))
	for _, r := range rows {
		g := groupOf[r.PersonID]
		if w.Audience == "staff" {
			g = r.Attributes["department"]
		}
		given, family := strings.TrimSpace(r.GivenName), strings.TrimSpace(r.FamilyName)
		out = append(out, SlipPerson{
			InvitationID: r.InvitationID, Name: strings.TrimSpace(given + " " + family),
			SortName: strings.Trim(family+", "+given, ", "), Grade: r.Grade, Language: r.Language, Group: g, Answered: r.Answered,
		})
	}
	slices.SortFunc(out, func(a, b SlipPerson) int {
		// Named groups first in title order, the people with no group last.
		if (a.Group == NoGroup) != (b.Group == NoGroup) {
			if a.Group == NoGroup {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(strings.ToLower(a.SortName), strings.ToLower(b.SortName)), cmp.Compare(a.InvitationID, b.InvitationID))
	})
	return out, nil
}

// IssueSlips prints slips: in one transaction it gives every chosen unanswered invitation a fresh
// link token and personal code (the old link and slip code stop working), and writes the audit
// row. A reprint of one person works the same way for that one invitation.
func (s *Service) IssueSlips(ctx context.Context, req SlipRequest) (SlipBatch, error) {
	w, err := s.Get(ctx, req.DistrictID, req.WaveID)
	if err != nil {
		return SlipBatch{}, fmt.Errorf("issue slips: %w", err)
	}
	if w.Status == store.StatusClosed {
		return SlipBatch{}, fmt.Errorf("issue slips: %w", ErrClosed)
	}
	batch := SlipBatch{Wave: w, Whole: req.Group == nil && req.InvitationID == 0}
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var school store.School
		if err := tx.Where("district_id = ? AND id = ?", w.DistrictID, req.SchoolID).First(&school).Error; err != nil {
			return fmt.Errorf("school %d: %w", req.SchoolID, err)
		}
		batch.SchoolName = school.Name
		people, err := slipRoster(tx, w, req.SchoolID)
		if err != nil {
			return err
		}
		targets, err := chooseSlips(people, req, &batch)
		if err != nil {
			return err
		}
		if batch.Slips, err = s.freshSlips(tx, w.DistrictID, targets); err != nil {
			return err
		}
		e := req.Audit
		e.DistrictID, e.Action = w.DistrictID, auth.ActionSlipsPrint
		e.Target = fmt.Sprintf("wave:%d school:%d", w.ID, req.SchoolID)
		switch {
		case req.InvitationID != 0:
			e.Target += fmt.Sprintf(" invitation:%d", req.InvitationID)
		case req.Group != nil:
			e.Target += " group:" + *req.Group
		}
		e.Detail = fmt.Sprintf("%d slips, %s", len(batch.Slips), cmp.Or(req.Format, "html"))
		return auth.AuditTx(tx, s.Store.Now(), e)
	})
	if err != nil {
		return SlipBatch{}, fmt.Errorf("issue slips: %w", err)
	}
	return batch, nil
}

// chooseSlips picks the invitations a request prints and fills the batch's cover-sheet facts.
func chooseSlips(people []SlipPerson, req SlipRequest, batch *SlipBatch) ([]SlipPerson, error) {
	var targets []SlipPerson
	for _, p := range people {
		switch {
		case req.InvitationID != 0:
			if p.InvitationID != req.InvitationID {
				continue
			}
			if p.Answered {
				return nil, fmt.Errorf("invitation %d: %w", p.InvitationID, ErrUsed)
			}
			batch.Group = p.Group
		case req.Group != nil && p.Group != *req.Group:
			continue
		}
		batch.Invited++
		if p.Answered {
			batch.Answered++
			continue
		}
		batch.NotAnswered = append(batch.NotAnswered, p)
		targets = append(targets, p)
	}
	if req.Group != nil {
		batch.Group = *req.Group
	}
	if batch.Invited == 0 {
		return nil, fmt.Errorf("no invitation to print: %w", store.ErrNotFound)
	}
	return targets, nil
}

// freshSlips gives each person a new link token and slip code in tx.
func (s *Service) freshSlips(tx *gorm.DB, districtID int64, people []SlipPerson) ([]Slip, error) {
	if len(people) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(people))
	for i, p := range people {
		ids[i] = p.InvitationID
	}
	if err := dropSlipCodes(tx, districtID, ids); err != nil {
		return nil, err
	}
	codes, err := s.freeCodes(tx, len(people))
	if err != nil {
		return nil, err
	}
	route, err := s.Store.RouteOf(tx, districtID)
	if err != nil {
		return nil, err
	}
	now := s.Store.Now()
	out := make([]Slip, len(people))
	rows := make([]store.InvitationToken, len(people))
	for i, p := range people {
		token, hash := NewToken(route)
		res := tx.Model(&store.Invitation{}).Where("district_id = ? AND id = ? AND completed_at IS NULL", districtID, p.InvitationID).Update("token_hash", hash)
		if res.Error != nil {
			return nil, fmt.Errorf("new link for invitation %d: %w", p.InvitationID, res.Error)
		}
		if res.RowsAffected != 1 {
			return nil, fmt.Errorf("invitation %d: %w", p.InvitationID, ErrUsed)
		}
		out[i] = Slip{SlipPerson: p, Token: token, Code: FormatPersonalCode(codes[i])}
		rows[i] = store.InvitationToken{DistrictID: districtID, TokenHash: HashToken(codes[i]), InvitationID: p.InvitationID, Kind: KindSlip, CreatedAt: now}
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return nil, fmt.Errorf("store slip codes: %w", err)
	}
	homes := make([]store.SlipCodeDistrict, len(rows))
	for i, r := range rows {
		homes[i] = store.SlipCodeDistrict{TokenHash: r.TokenHash, DistrictID: districtID}
	}
	if err := tx.CreateInBatches(homes, 500).Error; err != nil {
		return nil, fmt.Errorf("store slip codes' district: %w", err)
	}
	return out, nil
}

// dropSlipCodes deletes the slip codes of invitations ids and their rows in slip_code_districts:
// a reprinted slip's old code stops working, and the reference table keeps no code that opens
// nothing.
func dropSlipCodes(tx *gorm.DB, districtID int64, ids []int64) error {
	var old [][]byte
	if err := tx.Model(&store.InvitationToken{}).Where("district_id = ? AND invitation_id IN ? AND kind = ?", districtID, ids, KindSlip).
		Pluck("token_hash", &old).Error; err != nil {
		return fmt.Errorf("old slip codes: %w", err)
	}
	if len(old) == 0 {
		return nil
	}
	for chunk := range slices.Chunk(old, 500) {
		if err := tx.Where("district_id = ? AND token_hash IN ?", districtID, chunk).Delete(&store.SlipCodeDistrict{}).Error; err != nil {
			return fmt.Errorf("drop old slip codes' district: %w", err)
		}
	}
	if err := tx.Where("district_id = ? AND invitation_id IN ? AND kind = ?", districtID, ids, KindSlip).Delete(&store.InvitationToken{}).Error; err != nil {
		return fmt.Errorf("drop old slip codes: %w", err)
	}
	return nil
}

// freeCodes draws n personal codes that no district uses yet: codes arrive without a district.
// It asks slip_code_districts, a reference table on Citus (one node, not every shard); its
// primary key refuses a code another transaction took meanwhile.
func (s *Service) freeCodes(tx *gorm.DB, n int) ([]string, error) {
	out := make([]string, 0, n)
	for attempt := 0; len(out) < n; attempt++ {
		if attempt == 5 {
			return nil, errors.New("no free personal codes after 5 draws")
		}
		draw := make([]string, 0, n-len(out))
		hashes := make([][]byte, 0, n-len(out))
		seen := map[string]bool{}
		for len(draw) < n-len(out) {
			c := NewPersonalCode()
			if seen[c] {
				continue
			}
			seen[c] = true
			draw = append(draw, c)
			hashes = append(hashes, HashToken(c))
		}
		var taken [][]byte
		for chunk := range slices.Chunk(hashes, 500) {
			var got [][]byte
			if err := tx.Model(&store.SlipCodeDistrict{}).Where("token_hash IN ?", chunk).Pluck("token_hash", &got).Error; err != nil {
				return nil, fmt.Errorf("check personal codes: %w", err)
			}
			taken = append(taken, got...)
		}
		for _, c := range draw {
			if !slices.ContainsFunc(taken, func(h []byte) bool { return string(h) == string(HashToken(c)) }) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// PersonalCodeLength is the length of a personal code without its dashes. Twelve characters of
// the 31-letter code alphabet carry about 59 bits: short enough for an 8-year-old to type, and,
// with the lookup limits on /j and /s, far beyond guessing within a wave's window. The printed
// link itself carries the full 160-bit token.
const PersonalCodeLength = 12

// NewPersonalCode draws a personal code uniformly from the code alphabet.
func NewPersonalCode() string { return randomCode(PersonalCodeLength) }

// randomCode draws n characters of codeAlphabet uniformly: bytes at or above the largest multiple
// of the alphabet's size are drawn again, so no character is likelier than another.
func randomCode(n int) string {
	const limit = 256 - 256%len(codeAlphabet)
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(fmt.Errorf("crypto/rand: %w", err))
		}
		for _, v := range buf {
			if int(v) < limit && len(out) < n {
				out = append(out, codeAlphabet[int(v)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}

// FormatPersonalCode groups a code in fours for reading aloud and typing: ABCD-EFGH-JKMN.
func FormatPersonalCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IsPersonalCode reports whether what someone typed (already normalized) has a personal code's shape.
func IsPersonalCode(code string) bool {
	return len(code) == PersonalCodeLength && strings.Trim(code, codeAlphabet) == ""
}

// IsClassCode reports whether what someone typed (already normalized) has a class code's shape.
func IsClassCode(code string) bool {
	return len(code) == classCodeLength && strings.Trim(code, codeAlphabet) == ""
}

// classCodeLength is the length of a class code (NewCode) without spaces or dashes.
const classCodeLength = 10

// SchoolName is the name of a school, for pages that must say which school a survey is about.
func (s *Service) SchoolName(ctx context.Context, districtID, schoolID int64) (string, error) {
	var names []string
	err := s.Store.DB.WithContext(ctx).Model(&store.School{}).Where("district_id = ? AND id = ?", districtID, schoolID).Limit(1).Pluck("name", &names).Error
	if err != nil {
		return "", fmt.Errorf("school name: %w", err)
	}
	if len(names) == 0 {
		return "", nil
	}
	return names[0], nil
}
