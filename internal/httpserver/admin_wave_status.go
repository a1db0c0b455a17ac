package httpserver

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// adminWaveOpen opens a wave now: its invitations are made and its texts queued with it.
func (s *Server) adminWaveOpen(c echo.Context) error {
	return s.changeWave(c, wave.Change{Action: wave.ActOpen}, "opened")
}

// closeConfirmPage is the step before closing: what closing does, and the one form that does it.
type closeConfirmPage struct {
	Wave   store.Wave
	Cancel bool // the wave never opened: closing it cancels it
}

// adminWaveCloseConfirm asks whether to close (or cancel) the wave, saying what that does. It is
// a page of its own rather than a script's dialog, so it works without JavaScript; a wave the
// lifecycle would not close is answered 422 with the reason, as the POST would be.
func (s *Server) adminWaveCloseConfirm(c echo.Context) error {
	w, _, err := s.scopedWave(c, true)
	if err != nil {
		return err
	}
	now := s.Store.Now()
	if _, err := wave.Transition(wave.LifecycleOf(w), wave.ActClose, now, now); err != nil {
		if r := waveRefused(err); r != nil {
			return &staffError{code: http.StatusUnprocessableEntity, r: r}
		}
		return err
	}
	page := closeConfirmPage{Wave: w, Cancel: w.Status != store.StatusOpen}
	title := "wave_close.title"
	if page.Cancel {
		title = "wave_close.cancel_title"
	}
	return s.adminRender(c, http.StatusOK, "wave_close", s.adminT(c, title, "Wave", w.Name), page)
}

// adminWaveClose closes a wave (or cancels one that never opened): links and codes stop at once.
// Only the confirmation page's form (confirm=yes) closes; any other post is sent to that page.
func (s *Server) adminWaveClose(c echo.Context) error {
	if c.FormValue("confirm") != "yes" {
		if _, _, err := s.scopedWave(c, true); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/waves/%s/close", c.Param("id")))
	}
	return s.changeWave(c, wave.Change{Action: wave.ActClose}, "closed")
}

// adminWaveSchedule schedules a draft to open by itself at its opening time.
func (s *Server) adminWaveSchedule(c echo.Context) error {
	return s.changeWave(c, wave.Change{Action: wave.ActSchedule}, "scheduled")
}

// adminWaveUnschedule takes a scheduled wave back to draft.
func (s *Server) adminWaveUnschedule(c echo.Context) error {
	return s.changeWave(c, wave.Change{Action: wave.ActUnschedule}, "unscheduled")
}

// adminWaveExtend moves the closing time, entered in the time zone of the wave's first school.
func (s *Server) adminWaveExtend(c echo.Context) error {
	_, schools, err := s.scopedWave(c, true)
	if err != nil {
		return err
	}
	zone := time.UTC
	if len(schools) > 0 {
		if loc, err := time.LoadLocation(schools[0].TimeZone); err == nil {
			zone = loc
		}
	}
	closes, err := time.ParseInLocation(localTimeLayout, c.FormValue("closes"), zone)
	if err != nil {
		return staffErr(http.StatusUnprocessableEntity, "http_error.closing_date", "Enter the new closing date and time.")
	}
	return s.changeWave(c, wave.Change{Action: wave.ActExtend, ClosesAt: closes}, "extended")
}

// changeWave applies one lifecycle change (one transaction with its invitations, texts and audit
// row); a change the lifecycle refuses is answered 422 with the reason.
func (s *Server) changeWave(c echo.Context, ch wave.Change, notice string) error {
	w, _, err := s.scopedWave(c, true)
	if err != nil {
		return err
	}
	if _, _, err := s.Waves.Apply(c.Request().Context(), w.DistrictID, w.ID, ch, actor(c, principal(c))); err != nil {
		if r := waveRefused(err); r != nil && (errors.Is(err, wave.ErrTransition) || errors.Is(err, wave.ErrConflict)) {
			return &staffError{code: http.StatusUnprocessableEntity, r: r}
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/waves/%d?notice=%s", w.ID, notice))
}

// actor is who a use case records in the audit log for this request.
func actor(c echo.Context, p *auth.Principal) auth.Actor { return auth.ActorOf(p, c.RealIP()) }

// waveRefused is the refusal a wave use case's error carries (the lifecycle's, a conflict, a
// refused spec), worded for the person who asked by adminRefusal or, as a staffError, by
// handleError; nil for an error that is no refusal.
func waveRefused(err error) *refusal.Error {
	var r *refusal.Error
	if errors.As(err, &r) {
		return r
	}
	return nil
}
