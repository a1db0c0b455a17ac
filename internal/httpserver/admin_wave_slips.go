package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/slips"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// slipSchool is one school of the slips page: its groups, and who in each has not answered.
type slipSchool struct {
	School  store.School
	Groups  []slipGroupRow
	Invited int
}

type slipGroupRow struct {
	wave.SlipGroup
	Label   string
	Pending []wave.SlipPerson // not answered yet: each can be reprinted
}

type slipsPage struct {
	Wave    store.Wave
	Schools []slipSchool
	BaseURL string
	// CoverEnglish: the PDF's fonts cannot draw the page's language, so its cover sheets are in
	// English (the print page's are not).
	CoverEnglish bool
}

// adminWaveSlips lists, per school and homeroom (or department), who has a slip to print. It
// shows names next to whether they answered, so viewing it is audited like printing.
func (s *Server) adminWaveSlips(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	w, schools, err := s.scopedWave(c, false)
	if err != nil {
		return err
	}
	l := s.dashFor(c).l
	page := slipsPage{Wave: w, BaseURL: s.Config.BaseURL}
	if coverage, err := slips.NewCoverage(); err == nil {
		page.CoverEnglish = !coverage.Covers(l.T("slips_cover.step_collect") + l.T("slips_cover.everyone_answered"))
	}
	for _, sc := range inScope(p, schools) {
		people, err := s.Waves.SlipRoster(ctx, w.DistrictID, w.ID, sc.ID)
		if errors.Is(err, wave.ErrNoSlips) {
			return staffErr(http.StatusUnprocessableEntity, "http_error.slips_not_family", "Slips are printed for student and staff waves; families are reached by text message.")
		}
		if err != nil {
			return err
		}
		row := slipSchool{School: sc, Invited: len(people)}
		for _, g := range wave.SlipGroups(people) {
			gr := slipGroupRow{SlipGroup: g, Label: groupLabel(l, w, g.Key)}
			for _, person := range people {
				if person.Group == g.Key && !person.Answered {
					gr.Pending = append(gr.Pending, person)
				}
			}
			row.Groups = append(row.Groups, gr)
		}
		page.Schools = append(page.Schools, row)
	}
	if err := s.Auth.AuditBy(ctx, p, auth.ActionSlipsView, fmt.Sprintf("wave:%d", w.ID), "", c.RealIP()); err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "slips", s.adminT(c, "admin.title.slips", "Wave", w.Name), page)
}

// groupLabel names a group for staff pages, in l's language.
func groupLabel(l *locale.Localizer, w store.Wave, key string) string {
	switch {
	case key != wave.NoGroup:
		return key
	case w.Audience == "staff":
		return l.T("slips_cover.no_department")
	}
	return l.T("slips_cover.no_homeroom")
}

// adminWaveSlipsPrint prints slips: a school's group, all its groups, or one person's reprint, as
// a page to print from the browser or a PDF. Printing issues fresh links (see wave.IssueSlips),
// so it is a POST, and the previous slips of the people printed stop working.
func (s *Server) adminWaveSlipsPrint(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	w, schools, err := s.scopedWave(c, false)
	if err != nil {
		return err
	}
	schoolID, err := strconv.ParseInt(c.FormValue("school"), 10, 64)
	if err != nil || !slices.ContainsFunc(inScope(p, schools), func(sc store.School) bool { return sc.ID == schoolID }) {
		return staffErr(http.StatusNotFound, "http_error.no_school_in_wave", "No such school in this wave.")
	}
	size, err := slips.ParseSize(c.FormValue("size"))
	if err != nil {
		return staffErr(http.StatusUnprocessableEntity, "http_error.slips_paper", "Paper size: choose A4 or Letter.")
	}
	format := c.FormValue("format")
	if format != "pdf" {
		format = "html"
	}
	req := wave.SlipRequest{DistrictID: w.DistrictID, WaveID: w.ID, SchoolID: schoolID, Format: format,
		Audit: auth.Entry{UserID: &p.User.ID, Actor: p.User.Email, IP: c.RealIP()}}
	if v := c.FormValue("invitation"); v != "" {
		if req.InvitationID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return staffErr(http.StatusNotFound, "http_error.no_invitation", "No such invitation.")
		}
	} else if c.FormValue("all") == "" {
		g := c.FormValue("group")
		req.Group = &g
	}
	batch, err := s.Waves.IssueSlips(ctx, req)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return staffErr(http.StatusNotFound, "http_error.nobody_to_print", "No one to print in that group.")
	case errors.Is(err, wave.ErrUsed):
		return staffErr(http.StatusConflict, "http_error.slip_answered", "That person has already answered: their slip is no longer needed.")
	case errors.Is(err, wave.ErrClosed):
		return staffErr(http.StatusConflict, "http_error.slips_wave_closed", "This wave is closed: there is nothing left to print.")
	case errors.Is(err, wave.ErrNoSlips):
		return staffErr(http.StatusUnprocessableEntity, "http_error.slips_not_family", "Slips are printed for student and staff waves; families are reached by text message.")
	case err != nil:
		return err
	}
	doc := s.slipDocument(s.dashFor(c).l, batch)
	if format == "pdf" {
		var buf bytes.Buffer
		if err := slips.Write(&buf, doc.PDF, size, s.Store.Now()); err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="slips-wave-%d-school-%d.pdf"`, w.ID, schoolID))
		return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
	}
	return s.adminRender(c, http.StatusOK, "slips_print", s.adminT(c, "admin.title.slips", "Wave", batch.SchoolName), doc)
}

// slipDoc is one print in both forms: the page to print from the browser and the PDF's input.
type slipDoc struct {
	Wave   store.Wave
	Size   string
	Groups []slipDocGroup
	PDF    slips.Document
}

type slipDocGroup struct {
	Cover slips.Cover
	Slips []slipView
}

// slipView is a slip on the print page: its texts in the person's language, with lang and dir.
type slipView struct {
	slips.Slip
	Lang, Dir string
	QR        template.URL
}

// slipDocument turns a batch into texts: the teacher's cover sheet in l's language (the staff
// member printing), each slip in its person's language. For the PDF, whose fonts draw Latin,
// Greek and Cyrillic letters only, a cover sheet or slip whose texts they cannot draw (Arabic,
// Chinese, Vietnamese) is printed in English; the browser's print page keeps every language.
func (s *Server) slipDocument(l *locale.Localizer, b wave.SlipBatch) slipDoc {
	groups := map[string][]wave.Slip{}
	var order []string
	for _, sl := range b.Slips {
		if _, ok := groups[sl.Group]; !ok {
			order = append(order, sl.Group)
		}
		groups[sl.Group] = append(groups[sl.Group], sl)
	}
	if len(order) == 0 { // everyone has answered: still a cover sheet saying so
		order = []string{b.Group}
	}
	coverage, _ := slips.NewCoverage()
	doc := slipDoc{Wave: b.Wave, PDF: slips.Document{Title: l.T("admin.title.slips", map[string]any{"Wave": b.SchoolName})}}
	join := s.Config.BaseURL + "/j"
	for _, key := range order {
		var pending []string
		for _, person := range b.NotAnswered {
			if person.Group == key {
				pending = append(pending, person.SortName)
			}
		}
		cover := s.slipCover(l, b, key, pending)
		g := slipDocGroup{Cover: cover}
		pg := slips.Group{Cover: cover}
		if coverage != nil {
			if !coverage.Covers(strings.Join(cover.Steps, "") + cover.ListTitle + cover.EmptyNames + cover.Note) {
				pg.Cover = s.slipCover(s.resultsPages.cat.Localizer(locale.Default), b, key, pending)
			}
			pg.Cover.Title, pg.Cover.Subtitle = coverage.Fit(pg.Cover.Title), coverage.Fit(pg.Cover.Subtitle)
			pg.Cover.Names = make([]string, len(pending))
			for i, n := range pending {
				pg.Cover.Names[i] = coverage.Fit(n)
			}
		}
		for _, sl := range groups[key] {
			header := b.SchoolName
			if sl.Group != wave.NoGroup {
				header += " · " + sl.Group
			}
			text := s.slipTexts(sl.Language, header, sl, join)
			qr, err := qrDataURI(s.Config.BaseURL + "/s/" + sl.Token)
			if err != nil {
				qr = ""
			}
			loc := s.Locales.Localizer(sl.Language)
			g.Slips = append(g.Slips, slipView{Slip: text, Lang: loc.Tag(), Dir: loc.Dir(), QR: qr})
			if coverage != nil {
				if !coverage.Covers(text.Instructions + text.CodeLabel + text.Private) {
					text = s.slipTexts("en", header, sl, join)
				}
				text.Name, text.Header = coverage.Fit(text.Name), coverage.Fit(text.Header)
			}
			pg.Slips = append(pg.Slips, text)
		}
		doc.Groups = append(doc.Groups, g)
		doc.PDF.Groups = append(doc.PDF.Groups, pg)
	}
	return doc
}

func (s *Server) slipTexts(lang, header string, sl wave.Slip, join string) slips.Slip {
	t := s.Locales.Localizer(lang).T
	return slips.Slip{
		Header: header, Name: sl.Name, Code: sl.Code, Link: s.Config.BaseURL + "/s/" + sl.Token,
		Instructions: t("slip.instructions", map[string]any{"URL": join}),
		CodeLabel:    t("slip.code_label"),
		Private:      t("slip.private"),
	}
}

// slipCover is the teacher's sheet, in l's language (locales/dashboard-slips-cover.<tag>.toml):
// how to run the survey in ten minutes, and who has not answered.
func (s *Server) slipCover(l *locale.Localizer, b wave.SlipBatch, key string, pending []string) slips.Cover {
	t := l.T
	privacy := t("slips_cover.privacy_anonymous")
	if b.Wave.Mode == store.ModeConfidential {
		privacy = t("slips_cover.privacy_confidential")
	}
	hand := "slips_cover.step_hand_student"
	if b.Wave.Audience == "staff" {
		hand = "slips_cover.step_hand_staff"
	}
	// The shared-device button as the survey's pages name it in this language.
	button := s.Locales.Localizer(l.Tag()).T("padding.next_student.button")
	steps := []string{
		t(hand),
		t("slips_cover.step_scan", map[string]any{"URL": s.Config.BaseURL + "/j"}),
		t("slips_cover.step_time", map[string]any{"Count": s.slipMinutes(b.Wave), "Privacy": privacy}),
		t("slips_cover.step_device", map[string]any{"Button": button}),
		t("slips_cover.step_collect"),
	}
	return slips.Cover{
		Title:      t("slips_cover.title", map[string]any{"School": b.SchoolName, "Group": groupLabel(l, b.Wave, key)}),
		Subtitle:   b.Wave.Name,
		Steps:      steps,
		ListTitle:  t("slips_cover.not_answered", map[string]any{"Pending": len(pending)}),
		Names:      pending,
		EmptyNames: t("slips_cover.everyone_answered"),
		Note:       t("slips_cover.note", map[string]any{"Printed": s.Store.Now().UTC().Format("2006-01-02 15:04 UTC")}),
	}
}

// slipMinutes is the survey's expected length, as its intro page tells respondents.
func (s *Server) slipMinutes(w store.Wave) int {
	if in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion); ok {
		return minutesFor(len(in.Items))
	}
	return minutesFor(0)
}
