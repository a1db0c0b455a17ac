package httpserver

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// homePage is the landing page's data: for a staff member on the roster, the class codes of
// open waves for the classes they teach.
type homePage struct {
	Rostered bool // the account is linked to a roster person (only they have classes)
	Codes    []homeCode
	// Open mapping rounds of the user's schools (their task: mark the students they know) and
	// the students the team assigned to them.
	Rounds   []success.Round
	Assigned []success.Mine
}

type homeCode struct {
	wave.ClassCode
	Link string
}

// adminHome is the landing page after sign-in: the menu for the user's role, and a teacher's
// class codes with how many answers each has taken.
func (s *Server) adminHome(c echo.Context) error {
	p := principal(c)
	var page homePage
	if p.User.PersonID != nil {
		page.Rostered = true
		codes, err := s.Waves.TeacherCodes(c.Request().Context(), p.User.DistrictID, *p.User.PersonID)
		if err != nil {
			return err
		}
		for _, cc := range codes {
			page.Codes = append(page.Codes, homeCode{ClassCode: cc, Link: s.Config.BaseURL + "/j/" + cc.Code})
		}
	}
	v := success.ViewerOf(p, c.RealIP())
	rounds, err := s.Success.Rounds(c.Request().Context(), v)
	if err != nil {
		return err
	}
	for _, r := range rounds {
		if r.Open {
			page.Rounds = append(page.Rounds, r)
		}
	}
	if page.Assigned, err = s.Success.MyAssignments(c.Request().Context(), v); err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "home", s.adminT(c, "admin.title.home"), page)
}
