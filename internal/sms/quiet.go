package sms

import (
	"fmt"
	"time"
)

// Window is the part of the recipient's day when texts may go out, as offsets from local
// midnight: [Start, End). Federal rules allow 8:00–21:00; several states (Florida, New Jersey,
// Oklahoma) stop at 20:00, so the default is 8:00–20:00 school-local time.
type Window struct {
	Start, End time.Duration
}

// DefaultWindow is 08:00–20:00 local time.
func DefaultWindow() Window { return Window{Start: 8 * time.Hour, End: 20 * time.Hour} }

// Validate checks the window is a non-empty part of one day.
func (w Window) Validate() error {
	if w.Start < 0 || w.End > 24*time.Hour || w.Start >= w.End {
		return fmt.Errorf("quiet hours: sending window %v–%v is not a part of one day", w.Start, w.End)
	}
	return nil
}

// NextSendTime is the earliest moment at or after now when a text may go out in time zone tz:
// now itself inside the window, else the window's next opening. Wall-clock times are resolved
// in tz, so a window opening at 08:00 opens at 08:00 local on both sides of a DST change (and a
// start inside a skipped hour opens at the first instant after the gap). A nil tz means UTC.
func NextSendTime(now time.Time, tz *time.Location, w Window) time.Time {
	if tz == nil {
		tz = time.UTC
	}
	local := now.In(tz)
	for day := 0; day < 3; day++ {
		y, m, d := local.Date()
		start := wallClock(y, m, d+day, w.Start, tz)
		end := wallClock(y, m, d+day, w.End, tz)
		if now.Before(end) {
			if now.Before(start) {
				return start
			}
			return now
		}
	}
	return now // unreachable for a valid window
}

// wallClock is local time off after midnight of the given day, read as a wall clock (not as
// elapsed time, which would drift by an hour on DST days).
func wallClock(y int, m time.Month, d int, off time.Duration, tz *time.Location) time.Time {
	h := int(off / time.Hour)
	min := int((off % time.Hour) / time.Minute)
	t := time.Date(y, m, d, h, min, 0, 0, tz)
	if t.Hour() == h%24 && t.Minute() == min {
		return t
	}
	// The wall time falls in a DST gap, and Go resolved it with the offset from before the gap:
	// move to the first instant whose wall clock has reached the wanted time (the gap's end).
	want := time.Date(y, m, d, h, min, 0, 0, time.UTC)
	for i := 0; i < 180; i++ {
		t = t.Add(time.Minute)
		lt := t
		if !time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), 0, 0, time.UTC).Before(want) {
			return t
		}
	}
	return t
}

// InWindow reports whether now is inside the window in tz.
func InWindow(now time.Time, tz *time.Location, w Window) bool {
	return NextSendTime(now, tz, w).Equal(now)
}

// loadZone resolves a school's time zone, falling back to UTC for an empty or unknown name.
func loadZone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
