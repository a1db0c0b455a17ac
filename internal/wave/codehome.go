package wave

import (
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// A typed code — a class code, or a printed slip's personal code — names no district, so its
// lookup first reads the code's district from a reference table (code_districts,
// slip_code_districts; #19 line 3), then asks that district only. codeHomes keeps the districts
// already read for the life of the process, so that a respondent's every page after the first
// sends one statement, as before codes were routed. An entry only routes: the lookup in the
// district is the check, so a stale one (a slip code deleted by a reprint) still answers
// "unknown"; codeHome then reads once more in case the code moved. Only codes found are kept, so
// guessing cannot fill the cache, and it is emptied when it reaches codeHomesMax.

// codeHomesMax bounds the cache: about 100 bytes an entry, 10 MB at most.
const codeHomesMax = 100_000

type codeHomes struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *codeHomes) get(key string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[key]
	return d, ok
}

func (c *codeHomes) put(key string, district int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= codeHomesMax {
		c.m = make(map[string]int64)
	}
	c.m[key] = district
}

func (c *codeHomes) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// codeHome finds the district of a typed code: key names it in the cache, query and arg read it
// from its reference table. found is false for a code no district holds. lookup asks the code's
// own table in that district and reports whether the code was there; when a cached district
// answers no, the district is read again and asked once more.
func (s *Service) codeHome(db *gorm.DB, key, query string, arg any, lookup func(district int64) (bool, error)) (found bool, err error) {
	if d, ok := s.homes.get(key); ok {
		if found, err := lookup(d); err != nil || found {
			return found, err
		}
		s.homes.drop(key)
	}
	var ids []int64
	if err := db.Raw(query, arg).Scan(&ids).Error; err != nil {
		return false, fmt.Errorf("look up code: %w", err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	found, err = lookup(ids[0])
	if found {
		s.homes.put(key, ids[0])
	}
	return found, err
}
