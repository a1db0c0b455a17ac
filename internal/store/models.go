package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Attrs is a small string map stored as JSON text (subgroup attributes, filters, settings).
type Attrs map[string]string

// Value stores Attrs as JSON text.
func (a Attrs) Value() (driver.Value, error) {
	if len(a) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(a))
	return string(b), err
}

// Scan reads Attrs from JSON text.
func (a *Attrs) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("attrs: cannot scan %T", src)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("attrs: %w", err)
	}
	*a = m
	return nil
}

// Person kinds.
const (
	KindStudent  = "student"
	KindStaff    = "staff"
	KindGuardian = "guardian"
)

// Wave modes and statuses.
const (
	ModeAnonymous    = "anonymous"
	ModeConfidential = "confidential"
	StatusDraft      = "draft"
	StatusScheduled  = "scheduled" // opens by itself at opens_at (wave.Service.OpenDue)
	StatusOpen       = "open"
	StatusClosed     = "closed"
)

type District struct {
	DistrictID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Slug         string
	Name         string
	MinGroupSize int
	Settings     Attrs
	// Route is the district's small number that its credentials start with (internal/credential,
	// #19 line 3): unique, never changed, the next free one when the district is made.
	Route     int
	CreatedAt time.Time
	UpdatedAt time.Time
}

type School struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	SourcedID  string
	Name       string
	TimeZone   string
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

type Person struct {
	DistrictID        int64 `gorm:"primaryKey;autoIncrement:false"`
	ID                int64 `gorm:"primaryKey;autoIncrement:false"`
	SourcedID         string
	Kind              string
	Role              string
	GivenName         string
	FamilyName        string
	Email             string
	SchoolID          *int64
	Grade             string
	Attributes        Attrs
	PreferredLanguage string
	Phone             string
	SurveyOptOut      bool
	DoNotText         bool
	Active            bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (Person) TableName() string { return "people" }

type PersonSchool struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonID   int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64 `gorm:"primaryKey;autoIncrement:false"`
}

type GuardianLink struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	GuardianID int64 `gorm:"primaryKey;autoIncrement:false"`
	StudentID  int64 `gorm:"primaryKey;autoIncrement:false"`
}

type Class struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	SourcedID  string
	SchoolID   int64
	Title      string
	ClassType  string
	Active     bool
}

type Enrollment struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ClassID    int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Role       string
	Active     bool
}

type Instrument struct {
	DistrictID   int64  `gorm:"primaryKey;autoIncrement:false"`
	InstrumentID string `gorm:"primaryKey"`
	Version      int    `gorm:"primaryKey;autoIncrement:false"`
	Audience     string
	CreatedAt    time.Time
}

type Wave struct {
	DistrictID         int64 `gorm:"primaryKey;autoIncrement:false"`
	ID                 int64 `gorm:"primaryKey;autoIncrement:false"`
	Name               string
	InstrumentID       string
	InstrumentVersion  int
	Audience           string
	AudienceFilter     Attrs
	Mode               string
	Channels           string
	Status             string
	OpensAt            time.Time
	ClosesAt           time.Time
	SMSAnswering       bool `gorm:"column:sms_answering"`
	ReminderDelayHours int
	MaxReminders       int
	// When the wave's results open to district admins, school leaders and everyone else
	// (report.ResultsVisible); nil = at once.
	ResultsAdminsAt  *time.Time
	ResultsLeadersAt *time.Time
	ResultsStaffAt   *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

type WaveSchool struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64 `gorm:"primaryKey;autoIncrement:false"`
}

type WaveCode struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	Code       string `gorm:"primaryKey"`
	WaveID     int64
	SchoolID   int64
	ClassID    *int64
	Used       int // responses taken so far; see wave.Service.CodeMargin
}

// CodeDistrict is the district of a class code (#19 line 3): a typed code names no district, so
// its lookup reads this first. On Citus a reference table (store.citusReferenceTables), so the
// read is answered on the node it arrives at; the primary key keeps codes unique across districts.
type CodeDistrict struct {
	Code       string `gorm:"primaryKey"`
	DistrictID int64
}

// SlipCodeDistrict is the district of a printed slip's personal code, by the code's hash (#19
// line 3): like a class code, a typed personal code names no district. A reference table on Citus
// too; the key keeps personal codes unique across districts, and only the hash is kept, as in
// invitation_tokens.
type SlipCodeDistrict struct {
	TokenHash  []byte `gorm:"primaryKey"`
	DistrictID int64
}

// SnapshotScheme is how anonymous responses of one wave × school are coarsened (wave.Scheme, JSON).
type SnapshotScheme struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64 `gorm:"primaryKey;autoIncrement:false"`
	SchoolID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Scheme     string
	CreatedAt  time.Time
}

type Invitation struct {
	DistrictID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ID            int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID        int64
	PersonID      int64
	SchoolID      int64
	TokenHash     []byte
	Channel       string
	Language      string
	CreatedAt     time.Time
	SentAt        *time.Time
	OpenedAt      *time.Time
	CompletedAt   *time.Time
	RemindersSent int
}

type Draft struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	Owner      string `gorm:"primaryKey"`
	WaveID     int64
	SchoolID   int64
	Answers    string
	Comment    string
	Page       int
	Language   string
	Submitted  bool
	UpdatedAt  time.Time
}

type Response struct {
	DistrictID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID           int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID       int64
	SchoolID     int64
	Language     string
	Answers      string
	Comment      string
	Subgroups    Attrs
	InvitationID *int64
	PersonID     *int64
	SubmittedAt  *time.Time
}

// Ballot is a sealed anonymous answer waiting in the ballot box for the mixer (see wave.Mix): a
// response without id, person, invitation or time, written with the claim of its invitation.
type Ballot struct {
	DistrictID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	WaveID     int64
	SchoolID   int64
	Language   string
	Answers    string
	Comment    string
	Subgroups  Attrs
	SealedAt   time.Time
}

type Score struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	ResponseID int64  `gorm:"primaryKey;autoIncrement:false"`
	MeasureID  string `gorm:"primaryKey"`
	WaveID     int64
	SchoolID   int64
	NAnswered  int
	Raw        int
	Favorable  int
	Logit      float64
	SE         float64 `gorm:"column:se"`
	Score      float64
	Category   int
}

type Calibration struct {
	DistrictID   int64  `gorm:"primaryKey;autoIncrement:false"`
	InstrumentID string `gorm:"primaryKey"`
	Version      int    `gorm:"primaryKey;autoIncrement:false"`
	MeasureID    string `gorm:"primaryKey"`
	Params       string
	NPersons     int
	Source       string
	CreatedAt    time.Time
}

// Models lists every model with its table; the schema test checks each against both dialects.
func Models() []any {
	return []any{
		&District{}, &School{}, &Person{}, &PersonSchool{}, &GuardianLink{}, &Class{}, &Enrollment{},
		&Instrument{}, &Wave{}, &WaveSchool{}, &WaveCode{}, &CodeDistrict{}, &SlipCodeDistrict{}, &Invitation{}, &Draft{}, &Response{},
		&Score{}, &Calibration{},
		&RosterImport{}, &RosterRecord{},
		&User{}, &UserSchool{}, &Session{}, &AuditEntry{},
		&SMSMessage{}, &SMSOptOut{}, &InvitationToken{}, &SMSConversation{}, &SMSInbound{},
		&RollupCell{}, &RollupPending{}, &RollupWave{}, &APIToken{},
		&ResponseRelease{},
		&Ballot{},
		&SnapshotScheme{},
		&KnownDevice{},
		&JobLease{}, &SendBucket{},
		&EmailMessage{},
		&RosterJob{}, &RosterJobChunk{},
		&RespondentSession{},
		&HelpText{},
		&MappingRound{}, &MappingClaim{}, &StudentAssignment{}, &Followup{},
		&MeasureReference{},
		&GradingPeriod{}, &StudentIndicator{},
		&Goal{}, &GoalAction{},
	}
}
