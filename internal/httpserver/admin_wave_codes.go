package httpserver

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"

	"github.com/trustpulse/trustpulse/internal/store"
)

type codeRow struct {
	SchoolName string
	ClassTitle string
	Code       string
	QR         template.URL // PNG data URI of the open link, for phones' cameras
}

type codesPage struct {
	Wave    store.Wave
	BaseURL string
	Codes   []codeRow
}

// adminWaveCodes is the printable sheet of class codes for the user's schools.
func (s *Server) adminWaveCodes(c echo.Context) error {
	p := principal(c)
	w, schools, err := s.scopedWave(c, false)
	if err != nil {
		return err
	}
	page := codesPage{Wave: w, BaseURL: s.Config.BaseURL}
	err = s.Store.DB.WithContext(c.Request().Context()).Table("wave_codes wc").
		Joins("JOIN schools sc ON sc.district_id = wc.district_id AND sc.id = wc.school_id").
		Joins("LEFT JOIN classes cl ON cl.district_id = wc.district_id AND cl.id = wc.class_id").
		Where("wc.district_id = ? AND wc.wave_id = ? AND wc.school_id IN ?", w.DistrictID, w.ID, schoolIDs(inScope(p, schools))).
		Select("sc.name AS school_name, COALESCE(cl.title, '') AS class_title, wc.code AS code").
		Order("sc.name, cl.title").Scan(&page.Codes).Error
	if err != nil {
		return err
	}
	for i := range page.Codes {
		if page.Codes[i].QR, err = qrDataURI(s.Config.BaseURL + "/j/" + page.Codes[i].Code); err != nil {
			return err
		}
	}
	return s.adminRender(c, http.StatusOK, "codes", s.adminT(c, "admin.title.codes", "Wave", w.Name), page)
}

// qrDataURI draws link as a QR code inline (the CSP allows data: images), so printing needs no
// request to another site.
func qrDataURI(link string) (template.URL, error) {
	code, err := qr.Encode(link, qr.M)
	if err != nil {
		return "", fmt.Errorf("QR code for %s: %w", link, err)
	}
	code.Scale = 4
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG())), nil
}

// adminWaveIssueCodes gives every homeroom class of the user's schools in the wave a code (one
// per school where the roster has no homerooms), skipping classes that already have one.
func (s *Server) adminWaveIssueCodes(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	w, schools, err := s.scopedWave(c, false)
	if err != nil {
		return err
	}
	if w.Mode != store.ModeAnonymous {
		return staffErr(http.StatusUnprocessableEntity, "http_error.codes_anonymous_only", "Class codes are for anonymous waves only: a code cannot tell who answered.")
	}
	var existing []store.WaveCode
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Find(&existing).Error; err != nil {
		return err
	}
	hasClass, hasSchool := map[int64]bool{}, map[int64]bool{}
	for _, e := range existing {
		if e.ClassID != nil {
			hasClass[*e.ClassID] = true
		} else {
			hasSchool[e.SchoolID] = true
		}
	}
	for _, sc := range inScope(p, schools) {
		var classes []store.Class
		if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND school_id = ? AND class_type = ? AND active = ?", w.DistrictID, sc.ID, "homeroom", true).
			Order("title").Find(&classes).Error; err != nil {
			return err
		}
		if len(classes) == 0 && !hasSchool[sc.ID] {
			if _, err := s.Waves.IssueCode(ctx, w.DistrictID, w.ID, sc.ID, nil); err != nil {
				return err
			}
		}
		for _, cl := range classes {
			if hasClass[cl.ID] {
				continue
			}
			if _, err := s.Waves.IssueCode(ctx, w.DistrictID, w.ID, sc.ID, &cl.ID); err != nil {
				return err
			}
		}
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/waves/%d/codes?notice=codes", w.ID))
}
