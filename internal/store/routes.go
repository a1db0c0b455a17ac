package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// Routes (#19 line 3). Every credential starts with its district's route (internal/credential),
// a small number districts.route gives each district when it is made and never changes. Finding
// the district of a route, or the route of a district, is one read of districts — a reference
// table, so on Citus a read on the node it arrives at — and then kept for the life of the
// process: both never change, so the cache needs no expiry, and after the first request of a
// district a lookup by credential costs no statement more than it did.

// ErrUnknownRoute is a route no district has.
var ErrUnknownRoute = errors.New("no district has this route")

// routeCache keeps the routes already read, both ways. A route not found is not kept: a district
// made later may take it.
type routeCache struct {
	mu         sync.RWMutex
	byRoute    map[int]int64
	byDistrict map[int64]int
}

func newRouteCache() *routeCache {
	return &routeCache{byRoute: map[int]int64{}, byDistrict: map[int64]int{}}
}

func (c *routeCache) put(route int, district int64) {
	c.mu.Lock()
	c.byRoute[route], c.byDistrict[district] = district, route
	c.mu.Unlock()
}

// BeforeCreate gives a new district the next free route. Two districts made at the same moment
// may pick the same one: the unique index refuses the second; CreateDistrict then tries again.
func (d *District) BeforeCreate(tx *gorm.DB) error {
	if d.Route > 0 {
		return nil
	}
	err := tx.Session(&gorm.Session{NewDB: true}).Raw("SELECT COALESCE(MAX(route), 0) + 1 FROM districts").Scan(&d.Route).Error
	if err != nil {
		return fmt.Errorf("next district route: %w", err)
	}
	return nil
}

// CreateDistrict inserts d through db (a transaction's, say) with the next free route: when a
// district made at the same moment took it, it tries again with the one after, a few times.
func CreateDistrict(db *gorm.DB, d *District) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		d.Route = 0
		// In a transaction of its own, or a savepoint in the caller's: a refused INSERT must not
		// abort the caller's transaction (PostgreSQL).
		err = db.Transaction(func(tx *gorm.DB) error { return tx.Create(d).Error })
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("create district: %w", err)
	}
	return nil
}

// DistrictOfRoute is the district whose credentials start with route, or ErrUnknownRoute.
func (s *Store) DistrictOfRoute(ctx context.Context, route int) (int64, error) {
	return s.DistrictOfRouteIn(s.DB.WithContext(ctx), route)
}

// DistrictOfRouteIn is DistrictOfRoute reading through db (a transaction's, say).
func (s *Store) DistrictOfRouteIn(db *gorm.DB, route int) (int64, error) {
	if route <= 0 {
		return 0, ErrUnknownRoute
	}
	c := s.routes
	if c != nil {
		c.mu.RLock()
		id, ok := c.byRoute[route]
		c.mu.RUnlock()
		if ok {
			return id, nil
		}
	}
	var ids []int64
	if err := db.Model(&District{}).Where("route = ?", route).Limit(1).Pluck("district_id", &ids).Error; err != nil {
		return 0, fmt.Errorf("district of route %d: %w", route, err)
	}
	if len(ids) == 0 {
		return 0, ErrUnknownRoute
	}
	if c != nil {
		c.put(route, ids[0])
	}
	return ids[0], nil
}

// RouteOf is the route of a district, for making its credentials; it reads through db (a
// transaction's, say) the first time.
func (s *Store) RouteOf(db *gorm.DB, districtID int64) (int, error) {
	c := s.routes
	if c != nil {
		c.mu.RLock()
		r, ok := c.byDistrict[districtID]
		c.mu.RUnlock()
		if ok {
			return r, nil
		}
	}
	var routes []int
	if err := db.Model(&District{}).Where("district_id = ?", districtID).Limit(1).Pluck("route", &routes).Error; err != nil {
		return 0, fmt.Errorf("route of district %d: %w", districtID, err)
	}
	if len(routes) == 0 || routes[0] <= 0 {
		return 0, fmt.Errorf("route of district %d: %w", districtID, ErrNotFound)
	}
	if c != nil {
		c.put(routes[0], districtID)
	}
	return routes[0], nil
}
