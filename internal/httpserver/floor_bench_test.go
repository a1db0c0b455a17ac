package httpserver_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// BenchmarkSubmissionDatabaseFloor sends only the database round trips of one submission, the
// statements BenchmarkSubmission's server sends (as PostgreSQL's statement log shows them), straight
// through pgx with prepared statements and 16 clients: no HTTP, no templates, no gorm. Whatever the
// server does on top, it cannot go faster than this on the same machine.
//
//   - every-request: what the server does. A link lookup starts each of the 12 requests, then the
//     opened mark, 4 page saves and the submit transaction: 26 round trips.
//   - writes-only: as if a cache answered the 6 GETs after the intro (item pages, review,
//     thank-you) and only the intro and the POSTs looked the link up: 20 round trips. The server
//     keeps no such cache (another instance, or a text, may have changed the draft or used the
//     link meanwhile); this shows how little one would buy.
//
// Each reports the whole machine's CPU per submission (both cores; the database runs here too):
// 1,000 submissions a second on 2 cores leaves 2 ms.
func BenchmarkSubmissionDatabaseFloor(b *testing.B) {
	b.Run("every-request", func(b *testing.B) { benchDatabaseFloor(b, true) })
	b.Run("writes-only", func(b *testing.B) { benchDatabaseFloor(b, false) })
}

// The statements as the wave package sends them (wave.tokenQuery, savePage, submit).
const (
	floorLookup = "SELECT i.*, p.survey_opt_out AS opted_out, d.district_id, d.owner, d.wave_id, d.school_id, d.answers, d.comment," +
		" d.page, d.language, d.submitted, d.updated_at FROM invitations i JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id" +
		" LEFT JOIN drafts d ON d.district_id = i.district_id AND d.owner = 'i:' || CAST(i.id AS TEXT) WHERE i.token_hash = $1 LIMIT 1"
	floorSave = `INSERT INTO drafts (district_id, owner, wave_id, school_id, answers, comment, page, language, submitted, updated_at)
		VALUES ($1,$2,$3,$4,$5,'',$6,'en',false,$7) ON CONFLICT (district_id, owner) DO UPDATE SET answers = excluded.answers,
		comment = excluded.comment, page = excluded.page, language = excluded.language, updated_at = excluded.updated_at WHERE drafts.submitted = false`
	floorOpened  = "UPDATE invitations SET opened_at = $1 WHERE district_id = $2 AND id = $3 AND opened_at IS NULL"
	floorClaim   = "UPDATE invitations SET completed_at = $1 WHERE district_id = $2 AND id = $3 AND completed_at IS NULL"
	floorPerson  = "SELECT * FROM people WHERE district_id = $1 AND id = $2 LIMIT 1"
	floorRespond = `INSERT INTO responses (district_id, id, wave_id, school_id, language, answers, comment, subgroups)
		VALUES ($1,$2,$3,$4,'en','0123012301230','','{"gender":"F","grade":"07","response_language":"en"}')`
	floorCalibrations = "SELECT * FROM calibrations WHERE district_id = $1 AND instrument_id = 'student-pulse' AND version = 1"
	floorScores       = `INSERT INTO scores (district_id, response_id, measure_id, wave_id, school_id, n_answered, raw, favorable, logit, se, score, category)
		VALUES ($1,$2,'a',$3,$4,4,6,2,0,0,50,2), ($1,$2,'b',$3,$4,4,6,2,0,0,50,2), ($1,$2,'c',$3,$4,4,6,2,0,0,50,2), ($1,$2,'d',$3,$4,1,1,0,0,0,50,2)`
	floorPending = "INSERT INTO rollup_pending (district_id, response_id, wave_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING"
	floorMarker  = `INSERT INTO drafts (district_id, owner, wave_id, school_id, answers, comment, page, language, submitted, updated_at)
		VALUES ($1,$2,$3,$4,'','',0,'',true,$5) ON CONFLICT (district_id, owner) DO UPDATE SET answers = '', comment = '', page = 0,
		language = '', submitted = true, updated_at = excluded.updated_at`
)

func benchDatabaseFloor(b *testing.B, lookupOnGET bool) {
	bw := newBenchWorld(b, b.N+16)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.URL(b)+"&pool_max_conns=20") // the server's pool size (store.Open)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	d, w := bw.district, bw.wave
	bw.respondents(b, concurrentClients, func(token string) {
		hash := wave.HashToken(token)
		var inv, person, school int64
		lookup := func() {
			rows, err := pool.Query(ctx, floorLookup, hash)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				v, err := rows.Values() // i.* starts district_id, id, wave_id, person_id, school_id
				if err != nil {
					b.Fatal(err)
				}
				inv, person, school = v[1].(int64), v[3].(int64), v[4].(int64)
			}
			if rows.Err() != nil || inv == 0 {
				b.Fatalf("look up link: %v", rows.Err())
			}
		}
		get := func() {
			if lookupOnGET {
				lookup()
			}
		}
		must := func(_ any, err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		now := time.Now().UTC().Truncate(time.Second)
		lookup() // intro
		owner := "i:" + itoa(int(inv))
		must(pool.Exec(ctx, floorOpened, now, d, inv))
		for p := 1; p <= 4; p++ {
			get()
			lookup()
			must(pool.Exec(ctx, floorSave, d, owner, w, school, "0123012301230", p+1, now))
		}
		get() // review
		lookup()
		tx, err := pool.Begin(ctx)
		must(nil, err)
		must(tx.Exec(ctx, floorClaim, now, d, inv))
		must(tx.Exec(ctx, floorPerson, d, person))
		id := store.NewID()
		must(tx.Exec(ctx, floorRespond, d, id, w, school))
		must(tx.Exec(ctx, floorCalibrations, d))
		must(tx.Exec(ctx, floorScores, d, id, w, school))
		must(tx.Exec(ctx, floorPending, d, id, w))
		must(tx.Exec(ctx, floorMarker, d, owner, w, school, now))
		must(nil, tx.Commit(ctx))
		get() // thank-you
	})
	// Every op stored one response and used one invitation: the round trips did real work.
	var responses, used int64
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM responses WHERE district_id = $1 AND wave_id = $2),
		(SELECT count(*) FROM invitations WHERE district_id = $1 AND wave_id = $2 AND opened_at IS NOT NULL AND completed_at IS NOT NULL)`, d, w).
		Scan(&responses, &used)
	if err != nil {
		b.Fatal(err)
	}
	if responses != int64(b.N) || used != int64(b.N) {
		b.Fatalf("%d responses stored and %d invitations used for %d submissions", responses, used, b.N)
	}
}

// machineBusy is the whole machine's busy CPU time so far (user, nice, system, irq and softirq
// in /proc/stat), in clock ticks of 10 ms: the benchmarks' database runs in other processes.
func machineBusy(b *testing.B) float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatalf("machine CPU time: %v", err)
	}
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	var sum float64
	for _, i := range []int{1, 2, 3, 6, 7} {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			b.Fatalf("machine CPU time: /proc/stat: %v", err)
		}
		sum += v
	}
	return sum
}
