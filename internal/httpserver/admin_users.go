package httpserver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

type usersPage struct {
	Users       []auth.UserRow
	Schools     []store.School
	SchoolNames map[int64]string
	Roles       []auth.Role
	NewPassword string // shown once after creating an account with a generated password
	NewEmail    string
}

func (p usersPage) Names(ids []int64) string {
	var out []string
	for _, id := range ids {
		out = append(out, p.SchoolNames[id])
	}
	return strings.Join(out, ", ")
}

func (p usersPage) Has(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func (s *Server) usersPage(c echo.Context) (usersPage, error) {
	p := principal(c)
	users, err := s.Auth.Users(c.Request().Context(), p.User.DistrictID)
	if err != nil {
		return usersPage{}, err
	}
	schools, err := s.visibleSchools(c, p)
	if err != nil {
		return usersPage{}, err
	}
	names := map[int64]string{}
	for _, sc := range schools {
		names[sc.ID] = sc.Name
	}
	return usersPage{Users: users, Schools: schools, SchoolNames: names, Roles: auth.Roles()}, nil
}

// adminUsers lists the district's accounts with their roles and schools.
func (s *Server) adminUsers(c echo.Context) error {
	page, err := s.usersPage(c)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "users", s.adminT(c, "admin.title.users"), page)
}

// adminUserCreate adds an account. Without a password a strong one is generated and shown once.
func (s *Server) adminUserCreate(c echo.Context) error {
	p := principal(c)
	form, err := c.FormParams()
	if err != nil {
		return staffErr(http.StatusBadRequest, "http_error.unreadable_form", "Unreadable form.")
	}
	pw := form.Get("password")
	generated := pw == ""
	if generated {
		pw = auth.RandomPassword()
	}
	_, err = s.Auth.CreateUser(c.Request().Context(), p, auth.NewUser{DistrictID: p.User.DistrictID, Email: form.Get("email"),
		Name: form.Get("name"), Role: auth.Role(form.Get("role")), Schools: parseIDs(form["school"]), Password: pw})
	page, perr := s.usersPage(c)
	if perr != nil {
		return perr
	}
	if errors.Is(err, auth.ErrInvalid) {
		return s.adminRenderError(c, http.StatusUnprocessableEntity, "users", s.adminT(c, "admin.title.users"), page, s.authRefusal(c, err))
	}
	if err != nil {
		return err
	}
	page.NewEmail = strings.ToLower(strings.TrimSpace(form.Get("email")))
	if generated {
		page.NewPassword = pw
	}
	return s.adminRender(c, http.StatusOK, "users", s.adminT(c, "admin.title.users"), page)
}

// adminUserRole changes a user's role and schools (audited in auth).
func (s *Server) adminUserRole(c echo.Context) error {
	p := principal(c)
	uid, err := strconv.ParseInt(c.Param("uid"), 10, 64)
	if err != nil {
		return staffErr(http.StatusNotFound, "http_error.no_user", "No such user.")
	}
	form, err := c.FormParams()
	if err != nil {
		return staffErr(http.StatusBadRequest, "http_error.unreadable_form", "Unreadable form.")
	}
	err = s.Auth.SetRole(c.Request().Context(), p, p.User.DistrictID, uid, auth.Role(form.Get("role")), parseIDs(form["school"]))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return staffErr(http.StatusNotFound, "http_error.no_user", "No such user.")
	case errors.Is(err, auth.ErrInvalid):
		page, perr := s.usersPage(c)
		if perr != nil {
			return perr
		}
		return s.adminRenderError(c, http.StatusUnprocessableEntity, "users", s.adminT(c, "admin.title.users"), page, s.authRefusal(c, err))
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users?notice=role")
}

// authRefusal words an auth.ErrInvalid refusal for the person at the form, in the page's
// language (locales/dashboard-refusals-auth.<tag>.toml).
func (s *Server) authRefusal(c echo.Context, err error) string {
	var r *refusal.Error
	if errors.As(err, &r) {
		return s.adminRefusal(c, r)
	}
	return userMessage(err)
}

// userMessage is the part of an auth.ErrInvalid error written for the person at the form, for
// one that carries no refusal.
func userMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, auth.ErrInvalid.Error()+": "); i >= 0 {
		return msg[i+len(auth.ErrInvalid.Error())+2:]
	}
	return msg
}

func parseIDs(vals []string) []int64 {
	var out []int64
	for _, v := range vals {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
