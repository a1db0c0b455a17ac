package httpserver

import (
	"github.com/trustpulse/trustpulse/internal/auth"
)

// adminRoutes lists every staff route with who may use it. Roles are checked here; school scope
// is checked in the handler by loading the resource (scopedWave) before anything is shown.
func (s *Server) adminRoutes() {
	const (
		admin     = auth.DistrictAdmin
		leader    = auth.SchoolLeader
		counselor = auth.Counselor
		analyst   = auth.Analyst
	)
	e := s.echo
	pub := e.Group("", s.staffCSRF())
	pub.GET("/login", s.authLoginForm)                // public
	pub.POST("/login", s.authLogin)                   // public, rate-limited per IP and per account
	pub.POST("/logout", s.authLogout)                 // public (ends the caller's own session, if any)
	e.GET("/login/oidc", s.authOIDCStart)             // public (single sign-on, when configured)
	e.GET("/login/oidc/callback", s.authOIDCCallback) // public: state, nonce and PKCE bind it to the browser that started

	// The session is checked before CSRF reads any form, so strangers cannot make us parse uploads.
	g := e.Group("/admin", s.requireUser, s.staffCSRF())
	g.GET("/password", s.authPasswordForm, s.anyone())                                                              // any signed-in role (their own password)
	g.POST("/password", s.authPassword, s.anyone())                                                                 // any signed-in role (their own password)
	g.GET("", s.adminHome, s.anyone())                                                                              // any signed-in role
	g.GET("/waves", s.adminWaves, s.allow(admin, leader, counselor, analyst))                                       // admin; others: waves touching their schools
	g.GET("/waves/new", s.adminWaveNew, s.allow(admin, leader))                                                     // admin; leader: their schools only
	g.POST("/waves", s.adminWaveCreate, s.allow(admin, leader))                                                     // admin; leader: their schools only
	g.GET("/waves/:id", s.adminWave, s.allow(admin, leader, counselor, analyst))                                    // admin; others: wave touching their schools, rows of their schools
	g.POST("/waves/:id/open", s.adminWaveOpen, s.allow(admin, leader))                                              // admin; leader: every school of the wave theirs
	g.GET("/waves/:id/close", s.adminWaveCloseConfirm, s.allow(admin, leader))                                      // admin; leader: every school of the wave theirs (the confirmation step)
	g.POST("/waves/:id/close", s.adminWaveClose, s.allow(admin, leader))                                            // admin; leader: every school of the wave theirs; closes only with confirm=yes
	g.POST("/waves/:id/extend", s.adminWaveExtend, s.allow(admin, leader))                                          // admin; leader: every school of the wave theirs
	g.POST("/waves/:id/schedule", s.adminWaveSchedule, s.allow(admin, leader))                                      // admin; leader: every school of the wave theirs
	g.POST("/waves/:id/unschedule", s.adminWaveUnschedule, s.allow(admin, leader))                                  // admin; leader: every school of the wave theirs
	g.GET("/waves/:id/codes", s.adminWaveCodes, s.allow(admin, leader))                                             // admin; leader: codes of their schools
	g.POST("/waves/:id/codes", s.adminWaveIssueCodes, s.allow(admin, leader))                                       // admin; leader: codes for their schools
	g.GET("/waves/:id/slips", s.adminWaveSlips, s.allow(admin, leader))                                             // admin; leader: slips of their schools; audited (names next to who answered)
	g.POST("/waves/:id/slips", s.adminWaveSlipsPrint, s.allow(admin, leader))                                       // admin; leader: their schools; issues fresh links, audited
	g.GET("/results", s.adminResults, s.allow(admin, leader, counselor, analyst))                                   // admin; others: waves touching their schools, their schools' rows and the district row; ?format=csv|xlsx is audited
	g.GET("/results/schools/:sid", s.adminResultsSchool, s.allow(admin, leader, counselor, analyst))                // admin; others: their schools (0 = the district row); ?format=csv|xlsx is audited
	g.GET("/results/schools/:sid/measures/:mid", s.adminResultsMeasure, s.allow(admin, leader, counselor, analyst)) // as the school page
	g.GET("/results/schools/:sid/report", s.adminResultsReport, s.allow(admin, leader, counselor, analyst))         // as the school page: the printable school report
	g.GET("/results/schools/:sid/family-summary", s.adminResultsFamily, s.allow(admin, leader, counselor, analyst)) // as the school page: one page for families in ?lang=
	g.GET("/roster", s.adminRoster, s.allow(admin))                                                                 // district admin
	g.GET("/roster/template.zip", s.adminRosterTemplate, s.allow(admin))                                            // district admin: the simple CSV template (no data in it)
	g.POST("/roster", s.adminRosterImport, s.allow(admin))                                                          // district admin; body up to rosterUploadLimit
	g.GET("/users", s.adminUsers, s.allow(admin))                                                                   // district admin
	g.POST("/users", s.adminUserCreate, s.allow(admin))                                                             // district admin
	g.POST("/users/:uid/role", s.adminUserRole, s.allow(admin))                                                     // district admin
	g.GET("/audit", s.adminAudit, s.allow(admin))                                                                   // district admin
	g.GET("/results/settings", s.adminSettings, s.allow(admin))                                                     // district admin: privacy floor and breakdowns
	g.POST("/results/settings", s.adminSettingsSave, s.allow(admin))                                                // district admin; rebuilds every wave's results
	g.GET("/results/reference", s.adminResultsReference, s.allow(admin))                                            // district admin: reference values of each measure's bands
	g.POST("/results/reference", s.adminResultsReferenceSave, s.allow(admin))                                       // district admin; audited; rebuilds the survey's waves
	g.GET("/language-checks/export", s.adminLanguageChecksExport, s.allow(admin))                                   // district admin: ?locale=TAG, the texts to review as CSV
	g.GET("/language-checks", s.adminLanguageChecks, s.allow(admin))                                                // district admin: DIF by response language, item texts to review
	g.GET("/comments", s.adminComments, s.allow(admin, leader, counselor))                                          // admin; leader, counselor: their schools (else 404); every view and ?format=csv audited
	g.POST("/comments/floor", s.adminCommentsFloor, s.allow(admin))                                                 // district admin: the comment floor (never below the results floor), audited
	g.GET("/help-texts", s.adminHelpTexts, s.allow(admin, leader))                                                  // admin: every school and the district default; leader: their schools (else 404)
	g.POST("/help-texts", s.adminHelpTextsSave, s.allow(admin, leader))                                             // as the page; audited in the same transaction
	g.GET("/mapping", s.adminMapping, s.anyone())                                                                   // any signed-in role: rounds of their schools; their class lists and a bounded roster search (audited)
	g.POST("/mapping/rounds", s.adminMappingStart, s.allow(admin, leader))                                          // admin; leader: their schools (else 404); audited
	g.POST("/mapping/rounds/:rid/close", s.adminMappingClose, s.allow(admin, leader))                               // as starting
	g.POST("/mapping/:rid", s.adminMappingSave, s.anyone())                                                         // any signed-in role: their own marks, students of the round's school only; audited
	g.GET("/team", s.adminTeam, s.allow(teamRoles...))                                                              // admin; leader, counselor: their schools (else 404); named lists audited
	g.GET("/team/students", s.adminTeamStudents, s.allow(teamRoles...))                                             // as the team page: students by grade, homeroom and flags (named; audited)
	g.POST("/team/assign", s.adminTeamAssign, s.allow(teamRoles...))                                                // as the team page; audited
	g.GET("/followup", s.adminFollowup, s.anyone())                                                                 // confidential student waves only; team roles: their schools; other staff: students assigned to them; audited as view.confidential
	g.POST("/followup/reached", s.adminFollowupReached, s.anyone())                                                 // as the list; audited (the note is not copied into the log)
	g.GET("/indicators", s.adminIndicators, s.allow(admin))                                                         // district admin: grading periods of attendance and courses
	g.POST("/indicators", s.adminIndicatorsImport, s.allow(admin))                                                  // district admin; body up to indicatorsUploadLimit; all or nothing, audited
	g.GET("/goals", s.adminGoals, s.allow(teamRoles...))                                                            // admin (and the district's goals); leader, counselor: their schools (else 404); counselors read only
	g.GET("/goals/new", s.adminGoalNew, s.allow(admin, leader))                                                     // admin; leader: their schools (else 404)
	g.POST("/goals", s.adminGoalCreate, s.allow(admin, leader))                                                     // as the form; audited
	g.POST("/goals/:gid/actions", s.adminGoalActionAdd, s.allow(admin, leader))                                     // admin; leader: goals of their schools (else 404); audited
	g.POST("/goals/actions/:aid/status", s.adminGoalActionStatus, s.allow(admin, leader))                           // as adding an action; audited
	g.GET("/sms/settings", s.adminTextSettings, s.allow(admin))                                                     // district admin: the name and HELP contact in texts
	g.POST("/sms/settings", s.adminTextSettingsSave, s.allow(admin))                                                // district admin

	// API tokens: each reader of results manages their own (see routes_api.go for the API itself).
	g.GET("/tokens", s.adminTokens, s.allow(admin, leader, counselor, analyst))                   // readers of results: their own API tokens
	g.POST("/tokens", s.adminTokenCreate, s.allow(admin, leader, counselor, analyst))             // readers of results: a token for themselves, shown once
	g.POST("/tokens/:tid/revoke", s.adminTokenRevoke, s.allow(admin, leader, counselor, analyst)) // readers of results: their own tokens only
}
