package sms

import (
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// The one contact rule, case by case, for each purpose.
func TestRefusal(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ok := Contact{Active: true, WaveStatus: store.StatusOpen, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour)}
	with := func(f func(*Contact)) Contact { c := ok; f(&c); return c }
	cases := []struct {
		name     string
		c        Contact
		p        Purpose
		queueing bool
		want     string // "" allowed
	}{
		{"open wave, active person", ok, ForInvite, false, ""},
		{"reminder", ok, ForReminder, false, ""},
		{"answering", ok, ForAnswer, false, ""},
		{"inactive", with(func(c *Contact) { c.Active = false }), ForInvite, false, "person no longer in the roster"},
		{"survey opt-out", with(func(c *Contact) { c.SurveyOptOut = true }), ForInvite, false, "family opted out of surveys"},
		{"survey opt-out, answering", with(func(c *Contact) { c.SurveyOptOut = true }), ForAnswer, false, "family opted out of surveys"},
		{"do not text", with(func(c *Contact) { c.DoNotText = true }), ForReminder, false, "person marked do not text"},
		{"STOP", with(func(c *Contact) { c.Stopped = true }), ForAnswer, false, "number opted out"},
		{"draft wave", with(func(c *Contact) { c.WaveStatus = store.StatusDraft }), ForInvite, true, "wave not open (draft)"},
		{"scheduled wave", with(func(c *Contact) { c.WaveStatus = store.StatusScheduled }), ForInvite, true, "wave not open (scheduled)"},
		{"closed wave", with(func(c *Contact) { c.WaveStatus = store.StatusClosed }), ForInvite, false, "wave not open (closed)"},
		{"past its closing time", with(func(c *Contact) { c.ClosesAt = now }), ForReminder, false, "wave closed"},
		{"before its opening time, sending", with(func(c *Contact) { c.OpensAt = now.Add(time.Hour); c.ClosesAt = now.Add(2 * time.Hour) }), ForInvite, false, reasonNotYet},
		{"before its opening time, queueing", with(func(c *Contact) { c.OpensAt = now.Add(time.Hour); c.ClosesAt = now.Add(2 * time.Hour) }), ForInvite, true, ""},
		{"answered, invite", with(func(c *Contact) { c.Answered = true }), ForInvite, false, "already answered"},
		{"answered, reminder", with(func(c *Contact) { c.Answered = true }), ForReminder, false, "already answered"},
		{"answered, answering gets its thank-you", with(func(c *Contact) { c.Answered = true }), ForAnswer, false, ""},
	}
	for _, c := range cases {
		if got := Refusal(c.c, now, c.p, c.queueing); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
