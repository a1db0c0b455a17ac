// Package reportgen fills a PostgreSQL database with a large synthetic district of scored
// responses, for the results benchmarks. Rows are made by the database itself (generate_series),
// since a million responses sent one by one would take longer than the benchmark.
// The answers and scores are plausible, not consistent with each other: the benchmarks time
// reading rollups, which never look at answers.
package reportgen

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// Options size the district.
type Options struct {
	Schools, Waves, Responses int
}

// District is what was made.
type District struct {
	ID      int64
	Schools []int64
	Waves   []int64 // oldest first
}

// Generate makes a district with Schools schools, Waves closed student waves a month apart and
// Responses scored responses spread evenly over them, with student subgroup snapshots.
func Generate(ctx context.Context, st *store.Store, in *survey.Instrument, opt Options) (District, error) {
	if st.Dialect != config.Postgres {
		return District{}, fmt.Errorf("reportgen needs PostgreSQL")
	}
	now := st.Now()
	d := District{ID: store.NewID()}
	db := st.DB.WithContext(ctx)
	if err := store.CreateDistrict(db, &store.District{DistrictID: d.ID, Slug: fmt.Sprintf("bench-%d", d.ID), Name: "Bench District", MinGroupSize: 10,
		Settings: store.Attrs{}, CreatedAt: now, UpdatedAt: now}); err != nil {
		return d, err
	}
	for i := range opt.Schools {
		id := store.NewID()
		d.Schools = append(d.Schools, id)
		if err := db.Create(&store.School{DistrictID: d.ID, ID: id, SourcedID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("School %02d", i),
			TimeZone: "America/Chicago", Active: true, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			return d, err
		}
	}
	if err := db.Create(&store.Instrument{DistrictID: d.ID, InstrumentID: in.ID, Version: in.Version, Audience: string(in.Audience), CreatedAt: now}).Error; err != nil {
		return d, err
	}
	start := now.AddDate(0, -opt.Waves, 0)
	for i := range opt.Waves {
		opens := start.AddDate(0, i, 0)
		w := store.Wave{DistrictID: d.ID, ID: store.NewID(), Name: "Student pulse " + opens.Format("January 2006"), InstrumentID: in.ID,
			InstrumentVersion: in.Version, Audience: string(in.Audience), AudienceFilter: store.Attrs{}, Mode: store.ModeAnonymous, Channels: "link",
			Status: store.StatusClosed, OpensAt: opens, ClosesAt: opens.AddDate(0, 0, 14), CreatedAt: now, UpdatedAt: now}
		if err := db.Create(&w).Error; err != nil {
			return d, err
		}
		for _, s := range d.Schools {
			if err := db.Create(&store.WaveSchool{DistrictID: d.ID, WaveID: w.ID, SchoolID: s}).Error; err != nil {
				return d, err
			}
		}
		d.Waves = append(d.Waves, w.ID)
	}
	// Response g goes to wave g mod W and school (g / W) mod S; its id is a base plus g. Subgroup
	// shares roughly follow a real district: a few percent non-binary, 15 % English learners.
	err := db.Exec(`INSERT INTO responses (district_id, id, wave_id, school_id, language, answers, subgroups)
		SELECT ?, ? + g, (?::bigint[])[1 + g % ?], (?::bigint[])[1 + (g / ?) % ?], 'en',
			translate(substr(md5(g::text), 1, ?), '0123456789abcdef', '0123012301230123'),
			json_build_object(
				'grade', (3 + g % 10)::text,
				'gender', CASE WHEN random() < 0.03 THEN 'nonbinary' WHEN random() < 0.5 THEN 'female' ELSE 'male' END,
				'race_ethnicity', (ARRAY['white','hispanic_latino','black','asian','two_or_more','american_indian'])[1 + (random() * 5.4)::int],
				'english_learner', CASE WHEN random() < 0.15 THEN 'yes' ELSE 'no' END,
				'disability', CASE WHEN random() < 0.14 THEN 'yes' ELSE 'no' END,
				'low_income', CASE WHEN random() < 0.45 THEN 'yes' ELSE 'no' END,
				'home_language', (ARRAY['en','en','en','es','es','zh-Hans','vi','ar'])[1 + (random() * 7)::int],
				'response_language', CASE WHEN random() < 0.85 THEN 'en' ELSE 'es' END)::text
		FROM generate_series(0, ? - 1) AS g`,
		d.ID, d.ID%1_000_000_000, pgArray(d.Waves), len(d.Waves), pgArray(d.Schools), len(d.Waves), len(d.Schools), len(in.Items), opt.Responses).Error
	if err != nil {
		return d, fmt.Errorf("generate responses: %w", err)
	}
	for _, m := range in.Measures {
		err := db.Exec(`INSERT INTO scores (district_id, response_id, measure_id, wave_id, school_id, n_answered, raw, favorable, logit, se, score, category)
			SELECT district_id, id, ?, wave_id, school_id, 3, 5, f, (s - 50) / 10, 0.6, s,
				CASE WHEN s < 35 THEN 0 WHEN s < 45 THEN 1 WHEN s < 55 THEN 2 WHEN s < 65 THEN 3 ELSE 4 END
			FROM (SELECT district_id, id, wave_id, school_id, (random() * 4)::int AS f,
				LEAST(100, GREATEST(0, 55 + 12 * (random() + random() + random() - 1.5) * 2)) AS s
				FROM responses WHERE district_id = ?) r`, m.ID, d.ID).Error
		if err != nil {
			return d, fmt.Errorf("generate scores for %s: %w", m.ID, err)
		}
	}
	return d, db.Exec("ANALYZE").Error
}

// pgArray is an int64 slice as a PostgreSQL array literal (GORM would expand a slice into a list).
func pgArray(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "{" + strings.Join(parts, ",") + "}"
}
