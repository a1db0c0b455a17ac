-- A failed roster import's problems, kept with its job as JSON ({"total": N, "problems":
-- [{file, line, msg, id, data}…]}, the first roster.MaxListed of them) so the roster page words
-- each in the viewer's language (#16 line 6); message keeps the English text the command line
-- prints. NULL for every other outcome and for jobs that ended before this column, whose page
-- shows message as before. A nullable column: a plain ALTER on Citus's distributed roster_jobs.

-- +goose Up
ALTER TABLE roster_jobs ADD COLUMN problems_json TEXT;

-- +goose Down
ALTER TABLE roster_jobs DROP COLUMN problems_json;
