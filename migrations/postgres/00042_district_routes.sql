-- Credentials carry their district (#19 line 3): each district gets a small route number, which
-- every survey link, session cookie, API and device token now starts with (internal/credential),
-- so a lookup names its district and, on Citus, goes to one shard. Existing districts are
-- numbered 1..N in district_id order; a new one takes the next (store.District's BeforeCreate).
-- Credentials made before have no route and are looked up as before.

-- +goose Up
ALTER TABLE districts ADD COLUMN route INTEGER;
UPDATE districts SET route = r.n
  FROM (SELECT district_id, row_number() OVER (ORDER BY district_id) AS n FROM districts) r
 WHERE districts.district_id = r.district_id;
ALTER TABLE districts ALTER COLUMN route SET NOT NULL;
ALTER TABLE districts ADD CONSTRAINT districts_route_positive CHECK (route > 0);
CREATE UNIQUE INDEX districts_route ON districts (route);

-- +goose Down
DROP INDEX districts_route;
ALTER TABLE districts DROP CONSTRAINT districts_route_positive;
ALTER TABLE districts DROP COLUMN route;
