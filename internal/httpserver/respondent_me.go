package httpserver

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Sign in to answer (/me). The respondent session cookie is scoped to /me: it never reaches the
// survey pages, the staff pages or the API, and it holds only a random token.
const (
	meCookie     = "tp_me"
	meFlowCookie = "tp_me_oidc"
)

// meView is /me: signed out (the sign-in button, perhaps why the last try was refused) or
// signed in (the person's surveys).
type meView struct {
	view
	SignedIn bool
	Refusal  string // why the last sign-in was refused: not_allowed, no_person, ambiguous or failed
	Me       wave.Me
}

// meEnabled is false unless respondent domains are configured: then /me does not exist.
func (s *Server) meEnabled() bool { return s.OIDC.RespondentEnabled() }

func (s *Server) meNotFound(c echo.Context) error {
	return s.respondentNotice(c, http.StatusNotFound, "error.not_found.title", "error.not_found.body")
}

func (s *Server) meLang(c echo.Context) respondent {
	return respondent{lang: s.chooseLanguage(c, nil), base: "/me"}
}

// respondentSession is the request's respondent session, if it has a live one.
func (s *Server) respondentSession(c echo.Context) (auth.Respondent, bool, error) {
	ck, err := c.Cookie(meCookie)
	if err != nil {
		return auth.Respondent{}, false, nil
	}
	r, err := s.Auth.RespondentSession(c.Request().Context(), ck.Value)
	if errors.Is(err, auth.ErrNoSession) {
		return auth.Respondent{}, false, nil
	}
	return r, err == nil, err
}

func (s *Server) setMeCookie(c echo.Context, name, value, path string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// meHome shows the sign-in button, or the signed-in person's open surveys.
func (s *Server) meHome(c echo.Context) error {
	if !s.meEnabled() {
		return s.meNotFound(c)
	}
	resp, ok, err := s.respondentSession(c)
	if err != nil {
		return err
	}
	r := s.meLang(c)
	var me wave.Me
	if ok {
		if me, err = s.Waves.MySurveys(c.Request().Context(), resp.DistrictID, resp.PersonID); err != nil {
			return err
		}
		// Without a choice on the page, the person's language from the roster, as a link would.
		if tag, supported := s.Locales.Supported(me.Language); supported && c.QueryParam("lang") == "" {
			r.lang = tag
		}
	}
	v := meView{view: s.newView(c, r, "/me"), SignedIn: ok, Me: me}
	return s.render.render(c, http.StatusOK, r.lang, "me", v)
}

// meSignIn sends the browser to the identity provider for a respondent sign-in. The flow's
// secrets ride in a cookie only the respondent callback receives.
func (s *Server) meSignIn(c echo.Context) error {
	if !s.meEnabled() {
		return s.meNotFound(c)
	}
	u, flow, err := s.OIDC.StartRespondent(c.Request().Context())
	if err != nil {
		return err
	}
	s.setMeCookie(c, meFlowCookie, flow.Encode()+"."+s.meLang(c).lang, "/me/callback", 600)
	return c.Redirect(http.StatusSeeOther, u)
}

// meCallback finishes a respondent sign-in. Refusals are logged by kind only (never the email,
// code or tokens) and shown as a localized reason.
func (s *Server) meCallback(c echo.Context) error {
	if !s.meEnabled() {
		return s.meNotFound(c)
	}
	ck, err := c.Cookie(meFlowCookie)
	s.setMeCookie(c, meFlowCookie, "", "/me/callback", -1)
	r := s.meLang(c)
	var flow auth.Flow
	ok := err == nil
	if ok {
		// The flow, then the language the person chose before leaving for the provider.
		v := ck.Value
		if i := strings.LastIndexByte(v, '.'); i > 0 {
			if tag, supported := s.Locales.Supported(v[i+1:]); supported {
				r.lang = tag
			}
			v = v[:i]
		}
		flow, ok = auth.DecodeFlow(v)
	}
	refuse := func(reason, msg string) error {
		s.Log.Warn("respondent sign-in refused", "reason", reason)
		v := meView{view: s.newView(c, r, "/me"), Refusal: msg}
		return s.render.render(c, http.StatusForbidden, r.lang, "me", v)
	}
	if !ok {
		return refuse("no or malformed flow cookie", "failed")
	}
	if c.QueryParam("error") != "" {
		return refuse("provider error", "failed")
	}
	token, err := s.OIDC.FinishRespondent(c.Request().Context(), flow, c.QueryParam("state"), c.QueryParam("code"), c.Request().Host)
	switch {
	case errors.Is(err, auth.ErrNoPerson):
		return refuse("no active rostered person", "no_person")
	case errors.Is(err, auth.ErrAmbiguousPerson):
		return refuse("email matches several rostered people", "ambiguous")
	case errors.Is(err, auth.ErrOIDCRejected):
		return refuse(err.Error(), "not_allowed")
	case err != nil:
		return err
	}
	// A shared device: whoever was signed in on this browser before is signed out now.
	if old, err := c.Cookie(meCookie); err == nil {
		if err := s.Auth.SignOutRespondent(c.Request().Context(), old.Value); err != nil {
			return err
		}
	}
	s.setMeCookie(c, meCookie, token, "/me", int(auth.RespondentSessionTTL.Seconds()))
	return c.Redirect(http.StatusSeeOther, "/me?lang="+url.QueryEscape(r.lang))
}

// meStart issues a fresh link for one of the person's own invitations and sends them to it.
func (s *Server) meStart(c echo.Context) error {
	if !s.meEnabled() {
		return s.meNotFound(c)
	}
	resp, ok, err := s.respondentSession(c)
	if err != nil {
		return err
	}
	r := s.meLang(c)
	if !ok {
		return c.Redirect(http.StatusSeeOther, "/me?lang="+url.QueryEscape(r.lang))
	}
	// The invitation rides in the form, not the path: the access log records paths, and a log of
	// who started which survey when is what an anonymous wave must not have.
	id, err := strconv.ParseInt(c.FormValue("invitation"), 10, 64)
	if err != nil {
		return s.meNotFound(c)
	}
	token, err := s.Waves.StartSignedIn(c.Request().Context(), resp.DistrictID, resp.PersonID, id)
	switch {
	case errors.Is(err, wave.ErrUnknown):
		// Not this person's invitation: 404, saying nothing of whose it is. Not counted as a
		// link guess, whose budget is the whole school's address.
		return s.meNotFound(c)
	case errors.Is(err, wave.ErrUsed):
		return c.Redirect(http.StatusSeeOther, "/me?lang="+url.QueryEscape(r.lang))
	case err != nil:
		r.err = err
		return s.respondentError(c, r)
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+token+"?lang="+url.QueryEscape(r.lang))
}

// meSignOut ends the respondent session (a shared device: the next student starts fresh).
func (s *Server) meSignOut(c echo.Context) error {
	if !s.meEnabled() {
		return s.meNotFound(c)
	}
	if ck, err := c.Cookie(meCookie); err == nil {
		if err := s.Auth.SignOutRespondent(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.setMeCookie(c, meCookie, "", "/me", -1)
	return c.Redirect(http.StatusSeeOther, "/me?lang="+url.QueryEscape(s.meLang(c).lang))
}
