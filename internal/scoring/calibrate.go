package scoring

import "fmt"

// ItemParam is one item's calibrated location with its fit.
type ItemParam struct {
	ID       string  `json:"id"`
	Location float64 `json:"location"` // δ_i, logits; locations sum to 0
	SE       float64 `json:"se"`       // from the CML information matrix under the sum-zero constraint
	Infit    float64 `json:"infit"`    // information-weighted mean-square (§7)
	Outfit   float64 `json:"outfit"`   // unweighted mean-square (§7)
}

// Calibration is a fitted rating scale model: what later waves are scored
// against with Person.
type Calibration struct {
	NPersons          int         `json:"n_persons"` // respondents with at least one answer
	K                 int         `json:"categories"`
	Items             []ItemParam `json:"items"`
	Thresholds        []float64   `json:"thresholds"` // τ_1..τ_{K-1}, sum 0
	Alpha             float64     `json:"alpha"`
	PersonReliability float64     `json:"person_reliability"`
}

// pattern gathers everyone who answered the same set of items. CML
// conditions on the raw score within a pattern (§3.2, §5), so after one pass
// over the data every later computation runs over patterns × scores instead
// of persons.
type pattern struct {
	items  []int   // answered item indices, ascending
	max    int     // highest raw score, len(items)·(K-1)
	n      []int   // persons by raw score 0..max
	cnt    []int32 // persons by (raw, position j, category): index (r·len(items)+j)·K+x
	sum    []int64 // Σ answer by position j, for α
	cross  []int64 // Σ x_j·x_l by position pair j ≤ l (index j·len(items)+l), for α
	total  int     // persons in the pattern
	nonExt int     // persons whose raw score is neither 0 nor max
	theta  []float64
	se     []float64
}

// Calibrate fits the Andrich rating scale model to m by conditional maximum
// likelihood and reports item fit, α and person reliability (§3–§7).
//
// Conditioning on each missing pattern's raw score removes the person
// parameters, so item estimates are consistent even on 4–8 item forms where
// joint ML is biased outward (§3.3). Persons with an extreme raw score carry no
// information about items under CML and are left out of it, but they do get a
// finite WLE and enter reliability and fit.
func Calibrate(m Matrix) (Calibration, error) {
	if err := m.Validate(); err != nil {
		return Calibration{}, err
	}
	if len(m.Items) < 2 {
		return Calibration{}, inputErr("", "one item; calibration needs at least 2")
	}
	agg := aggregate(m)
	if err := agg.checkEstimable(m.Items); err != nil {
		return Calibration{}, err
	}
	est, err := agg.fitCML()
	if err != nil {
		return Calibration{}, fmt.Errorf("scoring: calibrating %d items: %w", len(m.Items), err)
	}
	cal := Calibration{
		NPersons:   agg.persons,
		K:          m.K,
		Items:      make([]ItemParam, len(m.Items)),
		Thresholds: est.tau,
	}
	for i, id := range m.Items {
		cal.Items[i] = ItemParam{ID: id, Location: est.delta[i], SE: est.se[i]}
	}
	agg.personsAndFit(&cal)
	cal.Alpha = agg.alpha()
	return cal, nil
}

type aggregates struct {
	I, K     int
	pats     []*pattern
	persons  int
	answered []int // per item
	catAll   []int // per item × category, everyone
	catCML   []int // per item × category, non-extreme persons only
}

// aggregate makes the single pass over persons: everything later is computed
// from these counts.
func aggregate(m Matrix) *aggregates {
	I, K := len(m.Items), m.K
	a := &aggregates{I: I, K: K, answered: make([]int, I), catAll: make([]int, I*K), catCML: make([]int, I*K)}
	index := make(map[string]int)
	key := make([]byte, (I+7)/8)
	xs := make([]int64, I)
	for _, row := range m.Data {
		clear(key)
		r, n := 0, 0
		for i, x := range row {
			if x != Missing {
				key[i>>3] |= 1 << (i & 7)
				r += int(x)
				n++
			}
		}
		if n == 0 {
			continue
		}
		pi, ok := index[string(key)]
		if !ok {
			pi = len(a.pats)
			index[string(key)] = pi
			a.pats = append(a.pats, newPattern(row, K))
		}
		p := a.pats[pi]
		p.n[r]++
		p.total++
		base := r * n
		j := 0
		for _, x := range row {
			if x == Missing {
				continue
			}
			p.cnt[(base+j)*K+int(x)]++
			xs[j] = int64(x)
			p.sum[j] += int64(x)
			j++
		}
		for j := 0; j < n; j++ {
			xj := xs[j]
			if xj == 0 {
				continue
			}
			c := p.cross[j*n : (j+1)*n]
			for l := j; l < n; l++ {
				c[l] += xj * xs[l]
			}
		}
	}
	for _, p := range a.pats {
		a.persons += p.total
		n := len(p.items)
		for r := 0; r <= p.max; r++ {
			extreme := r == 0 || r == p.max
			if !extreme {
				p.nonExt += p.n[r]
			}
			for j, i := range p.items {
				for x := 0; x < K; x++ {
					c := int(p.cnt[(r*n+j)*K+x])
					a.catAll[i*K+x] += c
					a.answered[i] += c
					if !extreme {
						a.catCML[i*K+x] += c
					}
				}
			}
		}
	}
	return a
}

func newPattern(row []int8, K int) *pattern {
	p := &pattern{}
	for i, x := range row {
		if x != Missing {
			p.items = append(p.items, i)
		}
	}
	n := len(p.items)
	p.max = n * (K - 1)
	p.n = make([]int, p.max+1)
	p.cnt = make([]int32, (p.max+1)*n*K)
	p.sum = make([]int64, n)
	p.cross = make([]int64, n*n)
	return p
}

// checkEstimable rejects data for which the CML estimates do not exist
// (they run off to ±∞) with a message a survey analyst can act on.
func (a *aggregates) checkEstimable(items []string) error {
	if a.persons < MinPersons {
		return inputErr("", "%d respondents answered at least one item; calibration needs at least %d", a.persons, MinPersons)
	}
	for i, id := range items {
		if a.answered[i] == 0 {
			return inputErr(id, "nobody answered it")
		}
		used, usedCML, only := 0, 0, 0
		for x := 0; x < a.K; x++ {
			if a.catAll[i*a.K+x] > 0 {
				used++
				only = x
			}
			if a.catCML[i*a.K+x] > 0 {
				usedCML++
			}
		}
		if used < 2 {
			return inputErr(id, "no variance: all %d answers are %d", a.answered[i], only)
		}
		if usedCML < 2 {
			return inputErr(id, "answers vary only among respondents with all-lowest or all-highest answers; its location cannot be estimated")
		}
	}
	for x := 0; x < a.K; x++ {
		n := 0
		for i := 0; i < a.I; i++ {
			n += a.catCML[i*a.K+x]
		}
		if n == 0 {
			return inputErr("", "category %d is never chosen (apart from all-lowest or all-highest answer strings); the thresholds cannot be estimated", x)
		}
	}
	return nil
}

// personsAndFit computes WLE for every (pattern, raw score) — each distinct
// pair once, however many persons share it — then person reliability from
// all respondents (extremes included, §6) and infit/outfit from the
// per-(pattern, score, item, category) counts (§7).
func (a *aggregates) personsAndFit(cal *Calibration) {
	K := a.K
	w := make([]float64, K)
	prob := make([]float64, K)
	categoryWeights(cal.Thresholds, w)
	delta := make([]float64, a.I)
	for i, it := range cal.Items {
		delta[i] = it.Location
	}
	infNum := make([]float64, a.I)
	infDen := make([]float64, a.I)
	outSum := make([]float64, a.I)
	nAns := make([]float64, a.I)
	locs := make([]float64, 0, a.I)
	var sumTheta, sumVar float64
	for _, p := range a.pats {
		locs = locs[:0]
		for _, i := range p.items {
			locs = append(locs, delta[i])
		}
		p.theta = make([]float64, p.max+1)
		p.se = make([]float64, p.max+1)
		n := len(p.items)
		for r := 0; r <= p.max; r++ {
			np := p.n[r]
			if np == 0 {
				continue
			}
			theta, se := wle(locs, w, r, wleStart(locs, K-1, r), prob)
			p.theta[r], p.se[r] = theta, se
			fn := float64(np)
			sumTheta += fn * theta
			sumVar += fn * se * se
			for j, i := range p.items {
				e, v, _, _ := itemMoments(theta-delta[i], w, prob)
				infDen[i] += fn * v
				cnt := p.cnt[(r*n+j)*K : (r*n+j+1)*K]
				for x, c := range cnt {
					if c == 0 {
						continue
					}
					d := float64(x) - e
					sq := float64(c) * d * d
					infNum[i] += sq
					outSum[i] += sq / v
					nAns[i] += float64(c)
				}
			}
		}
	}
	for i := range cal.Items {
		cal.Items[i].Infit = infNum[i] / infDen[i]
		cal.Items[i].Outfit = outSum[i] / nAns[i]
	}
	// Reliability = (observed variance − mean error variance) / observed variance, eRm's
	// SepRel formula applied to WLE of everyone (§6). Second pass for the variance
	// to avoid cancellation in Σθ² − (Σθ)²/N.
	N := float64(a.persons)
	mean := sumTheta / N
	ss := 0.0
	for _, p := range a.pats {
		for r, np := range p.n {
			if np > 0 {
				d := p.theta[r] - mean
				ss += float64(np) * d * d
			}
		}
	}
	if N > 1 && ss > 0 {
		obs := ss / (N - 1)
		cal.PersonReliability = (obs - sumVar/N) / obs
	}
}

// alpha is Cronbach's α from the pairwise-complete covariance matrix, as
// psych::alpha computes it by default (§6): each covariance uses the persons
// who answered both items, with their own means; each variance all who
// answered the item. Pairs that were never answered together (or by one
// person only) contribute a covariance of 0, where psych would give NA.
func (a *aggregates) alpha() float64 {
	I := a.I
	pn := make([]int64, I*I)
	s1 := make([]int64, I*I)
	s2 := make([]int64, I*I)
	s12 := make([]int64, I*I)
	for _, p := range a.pats {
		n := len(p.items)
		t := int64(p.total)
		for j, ia := range p.items {
			for l := j; l < n; l++ {
				k := ia*I + p.items[l]
				pn[k] += t
				s1[k] += p.sum[j]
				s2[k] += p.sum[l]
				s12[k] += p.cross[j*n+l]
			}
		}
	}
	var trace, total float64
	for ia := 0; ia < I; ia++ {
		for ib := ia; ib < I; ib++ {
			k := ia*I + ib
			if pn[k] < 2 {
				continue
			}
			nn := float64(pn[k])
			c := (float64(s12[k]) - float64(s1[k])*float64(s2[k])/nn) / (nn - 1)
			if ia == ib {
				trace += c
				total += c
			} else {
				total += 2 * c
			}
		}
	}
	if total <= 0 {
		// Undefined (no total-score variance); 0 keeps JSON encodable and reads as "no consistency".
		return 0
	}
	k := float64(I)
	return k / (k - 1) * (1 - trace/total)
}
