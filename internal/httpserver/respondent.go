package httpserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// browserCookie holds the random key that ties an open-link (class code) draft to one browser.
const browserCookie = "tp_b"

// respondent is what every respondent page needs: the session, the chosen language and the links.
type respondent struct {
	sess *wave.Session
	base string // /s/TOKEN or /j/CODE
	lang string
	err  error // wave.ErrUsed etc., for the caller to decide
}

// errGuessing is a miss from an address that has spent its misses: answered 429, not 404.
var errGuessing = errors.New("too many unknown links or codes from this address")

// resolve finds the session behind /s/:token or /j/:code. Each link and code is rate-limited
// before it reaches here, and class codes from an address out of misses are refused (guardCodes).
// A miss is counted for the address; a valid link or code earns the address one more miss.
func (s *Server) resolve(c echo.Context) respondent {
	var r respondent
	var key string
	if tok := c.Param("token"); tok != "" {
		r.base = "/s/" + url.PathEscape(tok)
		key = "s:" + tok
		r.sess, r.err = s.Waves.ByToken(c.Request().Context(), tok)
	} else {
		code := c.Param("code")
		r.base = "/j/" + url.PathEscape(code)
		key = "j:" + wave.NormalizeCode(code)
		r.sess, r.err = s.Waves.ByCode(c.Request().Context(), code, s.browserKey(c, r.base))
	}
	switch {
	case errors.Is(r.err, wave.ErrUnknown):
		if s.guesses.miss(c.RealIP()) {
			r.err = errGuessing
		}
	case r.sess != nil:
		s.guesses.hit(c.RealIP(), key)
	}
	r.lang = s.chooseLanguage(c, r.sess)
	return r
}

// browserKey returns this browser's open-link key, setting a new one if it has none. The cookie is
// a session cookie: closing the browser (a shared classroom device) starts a fresh respondent.
func (s *Server) browserKey(c echo.Context, path string) string {
	if ck, err := c.Cookie(browserCookie); err == nil && len(ck.Value) == 32 {
		return ck.Value
	}
	var b [16]byte
	rand.Read(b[:])
	v := hex.EncodeToString(b[:])
	c.SetCookie(&http.Cookie{Name: browserCookie, Value: v, Path: path, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.scheme(c) == "https"})
	c.Request().AddCookie(&http.Cookie{Name: browserCookie, Value: v})
	return v
}

// chooseLanguage: an explicit ?lang= (the switcher) wins, then the language the person last used in
// this survey, then the invitation's language, then Accept-Language, then English.
func (s *Server) chooseLanguage(c echo.Context, sess *wave.Session) string {
	if tag, ok := s.Locales.Supported(c.QueryParam("lang")); ok {
		return tag
	}
	if sess != nil {
		if tag, ok := s.Locales.Supported(sess.Draft.Language); ok {
			return tag
		}
		if sess.Invitation != nil {
			if tag, ok := s.Locales.Supported(sess.Invitation.Language); ok {
				return tag
			}
		}
	}
	return s.Locales.MatchAccept(c.Request().Header.Get("Accept-Language"))
}

// langLink is one entry of the language switcher.
type langLink struct {
	Tag, Name, URL string
	Current        bool
}

// view is the data every respondent template gets.
type view struct {
	Lang, Dir string
	Langs     []langLink
	CSRF      string
	Base      string
	Q         string // "?lang=xx", appended to every link and form so the choice sticks
	Title     string
	// FormID, on a page whose answers a language switch must keep, names the page's form: the
	// switcher's entries are then submit buttons of that form instead of links.
	FormID string
}

func (s *Server) newView(c echo.Context, r respondent, path string) view {
	csrf, _ := c.Get("csrf").(string)
	return s.viewFor(csrf, r, path)
}

// viewFor is newView with the request's CSRF token given.
func (s *Server) viewFor(csrf string, r respondent, path string) view {
	info := s.Locales.Info(r.lang)
	v := view{Lang: info.Tag, Dir: info.Dir, Base: r.base, Q: "?lang=" + url.QueryEscape(info.Tag), CSRF: csrf}
	for _, tag := range s.Locales.Tags() {
		li := s.Locales.Info(tag)
		v.Langs = append(v.Langs, langLink{Tag: tag, Name: li.Name, URL: path + "?lang=" + url.QueryEscape(tag), Current: tag == info.Tag})
	}
	return v
}

// messageView is the data of an error or notice page.
type messageView struct {
	view
	TitleID, BodyID string
	Data            map[string]any
}

// respondentError renders the localized page for an outcome that ends the flow, with a status that
// fits it and nothing about anyone else.
func (s *Server) respondentError(c echo.Context, r respondent) error {
	mv := messageView{view: s.newView(c, r, c.Request().URL.Path)}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(r.err, errGuessing):
		status, mv.TitleID, mv.BodyID = http.StatusTooManyRequests, "error.title", "error.rate_limited"
	case errors.Is(r.err, wave.ErrUnknown):
		status, mv.TitleID, mv.BodyID = http.StatusNotFound, "error.not_found.title", "error.not_found.body"
	case errors.Is(r.err, wave.ErrUsed):
		status, mv.TitleID, mv.BodyID = http.StatusGone, "error.used.title", "error.used.body"
	case errors.Is(r.err, wave.ErrClosed):
		status, mv.TitleID, mv.BodyID = http.StatusGone, "error.closed.title", "error.closed.body"
	case errors.Is(r.err, wave.ErrNotOpen):
		status, mv.TitleID, mv.BodyID = http.StatusForbidden, "error.closed.title", "error.not_open.body"
		mv.Data = map[string]any{"Date": s.localDate(r.sess)}
	case errors.Is(r.err, wave.ErrCodeFull):
		status, mv.TitleID, mv.BodyID = http.StatusForbidden, "padding.code_full.title", "padding.code_full.body"
	case errors.Is(r.err, wave.ErrOptedOut):
		status, mv.TitleID, mv.BodyID = http.StatusForbidden, "error.title", "error.opted_out.body"
	default:
		s.Log.Error("respondent page", "err", r.err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		mv.TitleID, mv.BodyID = "error.title", "error.server"
	}
	return s.render.render(c, status, r.lang, "message", mv)
}

// localDate is the wave's opening day in its first school's time zone.
func (s *Server) localDate(sess *wave.Session) string {
	if sess == nil {
		return ""
	}
	var sch store.School
	loc := time.UTC
	if err := s.Store.DB.Where("district_id = ? AND id = ?", sess.Wave.DistrictID, sess.SchoolID).First(&sch).Error; err == nil {
		if l, err := time.LoadLocation(sch.TimeZone); err == nil {
			loc = l
		}
	}
	return sess.Wave.OpensAt.In(loc).Format("2006-01-02")
}

// pageParam reads the 1-based page number from the path.
func pageParam(c echo.Context, pages int) (int, bool) {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > pages {
		return 0, false
	}
	return n - 1, true
}
