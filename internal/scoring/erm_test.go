package scoring

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The eRm fixture: data sets simulated here, calibrated once by R's eRm::RSM
// (testdata/erm_reference.R.txt, converted to centred locations and
// thresholds as MEASUREMENT.md §3.2 explains) and stored as JSON, so CI
// compares with a standard CML implementation without having R.
//
// To regenerate (needs R with eRm and psych, e.g. Debian r-cran-erm):
//
//	go test ./internal/scoring -run TestERMReference -write-erm-data
//	cd internal/scoring/testdata && Rscript erm_reference.R.txt
var writeERMData = flag.Bool("write-erm-data", false, "rewrite the eRm fixture's CSV data sets from the simulator")

type ermSet struct {
	Persons    int       `json:"persons"`
	Items      []string  `json:"items"`
	Location   []float64 `json:"location"`
	LocationSE []float64 `json:"location_se"`
	Thresholds []float64 `json:"thresholds"`
	CondLogLik float64   `json:"cond_loglik"`
	Alpha      float64   `json:"alpha"`
	Patterns   int       `json:"patterns"`
}

var ermSpecs = map[string]simSpec{
	"erm_complete.csv": {persons: 2500, delta: simDelta8, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, seed: 2026},
	"erm_missing.csv":  {persons: 2500, delta: simDelta8, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, missing: 0.05, seed: 2027},
	// A 4-of-8 rotating form: 70 missing patterns, half of every row missing.
	"erm_form4.csv": {persons: 2500, delta: simDelta8, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, form: 4, seed: 2028},
}

func TestERMReference(t *testing.T) {
	if *writeERMData {
		for name, spec := range ermSpecs {
			m, _ := simulate(spec)
			var b bytes.Buffer
			b.WriteString("id")
			for _, it := range m.Items {
				b.WriteString("," + it)
			}
			b.WriteByte('\n')
			for n, row := range m.Data {
				b.WriteString(m.Persons[n])
				for _, x := range row {
					b.WriteByte(',')
					if x != Missing {
						fmt.Fprint(&b, x)
					}
				}
				b.WriteByte('\n')
			}
			if err := os.WriteFile(filepath.Join("testdata", name), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Log("data written; now run Rscript erm_reference.R.txt in testdata")
		return
	}
	raw, err := os.ReadFile("testdata/erm_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]ermSet
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref) != len(ermSpecs) {
		t.Fatalf("fixture has %d data sets, want %d", len(ref), len(ermSpecs))
	}
	for name, want := range ref {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := ReadMatrixCSV(f, name, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Persons) != want.Persons || len(m.Persons) < 2000 || len(m.Items) != len(want.Items) {
				t.Fatalf("data %d×%d, fixture %d×%d", len(m.Persons), len(m.Items), want.Persons, len(want.Items))
			}
			c, err := Calibrate(m)
			if err != nil {
				t.Fatal(err)
			}
			// Issue tolerances: 0.03 logits per location, 0.05 per threshold.
			// Both programs maximise the same likelihood, so the real
			// differences are far smaller; they are logged for the record.
			var dLoc, dTau, dSE float64
			for i, it := range c.Items {
				if it.ID != want.Items[i] {
					t.Fatalf("item %d is %s, fixture %s", i, it.ID, want.Items[i])
				}
				d := math.Abs(it.Location - want.Location[i])
				dLoc = math.Max(dLoc, d)
				if d > 0.03 {
					t.Errorf("item %s location %.5f, eRm %.5f", it.ID, it.Location, want.Location[i])
				}
				ds := math.Abs(it.SE - want.LocationSE[i])
				dSE = math.Max(dSE, ds)
				if ds > 0.001 {
					t.Errorf("item %s SE %.5f, eRm %.5f", it.ID, it.SE, want.LocationSE[i])
				}
			}
			for k, v := range c.Thresholds {
				d := math.Abs(v - want.Thresholds[k])
				dTau = math.Max(dTau, d)
				if d > 0.05 {
					t.Errorf("τ_%d %.5f, eRm %.5f", k+1, v, want.Thresholds[k])
				}
			}
			// Same likelihood: ours at eRm's estimates equals eRm's reported
			// maximum, and ours at our estimates is at least as high.
			llERM := condLogLik(t, m, want.Location, want.Thresholds)
			locs := make([]float64, len(c.Items))
			for i, it := range c.Items {
				locs[i] = it.Location
			}
			llOurs := condLogLik(t, m, locs, c.Thresholds)
			if math.Abs(llERM-want.CondLogLik) > 1e-3 {
				t.Errorf("conditional log-likelihood at eRm's estimates %.5f, eRm reports %.5f", llERM, want.CondLogLik)
			}
			if llOurs < llERM-1e-6 {
				t.Errorf("our maximum %.6f is below eRm's %.6f", llOurs, llERM)
			}
			if math.Abs(c.Alpha-want.Alpha) > 1e-6 {
				t.Errorf("alpha %.6f, psych::alpha %.6f", c.Alpha, want.Alpha)
			}
			t.Logf("%s: max |Δ location| %.2g, max |Δ threshold| %.2g, max |Δ SE| %.2g, ℓ ours−eRm %.2g, α %.4f vs %.4f",
				name, dLoc, dTau, dSE, llOurs-llERM, c.Alpha, want.Alpha)
		})
	}
}

// condLogLik evaluates the package's conditional log-likelihood at given
// centred parameters.
func condLogLik(t *testing.T, m Matrix, delta, tau []float64) float64 {
	t.Helper()
	a := aggregate(m)
	pr := &cmlProblem{I: a.I, K: a.K, m: a.K - 1}
	pr.setup(a)
	full := append(append([]float64(nil), delta...), tau...)
	ll, ok := pr.eval(full, make([]float64, len(full)))
	if !ok {
		t.Fatal("log-likelihood not finite")
	}
	return ll
}
