package httpserver

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// Ids are random 63-bit integers, beyond what a JavaScript number holds exactly, so the API writes
// and reads them as decimal strings.
func apiID(id int64) string { return strconv.FormatInt(id, 10) }

// apiSchool is one item of GET /api/v1/schools.
type apiSchool struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// apiItems is the envelope of every list.
type apiItems[T any] struct {
	Items []T `json:"items"`
}

// apiSchools lists the schools in the caller's scope, by name.
func (s *Server) apiSchools(c echo.Context) error {
	p := principal(c)
	schools, err := s.Results.Schools(c.Request().Context(), p.User.DistrictID)
	if err != nil {
		return err
	}
	out := apiItems[apiSchool]{Items: []apiSchool{}}
	for _, sc := range inScope(p, schools) {
		out.Items = append(out.Items, apiSchool{ID: apiID(sc.ID), Name: sc.Name})
	}
	return apiJSON(c, http.StatusOK, out)
}

// apiJSON writes a data answer: private to the caller, never cached.
func apiJSON(c echo.Context, status int, v any) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, v)
}
