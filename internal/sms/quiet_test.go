package sms

import (
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
)

func TestNextSendTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := func(loc *time.Location, s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	def := DefaultWindow()
	tests := []struct {
		name string
		now  time.Time
		tz   *time.Location
		w    Window
		want time.Time
	}{
		{"inside window", at(ny, "2026-03-10 12:00"), ny, def, at(ny, "2026-03-10 12:00")},
		{"at opening", at(ny, "2026-03-10 08:00"), ny, def, at(ny, "2026-03-10 08:00")},
		{"before opening", at(ny, "2026-03-10 06:30"), ny, def, at(ny, "2026-03-10 08:00")},
		{"at closing waits for tomorrow", at(ny, "2026-03-10 20:00"), ny, def, at(ny, "2026-03-11 08:00")},
		{"late evening", at(ny, "2026-03-10 23:59"), ny, def, at(ny, "2026-03-11 08:00")},
		{"UTC instant in school zone", time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), ny, def, at(ny, "2026-03-10 08:00")},
		{"west coast is still evening", time.Date(2026, 3, 11, 2, 30, 0, 0, time.UTC), la, def, time.Date(2026, 3, 11, 2, 30, 0, 0, time.UTC)},
		{"west coast after 20:00", time.Date(2026, 3, 11, 3, 30, 0, 0, time.UTC), la, def, time.Date(2026, 3, 11, 15, 0, 0, 0, time.UTC)},
		// 2026-03-08: clocks jump 02:00 -> 03:00 in New York. 08:00 is EDT (UTC-4), not 07:00 EDT.
		{"spring forward night", at(ny, "2026-03-07 21:00"), ny, def, time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)},
		// 2026-11-01: clocks fall back 02:00 -> 01:00. 08:00 is EST (UTC-5).
		{"fall back night", at(ny, "2026-10-31 21:00"), ny, def, time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)},
		{"window opening inside the skipped hour", at(ny, "2026-03-08 01:00"), ny, Window{Start: 2*time.Hour + 30*time.Minute, End: 20 * time.Hour}, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		{"federal 8-21 window", at(ny, "2026-03-10 20:30"), ny, Window{Start: 8 * time.Hour, End: 21 * time.Hour}, at(ny, "2026-03-10 20:30")},
		{"Connecticut 9-20", at(ny, "2026-03-10 08:30"), ny, Window{Start: 9 * time.Hour, End: 20 * time.Hour}, at(ny, "2026-03-10 09:00")},
		{"nil zone is UTC", time.Date(2026, 3, 10, 21, 0, 0, 0, time.UTC), nil, def, time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextSendTime(tt.now, tt.tz, tt.w)
			if !got.Equal(tt.want) {
				t.Errorf("NextSendTime(%v) = %v, want %v", tt.now, got.UTC(), tt.want.UTC())
			}
			if got.Before(tt.now) {
				t.Errorf("NextSendTime went back in time")
			}
		})
	}
}

func TestWindowValidate(t *testing.T) {
	if DefaultWindow().Validate() != nil {
		t.Fatal("default window invalid")
	}
	if (Window{Start: 20 * time.Hour, End: 8 * time.Hour}).Validate() == nil {
		t.Fatal("inverted window accepted")
	}
}

// The sending window comes from TRUSTPULSE_SMS_QUIET_START / _END (config), default 08:00–20:00.
func TestWindowFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.BaseURL = "https://x.example"
	if w := New(cfg, nil, nil, quietLog()).Window; w != DefaultWindow() {
		t.Fatalf("default window %v", w)
	}
	cfg.SMSWindowStart, cfg.SMSWindowEnd = 9*time.Hour+30*time.Minute, 19*time.Hour
	w := New(cfg, nil, nil, quietLog()).Window
	if w.Start != 9*time.Hour+30*time.Minute || w.End != 19*time.Hour {
		t.Fatalf("window %v", w)
	}
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, ny)
	if got := NextSendTime(at, ny, w); !got.Equal(time.Date(2026, 3, 10, 9, 30, 0, 0, ny)) {
		t.Fatalf("09:00 with a 09:30 start sends at %v", got)
	}
}
