package roster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// A roster import that marks a guardian do-not-text, or leaves them out of a bulk file (so
// deactivates them), cancels the texts still queued for them, in the import's transaction.
func TestImportOptOutCancelsQueuedTexts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		d := mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)}).DistrictID
		g2 := person(t, s, d, "g2")
		now := s.Now()
		waveID, invID, msgID := store.NewID(), store.NewID(), store.NewID()
		var schoolID int64
		if err := s.DB.Model(&store.School{}).Where("district_id = ?", d).Limit(1).Pluck("id", &schoolID).Error; err != nil {
			t.Fatal(err)
		}
		for _, row := range []any{
			&store.Instrument{DistrictID: d, InstrumentID: "family-pulse", Version: 1, Audience: "family", CreatedAt: now},
			&store.Wave{DistrictID: d, ID: waveID, Name: "Spring", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family",
				AudienceFilter: store.Attrs{}, Mode: store.ModeConfidential, Channels: "link,sms", Status: store.StatusOpen,
				OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), CreatedAt: now, UpdatedAt: now},
			&store.Invitation{DistrictID: d, ID: invID, WaveID: waveID, PersonID: g2.ID, SchoolID: schoolID, TokenHash: []byte("h"), Channel: "sms", CreatedAt: now},
			&store.SMSMessage{DistrictID: d, ID: msgID, InvitationID: invID, Kind: "invite", WaveID: waveID, SchoolID: schoolID, PersonID: g2.ID,
				ToNumber: "+12015550100", Body: "x", Status: store.SMSQueued, NotBefore: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now},
		} {
			if err := s.DB.Create(row).Error; err != nil {
				t.Fatal(err)
			}
		}
		status := func() string {
			var m store.SMSMessage
			if err := s.DB.Where("district_id = ? AND id = ?", d, msgID).Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m.Status
		}
		mustImport(t, s, base(), roster.Options{DistrictSlug: slug(t)})
		if got := status(); got != store.SMSQueued {
			t.Fatalf("after a re-import that changes nothing: %s, want queued", got)
		}
		users := strings.Split(strings.TrimSuffix(base()["users.csv"], "\n"), "\n")
		users[5] = strings.Replace(users[5], ",,,,,,,,,,,", ",,,,,,,,,true,,", 1) // g2: doNotText true
		mustImport(t, s, base().with(files{"users.csv": lines(users...)}), roster.Options{DistrictSlug: slug(t)})
		if got := status(); got != store.SMSCancelled {
			t.Fatalf("after the import marked g2 do-not-text: %s, want cancelled", got)
		}
	})
}
