-- Credentials carry their district (#19 line 3): each district gets a small route number.

-- SQLite twin of postgres/00042_district_routes.sql (SQLite cannot add NOT NULL to a column
-- with rows; store.District's BeforeCreate always sets it).

-- +goose Up
ALTER TABLE districts ADD COLUMN route INTEGER;
UPDATE districts SET route = (SELECT COUNT(*) FROM districts d WHERE d.district_id <= districts.district_id);
CREATE UNIQUE INDEX districts_route ON districts (route);

-- +goose Down
DROP INDEX districts_route;
ALTER TABLE districts DROP COLUMN route;
