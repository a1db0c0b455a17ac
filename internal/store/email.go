package store

import "time"

// Email outbox statuses (email_messages.status).
const (
	EmailQueued    = "queued"
	EmailSending   = "sending"
	EmailSent      = "sent"
	EmailFailed    = "failed"
	EmailUnknown   = "unknown"
	EmailCancelled = "cancelled"
)

// EmailMessage is one queued invitation or reminder mail (internal/email). Body and Subject hold
// a placeholder where the link's token goes; SealedToken holds the token sealed with a key the
// database never holds, nil once the mail has left.
type EmailMessage struct {
	DistrictID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ID            int64 `gorm:"primaryKey;autoIncrement:false"`
	InvitationID  int64
	Kind          string
	WaveID        int64
	PersonID      int64
	ToAddress     string
	Language      string
	Subject       string
	Body          string
	SealedToken   []byte
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	MessageID     string
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        *time.Time
}

func (EmailMessage) TableName() string { return "email_messages" }
