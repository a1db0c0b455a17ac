-- Each roster import's problems (or the refusal that stopped it) and warnings, kept with its
-- history row as JSON in the shape of roster_jobs.problems_json (00071): {"total": N, "problems":
-- [{file, line, msg, id, data}…], "reason": {id, data, msg}, "warning_total": N, "warnings": […]},
-- as many of each as the problems and warnings text list, so the roster page words each in the
-- viewer's language (#16 line 6); problems and warnings keep the English text. NULL for an import
-- with none and for imports from before this column, whose page shows the text as before. The
-- failures of roster_jobs that are not a problem list keep their reason in the same
-- roster_jobs.problems_json, which needs no change. A nullable column: a plain ALTER on Citus's
-- distributed roster_imports.

-- +goose Up
ALTER TABLE roster_imports ADD COLUMN problems_json TEXT;

-- +goose Down
ALTER TABLE roster_imports DROP COLUMN problems_json;
