package httpserver

// CodeMessageIDs lists the respondent messages chosen in Go code (error and notice pages) rather
// than named in a template, so `trustpulse survey lint` knows they are used.
func CodeMessageIDs() []string {
	return []string{
		"error.title", "error.not_found.title", "error.not_found.body", "error.used.title", "error.used.body",
		"error.closed.title", "error.closed.body", "error.not_open.body", "error.opted_out.body",
		"error.server", "error.rate_limited", "error.expired", "error.bad_request", "error.invalid_answer",
		"slip.instructions", "slip.code_label", "slip.private", // printed slips, filled in Go (admin_wave_slips.go)
		"padding.code_full.title", "padding.code_full.body", "padding.code_busy", // class codes: full, too many from one address
		// The family summary (admin_results_family.go): its title and the sentences chosen by audience and share.
		"family.title", "family.intro_family", "family.intro_student", "family.intro_staff",
		"family.most_family", "family.half_family", "family.less_family", "family.most_student", "family.half_student", "family.less_student",
		"family.most_staff", "family.half_staff", "family.less_staff", "family.higher", "family.lower", "family.measure_hidden", "family.item_pct",
	}
}
