-- Printable link slips: a slip carries the invitation's link (a fresh 160-bit token, in its QR
-- code) and a short personal code to type at /j, for young students and shared devices. The code
-- is an extra token of the invitation, kept like every token only as its hash; kind tells a
-- slip's code from an SMS reminder's link, so reprinting a slip replaces only the old slip code.

-- SQLite twin of postgres/00016_slips.sql: same column and index.

-- +goose Up
ALTER TABLE invitation_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'link';
CREATE INDEX invitation_tokens_invitation ON invitation_tokens (district_id, invitation_id);

-- +goose Down
DROP INDEX invitation_tokens_invitation;
ALTER TABLE invitation_tokens DROP COLUMN kind;
