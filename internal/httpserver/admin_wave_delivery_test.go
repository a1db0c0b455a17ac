package httpserver_test

import (
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
)

// TestAdminWaveDeliveryReport: the wave page counts its texts and emails by state (sent,
// delivered, failed with Twilio's reason, opted out) for district admins and the wave's leaders;
// counselors do not see it, and it names nobody.
func TestAdminWaveDeliveryReport(t *testing.T) {
	f := newAdminFixture(t)
	w := f.waveA
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, w.ID).Update("channels", "link,sms,email").Error)
	var invs []store.Invitation
	must(t, f.st.DB.Where("district_id = ? AND wave_id = ?", f.district, w.ID).Order("id").Find(&invs).Error)
	if len(invs) != 2 {
		t.Fatalf("%d invitations", len(invs))
	}
	now := f.st.Now()
	kind := 0
	for _, m := range []struct {
		status string
		code   int
	}{{store.SMSDelivered, 0}, {store.SMSDelivered, 0}, {store.SMSFailed, 30003}, {store.SMSUndelivered, 30003}, {store.SMSCancelled, 0}, {store.SMSQueued, 0}} {
		inv := invs[kind%2]
		kind++
		must(t, f.st.DB.Create(&store.SMSMessage{DistrictID: f.district, ID: store.NewID(), InvitationID: inv.ID, Kind: []string{"invite", "invite", "reminder1", "reminder1", "reminder2", "reminder2"}[kind-1], WaveID: w.ID,
			SchoolID: f.school, PersonID: inv.PersonID, ToNumber: "+16175550111", Language: "en", TimeZone: "America/Chicago", Body: "x",
			Status: m.status, ErrorCode: m.code, NotBefore: now, CreatedAt: now, UpdatedAt: now}).Error)
	}
	kind = 0
	for _, st := range []string{store.EmailSent, store.EmailSent, store.EmailSent, store.EmailFailed} {
		inv := invs[kind%2]
		kind++
		must(t, f.st.DB.Create(&store.EmailMessage{DistrictID: f.district, ID: store.NewID(), InvitationID: inv.ID, Kind: []string{"invite", "invite", "reminder", "reminder"}[kind-1], WaveID: w.ID,
			PersonID: inv.PersonID, ToAddress: "kid@adams.example.org", Language: "en", Subject: "s", Body: "b", Status: st,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}).Error)
	}
	row := func(page, label string) string {
		i := strings.Index(page, `<th scope="row">`+label)
		if i < 0 {
			t.Fatalf("no row %q:\n%s", label, page)
		}
		return page[i : i+strings.Index(page[i:], "</tr>")]
	}
	for _, who := range []string{"admin", "leaderA"} {
		_, page, _ := f.signIn(who).do("GET", "/admin/waves/"+itoa64(w.ID), nil)
		if !strings.Contains(page, "Texts and emails") {
			t.Fatalf("%s sees no delivery report:\n%s", who, page)
		}
		for label, want := range map[string]string{
			"Waiting to be sent":        "<td>1</td><td>0</td>",
			"Sent</th>":                 "<td>4</td><td>4</td>",
			"Delivered (of those sent)": "<td>2</td><td>3</td>",
			"Failed (of those sent)":    "<td>2<br>error 30003: 2</td><td>1</td>",
			"Not sent: opted out":       "<td>1</td><td>0</td>",
		} {
			if r := row(page, strings.TrimSuffix(label, "</th>")); !strings.Contains(r, want) {
				t.Errorf("%s: row %q is %q, want %q", who, label, r, want)
			}
		}
		if strings.Contains(page, "+16175550111") || strings.Contains(page, "kid@adams") {
			t.Errorf("%s: the report names a recipient", who)
		}
	}
	if _, page, _ := f.signIn("counselorA").do("GET", "/admin/waves/"+itoa64(w.ID), nil); strings.Contains(page, "Texts and emails") {
		t.Error("a counselor sees the delivery report")
	}
}
