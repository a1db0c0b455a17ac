package store

import "time"

// SMS message statuses. A status only moves forward (see SMSStatusRank); "unknown" marks a
// message a crashed worker may or may not have handed to Twilio: it is never resent automatically.
const (
	SMSQueued         = "queued"
	SMSSending        = "sending"
	SMSSent           = "sent"
	SMSDelivered      = "delivered"
	SMSUndelivered    = "undelivered"
	SMSFailed         = "failed"
	SMSUnknown        = "unknown"
	SMSCancelled      = "cancelled"
	SMSDeliveredLocal = "delivered-local"
)

// SMSMessage is one outbox row: one text to one guardian about one invitation.
type SMSMessage struct {
	DistrictID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID           int64 `gorm:"primaryKey;autoIncrement:false"`
	InvitationID int64
	Kind         string
	WaveID       int64
	SchoolID     int64
	PersonID     int64
	ToNumber     string
	Language     string
	TimeZone     string
	Body         string
	// SealedToken is the link token of Body, sealed (internal/seal) with a key the database
	// never holds; Body holds a placeholder where it goes. Nil once it is no longer needed.
	SealedToken []byte
	Status      string
	NotBefore   time.Time
	Attempts    int
	ProviderSid string
	ErrorCode   int
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SentAt      *time.Time
}

func (SMSMessage) TableName() string { return "sms_messages" }

// SMSOptOut is a number (E.164) that texted STOP in a district: never texted again.
type SMSOptOut struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	Phone      string `gorm:"primaryKey"`
	Keyword    string
	CreatedAt  time.Time
}

func (SMSOptOut) TableName() string { return "sms_opt_outs" }

// InvitationToken is an extra link token of an invitation (reminders carry a fresh link).
type InvitationToken struct {
	DistrictID   int64  `gorm:"primaryKey;autoIncrement:false"`
	TokenHash    []byte `gorm:"primaryKey"`
	InvitationID int64
	Kind         string // KindSlip for a printed slip's personal code; empty for an SMS reminder's link
	CreatedAt    time.Time
}

// SMSConversation is where a family answering a wave by text stands: the index of the item they
// were last asked. It holds no answers (those are the invitation's draft, as on the web) and is
// deleted when the response is submitted.
type SMSConversation struct {
	DistrictID   int64 `gorm:"primaryKey;autoIncrement:false"`
	InvitationID int64 `gorm:"primaryKey;autoIncrement:false"`
	Phone        string
	Item         int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (SMSConversation) TableName() string { return "sms_conversations" }

// SMSInbound is an inbound text (Twilio's MessageSid) already applied to a conversation: the
// same webhook delivered again, or replayed later, changes nothing. It names no number,
// invitation or answer, and CreatedAt is the day only, so it ties nothing to a person.
type SMSInbound struct {
	DistrictID int64  `gorm:"primaryKey;autoIncrement:false"`
	MessageSid string `gorm:"primaryKey"`
	CreatedAt  time.Time
}

func (SMSInbound) TableName() string { return "sms_inbound" }
