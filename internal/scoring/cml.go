package scoring

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// The conditional log-likelihood of the rating scale model (§3.2) depends on
// the data only through
//   - n_ix: how often item i got category x (non-extreme persons), and
//   - N_pr: how many persons of missing pattern p have raw score r,
// because ℓ = Σ_ix n_ix·l_ix − Σ_p Σ_r N_pr·log γ_pr, with item-category
// log-weights l_ix = −x·δ_i − (τ_1+…+τ_x) and γ_pr the elementary symmetric
// function (ESF) of pattern p's items at score r. Each evaluation therefore
// costs O(patterns · items² · K²), independent of the number of persons.
//
// Parameters: δ_1..δ_{I-1} and τ_1..τ_{K-2} are free; δ_I and τ_{K-1} are
// minus the sum of the others, which imposes Σδ = 0 and Στ = 0 exactly.

type cmlEstimate struct {
	delta, se, tau []float64
	iterations     int
}

type cmlProblem struct {
	I, K, m int
	pats    []*pattern // only patterns with non-extreme persons
	nx      []float64  // n_ix
	chunks  [][]*pattern
	work    []*cmlWork
	l, eps  []float64 // l_ix and exp(l_ix − max_x l_ix), per evaluation
	lmax    []float64
	full    []float64
	gfull   []float64
}

// cmlWork is one goroutine's scratch space and partial sums.
type cmlWork struct {
	g      []float64 // Σ_pr N_pr·P(x_i = x | r), per item × category
	ll     float64   // Σ_pr N_pr·log γ_pr (scaled) + scale corrections
	ok     bool
	esf    []float64
	adj    []float64
	adjOld []float64
	acc    []float64
}

func (a *aggregates) fitCML() (cmlEstimate, error) {
	I, K := a.I, a.K
	m := K - 1
	pr := &cmlProblem{I: I, K: K, m: m}
	pr.setup(a)

	P := (I - 1) + (m - 1)
	phi := make([]float64, P)
	pr.start(a, phi)
	g := make([]float64, P)
	ll, ok := pr.evalReduced(phi, g)
	if !ok {
		return cmlEstimate{}, errors.New("conditional likelihood not finite at the starting values")
	}
	info := make([]float64, P*P)
	chol := make([]float64, P*P)
	step := make([]float64, P)
	cand := make([]float64, P)
	gc := make([]float64, P)
	pr.information(phi, g, info)
	fresh := true // info was computed at phi
	moved := 0.0  // largest parameter change since info was computed
	prevStep := math.Inf(1)
	converged := false
	iter := 0
	for ; iter < 200; iter++ {
		copy(step, g)
		if !newtonSolve(info, chol, P, step) {
			return cmlEstimate{}, errors.New("information matrix is singular (are some items never answered together with others?)")
		}
		// Cap the step: from poor starting values a full Newton step can land
		// where the ESFs under- or overflow.
		big := maxAbs(step)
		if big > 2 {
			for k := range step {
				step[k] *= 2 / big
			}
			big = 2
		}
		accepted := false
		t := 1.0
		for ls := 0; ls < 40; ls++ {
			for k := range cand {
				cand[k] = phi[k] + t*step[k]
			}
			llc, ok := pr.evalReduced(cand, gc)
			// Tolerate rounding-level decreases: at the optimum ℓ is flat to
			// about 1e-13 relative and an exact test would reject good steps.
			if ok && llc >= ll-1e-11*math.Abs(ll) {
				ll = llc
				accepted = true
				break
			}
			t /= 2
		}
		if !accepted {
			if fresh {
				return cmlEstimate{}, errors.New("no step increases the conditional likelihood")
			}
			pr.information(phi, g, info)
			fresh, moved = true, 0
			continue
		}
		copy(phi, cand)
		copy(g, gc)
		size := t * big
		moved += size
		fresh = false
		if maxAbs(phi) > 40 {
			return cmlEstimate{}, errors.New("estimates diverge (a parameter passed ±40 logits); the data cannot identify the model")
		}
		if size < 1e-9 {
			converged = true
			break
		}
		// The Hessian changes little near the optimum, so it is reused
		// (chord Newton) and recomputed only when convergence stalls or once
		// close to the optimum so the standard errors come from there.
		if size > prevStep/4 || (moved > 1e-4 && size < 1e-3) {
			pr.information(phi, g, info)
			fresh, moved = true, 0
		}
		prevStep = size
	}
	if !converged {
		return cmlEstimate{}, fmt.Errorf("no convergence after %d Newton iterations", iter)
	}
	if moved > 1e-4 {
		pr.information(phi, g, info)
	}
	copy(chol, info)
	if !cholesky(chol, P) {
		return cmlEstimate{}, errors.New("information matrix is not positive definite at the estimates")
	}
	cov := cholInverse(chol, P)
	est := cmlEstimate{delta: make([]float64, I), se: make([]float64, I), tau: make([]float64, m), iterations: iter + 1}
	full := pr.expand(phi)
	copy(est.delta, full[:I])
	copy(est.tau, full[I:])
	// Var(δ_I) = Var(−Σ free δ) = Σ of the free items' covariance block.
	last := 0.0
	for i := 0; i < I-1; i++ {
		est.se[i] = math.Sqrt(cov[i*P+i])
		for j := 0; j < I-1; j++ {
			last += cov[i*P+j]
		}
	}
	est.se[I-1] = math.Sqrt(last)
	return est, nil
}

// setup sizes the buffers and splits the patterns among goroutines.
func (pr *cmlProblem) setup(a *aggregates) {
	I, K, m := pr.I, pr.K, pr.m
	pr.nx = make([]float64, I*K)
	pr.l, pr.eps, pr.lmax = make([]float64, I*K), make([]float64, I*K), make([]float64, I)
	pr.full, pr.gfull = make([]float64, I+m), make([]float64, I+m)
	for i, c := range a.catCML {
		pr.nx[i] = float64(c)
	}
	work := 0
	for _, p := range a.pats {
		// One-item patterns add exactly as much to the expected as to the
		// observed counts; they stay in so n_ix and the ESF sums match.
		if p.nonExt > 0 {
			pr.pats = append(pr.pats, p)
			n := len(p.items)
			work += n * n * K * m
		}
	}
	// Split across cores only when an evaluation is big enough to repay the
	// goroutine hand-off (hundreds of patterns, as at 100 000 persons).
	workers := 1
	if work > 200_000 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	pr.chunks = splitPatterns(pr.pats, workers)
	esfLen := (I + 1) * (I*m/2 + 1)
	for range pr.chunks {
		pr.work = append(pr.work, &cmlWork{
			g: make([]float64, I*K), esf: make([]float64, esfLen+I*m+1),
			adj: make([]float64, I*m+1), adjOld: make([]float64, I*m+1), acc: make([]float64, K),
		})
	}
}

func splitPatterns(pats []*pattern, parts int) [][]*pattern {
	if parts <= 1 || len(pats) < 2*parts {
		return [][]*pattern{pats}
	}
	// Balance by work (items²) rather than by count: the complete pattern
	// alone can outweigh hundreds of rare ones.
	total := 0
	for _, p := range pats {
		total += len(p.items) * len(p.items)
	}
	out := make([][]*pattern, 0, parts)
	start, acc := 0, 0
	for k, p := range pats {
		acc += len(p.items) * len(p.items)
		if len(out) < parts-1 && acc*parts >= total*(len(out)+1) {
			out = append(out, pats[start:k+1])
			start = k + 1
		}
	}
	return append(out, pats[start:])
}

// start sets the starting values from item means and overall category
// frequencies (PROX-like log-odds); Newton needs only a handful of
// iterations from there.
func (pr *cmlProblem) start(a *aggregates, phi []float64) {
	I, K, m := pr.I, pr.K, pr.m
	full := make([]float64, I+m)
	mean := 0.0
	for i := 0; i < I; i++ {
		s, n := 0.0, 0.0
		for x := 0; x < K; x++ {
			c := float64(a.catCML[i*K+x])
			s += float64(x) * c
			n += c
		}
		p := (s/n)/float64(m)*0.98 + 0.01
		full[i] = math.Log((1 - p) / p)
		mean += full[i]
	}
	for i := 0; i < I; i++ {
		full[i] -= mean / float64(I)
	}
	cat := make([]float64, K)
	for i := 0; i < I; i++ {
		for x := 0; x < K; x++ {
			cat[x] += float64(a.catCML[i*K+x])
		}
	}
	tmean := 0.0
	for k := 1; k <= m; k++ {
		full[I+k-1] = math.Log((cat[k-1] + 0.5) / (cat[k] + 0.5))
		tmean += full[I+k-1]
	}
	for k := 1; k <= m; k++ {
		full[I+k-1] -= tmean / float64(m)
	}
	copy(phi[:I-1], full[:I-1])
	copy(phi[I-1:], full[I:I+m-1])
}

// expand maps the free parameters to (δ_1..δ_I, τ_1..τ_m).
func (pr *cmlProblem) expand(phi []float64) []float64 {
	I, m := pr.I, pr.m
	full := pr.full
	s := 0.0
	for i := 0; i < I-1; i++ {
		full[i] = phi[i]
		s += phi[i]
	}
	full[I-1] = -s
	s = 0
	for k := 0; k < m-1; k++ {
		full[I+k] = phi[I-1+k]
		s += phi[I-1+k]
	}
	full[I+m-1] = -s
	return full
}

// evalReduced returns ℓ and its gradient with respect to the free parameters.
func (pr *cmlProblem) evalReduced(phi, g []float64) (float64, bool) {
	I, m := pr.I, pr.m
	full := pr.expand(phi)
	ll, ok := pr.eval(full, pr.gfull)
	gf := pr.gfull
	for i := 0; i < I-1; i++ {
		g[i] = gf[i] - gf[I-1]
	}
	for k := 0; k < m-1; k++ {
		g[I-1+k] = gf[I+k] - gf[I+m-1]
	}
	return ll, ok
}

// information fills info with the negative Hessian of ℓ in the free
// parameters by forward differences of the analytic gradient. With P ≈ 13
// parameters that is P extra gradient evaluations, cheaper here than the
// second-order ESFs an analytic Hessian needs for every item pair.
func (pr *cmlProblem) information(phi, g, info []float64) {
	P := len(phi)
	const h = 1e-5
	gh := make([]float64, P)
	for j := 0; j < P; j++ {
		old := phi[j]
		phi[j] = old + h
		pr.evalReduced(phi, gh)
		phi[j] = old
		for i := 0; i < P; i++ {
			info[i*P+j] = -(gh[i] - g[i]) / h
		}
	}
	for i := 0; i < P; i++ {
		for j := 0; j < i; j++ {
			v := (info[i*P+j] + info[j*P+i]) / 2
			info[i*P+j], info[j*P+i] = v, v
		}
	}
}

// newtonSolve overwrites b with info⁻¹·b, adding a small ridge when info is
// not positive definite (far from the optimum, or through rounding in the
// finite differences) so the step still points uphill.
func newtonSolve(info, chol []float64, P int, b []float64) bool {
	ridge := 0.0
	trace := 0.0
	for i := 0; i < P; i++ {
		trace += math.Abs(info[i*P+i])
	}
	for attempt := 0; attempt < 30; attempt++ {
		copy(chol, info)
		for i := 0; i < P; i++ {
			chol[i*P+i] += ridge
		}
		if cholesky(chol, P) {
			cholSolve(chol, P, b)
			return true
		}
		if ridge == 0 {
			ridge = 1e-8 * trace / float64(P)
		} else {
			ridge *= 10
		}
	}
	return false
}

// eval computes ℓ and its gradient with respect to full = (δ_1..δ_I, τ_1..τ_m).
func (pr *cmlProblem) eval(full, grad []float64) (float64, bool) {
	I, K, m := pr.I, pr.K, pr.m
	delta, tau := full[:I], full[I:]
	// Each item's weights are divided by their largest so ESFs of many items
	// stay inside float64 range; the scale comes back through lmax.
	for i := 0; i < I; i++ {
		t, hi := 0.0, math.Inf(-1)
		for x := 0; x < K; x++ {
			if x > 0 {
				t += tau[x-1]
			}
			v := -float64(x)*delta[i] - t
			pr.l[i*K+x] = v
			hi = math.Max(hi, v)
		}
		pr.lmax[i] = hi
		for x := 0; x < K; x++ {
			pr.eps[i*K+x] = math.Exp(pr.l[i*K+x] - hi)
		}
	}
	if len(pr.work) == 1 {
		pr.work[0].run(pr, pr.chunks[0])
	} else {
		var wg sync.WaitGroup
		for k, w := range pr.work {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.run(pr, pr.chunks[k])
			}()
		}
		wg.Wait()
	}
	ll := 0.0
	for k, v := range pr.nx {
		ll += v * pr.l[k]
	}
	clear(grad)
	for _, w := range pr.work {
		if !w.ok {
			return math.NaN(), false
		}
		ll -= w.ll
	}
	for i := 0; i < I; i++ {
		cum := 0.0 // Σ_{x ≥ k} of (observed − expected), built from the top category down
		for x := m; x >= 0; x-- {
			e := 0.0
			for _, w := range pr.work {
				e += w.g[i*K+x]
			}
			d := pr.nx[i*K+x] - e
			// ∂l_ix/∂δ_i = −x; ∂l_ix/∂τ_k = −1 for k ≤ x.
			grad[i] -= float64(x) * d
			if x > 0 {
				cum += d
				grad[I+x-1] -= cum
			}
		}
	}
	return ll, !math.IsNaN(ll) && !math.IsInf(ll, 0)
}

// run adds its patterns' Σ_r N_r·log γ_r and expected category counts.
//
// The ESF of a pattern is built item by item by the summation algorithm:
// γ^(j) = γ^(j−1) ∗ ε_j (a convolution over scores), stable because it only
// adds positive numbers. The expected counts E[#(x_i = x) | r] are the
// derivatives of Σ_r N_r·log γ_r, obtained by running the same recursion
// backwards (reverse-mode differentiation): one forward and one backward pass
// per pattern instead of one ESF per left-out item.
func (w *cmlWork) run(pr *cmlProblem, pats []*pattern) {
	K, m := pr.K, pr.m
	clear(w.g)
	w.ll, w.ok = 0, true
	for _, p := range pats {
		n := len(p.items)
		// Forward: esf holds γ^(0..n) back to back; γ^(j) has j·m+1 entries.
		esf := w.esf
		esf[0] = 1
		off := 0 // start of γ^(j−1)
		for j := 1; j <= n; j++ {
			L := (j-1)*m + 1
			prev := esf[off : off+L]
			cur := esf[off+L : off+L+L+m]
			clear(cur)
			e := pr.eps[p.items[j-1]*K : p.items[j-1]*K+K]
			for t, pv := range prev {
				c := cur[t : t+K]
				for x, ex := range e {
					c[x] += pv * ex
				}
			}
			off += L
		}
		gamma := esf[off : off+n*m+1]
		scale := 0.0
		for _, i := range p.items {
			scale += pr.lmax[i]
		}
		adj := w.adj[:p.max+1]
		for r := range adj {
			adj[r] = 0
			if r == 0 || r == p.max || p.n[r] == 0 {
				continue
			}
			gr := gamma[r]
			if !(gr > 0) || math.IsInf(gr, 0) {
				w.ok = false
				return
			}
			nr := float64(p.n[r])
			w.ll += nr * (math.Log(gr) + scale)
			adj[r] = nr / gr
		}
		// Backward: adj is ∂(Σ N_r log γ_r)/∂γ^(j); peel items off from the last.
		for j := n; j >= 1; j-- {
			L := (j-1)*m + 1
			off -= L
			prev := esf[off : off+L]
			i := p.items[j-1]
			e := pr.eps[i*K : i*K+K]
			acc := w.acc
			clear(acc)
			next := w.adjOld[:L]
			for t, pv := range prev {
				a := adj[t : t+K]
				s := 0.0
				for x, ex := range e {
					s += a[x] * ex
					acc[x] += a[x] * pv
				}
				next[t] = s
			}
			g := w.g[i*K : i*K+K]
			for x, ex := range e {
				g[x] += ex * acc[x]
			}
			w.adj, w.adjOld = w.adjOld, w.adj
			adj = next
		}
	}
}
