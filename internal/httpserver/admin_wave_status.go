package httpserver

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// adminWaveOpen opens a wave (and invites anyone rostered since it was created).
func (s *Server) adminWaveOpen(c echo.Context) error {
	return s.setWaveStatus(c, store.StatusOpen, "opened")
}

// adminWaveClose closes a wave: links and codes stop working at once.
func (s *Server) adminWaveClose(c echo.Context) error {
	return s.setWaveStatus(c, store.StatusClosed, "closed")
}

func (s *Server) setWaveStatus(c echo.Context, status, notice string) error {
	p := principal(c)
	ctx := c.Request().Context()
	w, _, err := s.scopedWave(c, true)
	if err != nil {
		return err
	}
	if err := s.Waves.SetStatus(ctx, w.DistrictID, w.ID, status); err != nil {
		return err
	}
	if status == store.StatusOpen {
		if _, err := s.Waves.Invite(ctx, w.DistrictID, w.ID); err != nil {
			return err
		}
	}
	if err := s.Auth.AuditBy(ctx, p, auth.ActionWaveStatus, fmt.Sprintf("wave %d", w.ID), status, c.RealIP()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/waves/%d?notice=%s", w.ID, notice))
}

// adminWaveExtend moves the closing time, entered in the time zone of the wave's first school.
func (s *Server) adminWaveExtend(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	w, schools, err := s.scopedWave(c, true)
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
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Enter the new closing date and time.")
	}
	if err := s.Waves.Extend(ctx, w.DistrictID, w.ID, closes); err != nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The new closing time must be after the wave opens.")
	}
	if err := s.Auth.AuditBy(ctx, p, auth.ActionWaveStatus, fmt.Sprintf("wave %d", w.ID), "closes "+closes.UTC().Format(time.RFC3339), c.RealIP()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/waves/%d?notice=extended", w.ID))
}
