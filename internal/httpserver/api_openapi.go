package httpserver

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/report"
)

// obj keeps the OpenAPI document below readable.
type obj = map[string]any

// apiOpenAPI serves the OpenAPI 3.1 description of /api/v1, marshalled once. It describes, it
// holds no data, so it is public.
func (s *Server) apiOpenAPI() echo.HandlerFunc {
	doc, err := json.MarshalIndent(openAPIDocument(), "", "  ")
	if err != nil {
		panic(err) // a map of plain values always marshals
	}
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
	}
}

func openAPIDocument() obj {
	ref := func(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
	errResp := func(desc string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref("Error")}}}
	}
	jsonResp := func(desc, schema string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref(schema)}}}
	}
	id := obj{"type": "string", "pattern": "^[1-9][0-9]*$",
		"description": "A decimal integer written as a string: ids are 63-bit, more than a JavaScript number holds exactly."}
	num := obj{"type": "number", "description": "Rounded to one decimal. Omitted when it cannot be computed (never NaN)."}
	compare := obj{"type": "object", "required": []string{"flagged"}, "properties": obj{
		"diff": num, "ci_low": num, "ci_high": num,
		"flagged": obj{"type": "boolean", "description": "The 95% interval excludes zero and |diff| is at least 5 points."},
	}}
	waveParam := obj{"name": "wave", "in": "query", "required": true, "schema": id, "description": "A wave id from /api/v1/waves."}
	schoolParam := obj{"name": "school", "in": "query", "required": false,
		"schema": obj{"type": "string", "pattern": "^([1-9][0-9]*|district)$"},
		"description": "A school id from /api/v1/schools, or `district` (the default) for the district-wide rows. " +
			"District-wide rows add up every school of the wave, so they need every one of them in the caller's scope (403 otherwise). " +
			"A school outside the caller's scope or not in the wave is 404, the same as an unknown one."}
	byParam := obj{"name": "by", "in": "query", "required": false, "schema": obj{"type": "string", "enum": append(report.AllAttributes(), report.AllPairs()...)},
		"description": "A subgroup attribute to break the results down by; omitted, one overall row (group `all`). " +
			"Two attributes joined by a comma (`grade,gender`) are a two-way breakdown, where the district enables it: its groups are the two values " +
			"joined the same way (`05,female`). A two-way table is shown whole or not at all; withheld, it is one row per measure with group `*`, " +
			"so not even which combinations exist is given away. " +
			"Each wave offers those of its audience that the district reports (see `attributes` in /api/v1/waves); any other is 400 listing the allowed ones."}
	dataErrors := obj{
		"400": errResp("A missing or malformed parameter, or a `by` the wave does not offer (`allowed` lists those it does)."),
		"401": errResp("No credentials, or a token that is unknown, revoked, or whose account is inactive or locked. Carries `WWW-Authenticate: Bearer`."),
		"403": errResp("The caller's role cannot read results (staff), or district-wide rows were asked for without every school of the wave in scope."),
		"404": errResp("No such wave or school, or none the caller may see."),
		"429": errResp("Too many failed token lookups from this address; wait a few minutes."),
	}
	with := func(ok obj) obj {
		out := obj{"200": ok}
		for k, v := range dataErrors {
			out[k] = v
		}
		return out
	}
	listErrors := func(ok obj) obj {
		return obj{"200": ok, "401": dataErrors["401"], "403": errResp("The caller's role cannot read results (staff)."), "429": dataErrors["429"]}
	}
	hiddenProp := obj{"type": "string", "enum": []string{"small", "protect", "few_schools"}, "description": "Why the row is hidden (`few_schools`: a rest of the district that would give one school away)."}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "TrustPulse results API",
			"version": "1",
			"description": "Read-only results of trust pulse surveys, with the same school scoping and privacy floor as the dashboards. " +
				"A group smaller than the floor (or hidden so that it cannot be recovered by subtraction) is a row with `suppressed: true`, `hidden` saying why (`small` or `protect`), and no number at all. " +
				"Where groups of a subgroup are smaller than the floor, they are combined into one group `*combined` that meets it (its `combines` names them only when each meets the floor on its own); they are then not listed one by one. " +
				"Every error is JSON: `{\"error\": \"…\"}`.",
		},
		"security": []obj{{"bearer": []string{}}, {"session": []string{}}},
		"paths": obj{
			"/api/v1/schools": obj{"get": obj{
				"operationId": "listSchools", "summary": "The schools in the caller's scope",
				"responses": listErrors(jsonResp("Schools by name.", "SchoolList")),
			}},
			"/api/v1/waves": obj{"get": obj{
				"operationId": "listWaves", "summary": "Waves (not drafts) that include at least one school in the caller's scope, newest first",
				"responses": listErrors(jsonResp("Waves.", "WaveList")),
			}},
			"/api/v1/results": obj{"get": obj{
				"operationId": "getResults", "summary": "Each measure's result for one school (or the district) in one wave, overall or by subgroup",
				"parameters": []obj{waveParam, schoolParam, byParam},
				"responses":  with(jsonResp("One row per measure and group, in the instrument's measure order.", "ResultRows")),
			}},
			"/api/v1/participation": obj{"get": obj{
				"operationId": "getParticipation", "summary": "Respondents and response rate per group, with the same parameters and floor as results",
				"parameters": []obj{waveParam, schoolParam, byParam},
				"responses":  with(jsonResp("One row per group.", "ParticipationRows")),
			}},
			"/api/v1/openapi.json": obj{"get": obj{
				"operationId": "openapi", "summary": "This document", "security": []obj{},
				"responses": obj{"200": obj{"description": "OpenAPI 3.1 document.", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}},
			}},
		},
		"components": obj{
			"securitySchemes": obj{
				"bearer": obj{"type": "http", "scheme": "bearer",
					"description": "A personal API token (`tp_…`), created at /admin/tokens or with `trustpulse admin token`. It acts as its user, with that user's role and schools, read fresh on every request."},
				"session": obj{"type": "apiKey", "in": "cookie", "name": sessionCookie,
					"description": "The staff sign-in session of the web app, for pages of the app itself."},
			},
			"schemas": obj{
				"Error": obj{"type": "object", "required": []string{"error"}, "properties": obj{
					"error":   obj{"type": "string"},
					"allowed": obj{"type": "array", "items": obj{"type": "string"}, "description": "The values the parameter may take."},
				}},
				"SchoolList": obj{"type": "object", "required": []string{"items"}, "properties": obj{"items": obj{"type": "array", "items": obj{
					"type": "object", "required": []string{"id", "name"}, "properties": obj{"id": id, "name": obj{"type": "string"}},
				}}}},
				"WaveList": obj{"type": "object", "required": []string{"items"}, "properties": obj{"items": obj{"type": "array", "items": obj{
					"type": "object", "required": []string{"id", "name", "instrument", "audience", "status", "opens_at", "closes_at", "schools", "attributes"},
					"properties": obj{
						"id": id, "name": obj{"type": "string"}, "instrument": obj{"type": "string"}, "instrument_version": obj{"type": "integer"},
						"audience":   obj{"type": "string", "enum": []string{"student", "staff", "family"}},
						"status":     obj{"type": "string", "enum": []string{"open", "closed"}},
						"opens_at":   obj{"type": "string", "format": "date-time"},
						"closes_at":  obj{"type": "string", "format": "date-time"},
						"schools":    obj{"type": "array", "items": id, "description": "The wave's schools in the caller's scope."},
						"attributes": obj{"type": "array", "items": obj{"type": "string"}, "description": "The values `by` may take for this wave."},
					},
				}}}},
				"ResultRows": obj{"type": "object", "required": []string{"rows"}, "properties": obj{"rows": obj{"type": "array", "items": obj{
					"oneOf": []obj{ref("ResultRow"), ref("SuppressedRow")},
				}}, "rest_of_district": ref("RestOfDistrict")}},
				"RestOfDistrict": obj{"type": "object", "required": []string{"schools", "rows"},
					"description": "With one school's overall rows (no `by`), for a caller who does not see the district row: the wave's schools outside the caller's scope, combined. " +
						"One row per measure, group `rest_of_district`; a row is hidden (`hidden: few_schools`) unless at least two of those schools have at least the floor's respondents each, " +
						"and its `change` is given only when the previous wave combined the same schools. No subgroups.",
					"properties": obj{"schools": obj{"type": "integer", "description": "The wave's schools outside the caller's scope."},
						"rows": obj{"type": "array", "items": obj{"oneOf": []obj{ref("ResultRow"), ref("SuppressedRow")}}}}},
				"ResultRow": obj{"type": "object", "required": []string{"measure", "group", "n", "mean", "suppressed"},
					"properties": obj{
						"measure":                  obj{"type": "string", "description": "Measure id of the instrument."},
						"group":                    obj{"type": "string", "description": "`all`, or the subgroup's value (`not_recorded` when the record has none; `*combined` for the small groups combined)."},
						"combines":                 obj{"type": "array", "items": obj{"type": "string"}, "description": "On a `*combined` row: the groups it combines, only when each of them has at least the floor's respondents; absent otherwise."},
						"n":                        obj{"type": "integer", "description": "Respondents."},
						"mean":                     withDesc(num, "Mean score on the 0–100 reporting scale."),
						"se":                       withDesc(num, "Standard error of the mean."),
						"ci_low":                   withDesc(num, "95% confidence interval of the mean."),
						"ci_high":                  num,
						"favorable":                withDesc(num, "Percent of answers in the top two categories."),
						"favorable_ci_low":         withDesc(num, "95% (Wilson) interval of favorable."),
						"favorable_ci_high":        num,
						"distribution":             obj{"type": "array", "items": num, "minItems": 5, "maxItems": 5, "description": "Percent of respondents in each of the five bands, weakest first."},
						"gap":                      withDesc(compare, "This group minus the rest of its school; present on subgroup rows where both sides are shown."),
						"change":                   withDesc(compare, "This group minus the same group in the previous wave of the instrument, where both are shown."),
						"favorable_gap":            withDesc(compare, "As gap, on favorable, in percentage points (Newcombe's interval); the gap shown for single-item measures."),
						"favorable_change":         withDesc(compare, "As change, on favorable, in percentage points (Newcombe's interval); the change shown for single-item measures."),
						"since_baseline":           withDesc(compare, "This group minus the same group in the first wave of the instrument this school year (from August 1), where both are shown."),
						"year_over_year":           withDesc(compare, "This group minus the same group in the wave of the same season last year (opened within 45 days of a year before), where both are shown."),
						"favorable_since_baseline": withDesc(compare, "As since_baseline, on favorable, in percentage points."),
						"favorable_year_over_year": withDesc(compare, "As year_over_year, on favorable, in percentage points."),
						"band":                     obj{"type": "integer", "minimum": 0, "maximum": 4, "description": "Band of the mean, 0 very weak to 4 very strong; absent for single-item measures."},
						"band_provisional":         obj{"type": "boolean", "description": "True while the district has set no reference values for the measure: the band uses the survey's starting cut points."},
						"suppressed":               obj{"const": false},
					}},
				"SuppressedRow": obj{"type": "object", "required": []string{"measure", "group", "suppressed"}, "additionalProperties": false,
					"description": "A group hidden by the privacy floor: fewer respondents than the floor (`hidden: small`), or hidden so that no other row gives a smaller group away (`hidden: protect`). No number at all.",
					"properties": obj{"measure": obj{"type": "string"}, "group": obj{"type": "string"}, "suppressed": obj{"const": true},
						"hidden": hiddenProp}},
				"ParticipationRows": obj{"type": "object", "required": []string{"rows"}, "properties": obj{"rows": obj{"type": "array", "items": obj{
					"oneOf": []obj{
						{"type": "object", "required": []string{"group", "n", "suppressed"}, "properties": obj{
							"group": obj{"type": "string"}, "n": obj{"type": "integer", "description": "Respondents."},
							"invited":       obj{"type": "integer", "description": "Invitations, where the wave sends them."},
							"response_rate": withDesc(num, "Percent of the invited who answered."),
							"combines":      obj{"type": "array", "items": obj{"type": "string"}, "description": "As in results."},
							"suppressed":    obj{"const": false},
						}},
						{"type": "object", "required": []string{"group", "suppressed"}, "additionalProperties": false, "properties": obj{
							"group": obj{"type": "string"}, "suppressed": obj{"const": true}, "hidden": hiddenProp,
						}},
					},
				}}}},
			},
		},
	}
}

// withDesc copies a schema with its own description.
func withDesc(schema obj, desc string) obj {
	out := obj{}
	for k, v := range schema {
		out[k] = v
	}
	out["description"] = desc
	return out
}
