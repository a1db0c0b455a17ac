package scoring

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// DIFThreshold is the size, in logits, an item's location must differ between two language groups
// before it is flagged: 0.5 logits is the usual "moderate to large" line for Rasch DIF (Linacre's
// and ETS's C category start near 0.64; 0.5 is the stricter screen the issue asks for).
const DIFThreshold = 0.5

// DIFMinGroup is the smallest language group checked. With fewer respondents an item location's SE
// is about 0.2 logits or more, so a real 0.5 logit difference would rarely be significant and a
// flag would be noise; it also keeps the check far above any privacy floor.
const DIFMinGroup = 100

// DIFAlpha is the family-wise error rate of the significance part of a flag: the per-item z
// criterion is Bonferroni-corrected over the items of the measure, so a clean 8-item measure is
// flagged by chance in about 5% of checks rather than 1 − 0.95⁸ ≈ 34%.
const DIFAlpha = 0.05

// DIFItem is one item compared between a focal language group and the reference group.
type DIFItem struct {
	ID string `json:"id"`
	// Reference and Focal are the item's locations in each group's own calibration, on the
	// reference's scale: the focal locations are shifted so the unflagged (anchor) items have the
	// same mean in both groups.
	Reference float64 `json:"reference"`
	Focal     float64 `json:"focal"`
	// Contrast is Focal − Reference: positive means the item is harder to agree with in the
	// focal language than its neighbours are.
	Contrast float64 `json:"contrast"`
	SE       float64 `json:"se"` // √(SE_ref² + SE_focal²)
	Z        float64 `json:"z"`
	Flagged  bool    `json:"flagged"`
}

// DIFGroup is the check of one focal language against the reference.
type DIFGroup struct {
	Group string    `json:"group"`
	N     int       `json:"n"`
	Items []DIFItem `json:"items"`
}

// Flagged lists the ids of the group's flagged items.
func (g DIFGroup) Flagged() []string {
	var out []string
	for _, it := range g.Items {
		if it.Flagged {
			out = append(out, it.ID)
		}
	}
	return out
}

// DIFResult is a whole check: one reference language, every focal language large enough to check,
// and the languages that were not (too few respondents, or answers that cannot be calibrated on
// their own). Skipped carries no counts: a skipped group may be below the privacy floor.
type DIFResult struct {
	Reference  string     `json:"reference"`
	ReferenceN int        `json:"reference_n"`
	Threshold  float64    `json:"threshold"`
	ZCrit      float64    `json:"z_crit"`
	Groups     []DIFGroup `json:"groups"`
	Skipped    []string   `json:"skipped"`
}

// ErrDIFNoReference means no language group is large enough to be the reference of a DIF check.
var ErrDIFNoReference = errors.New("scoring: no language group large enough for a DIF check")

// GroupDIF checks every item of m for differential functioning by group (the response language):
// each group with at least DIFMinGroup respondents is calibrated on its own by CML, and its item
// locations are compared with the reference group's after re-centring on the items that are not
// flagged (FlagDIF). groups[n] is person n's group. ref names the reference group (English, the
// language the items were written in); when it is too small the largest group is used instead.
//
// Separate calibration is the Rasch approach of Wright & Stone (the "DIF contrast" with its
// √(SE₁²+SE₂²) t-test, as in Winsteps): CML conditions on each person's raw score, so a group
// that simply trusts more (impact) shifts every item together and is not DIF; only an item that
// moves against the others is.
func GroupDIF(m Matrix, groups []string, ref string) (DIFResult, error) {
	if err := m.Validate(); err != nil {
		return DIFResult{}, err
	}
	if len(groups) != len(m.Data) {
		return DIFResult{}, inputErr("", "%d group labels for %d rows of answers", len(groups), len(m.Data))
	}
	if len(m.Items) < 2 {
		return DIFResult{}, inputErr("", "one item; a DIF check needs at least 2")
	}
	rows := map[string][][]int8{}
	for n, g := range groups {
		rows[g] = append(rows[g], m.Data[n])
	}
	names := make([]string, 0, len(rows))
	for g := range rows {
		names = append(names, g)
	}
	// Largest first, then by name: the fallback reference and the output order are deterministic.
	sort.Slice(names, func(a, b int) bool {
		if len(rows[names[a]]) != len(rows[names[b]]) {
			return len(rows[names[a]]) > len(rows[names[b]])
		}
		return names[a] < names[b]
	})
	cals := map[string]Calibration{}
	var skipped []string
	for _, g := range names {
		if len(rows[g]) < DIFMinGroup {
			skipped = append(skipped, g)
			continue
		}
		cal, err := Calibrate(Matrix{Items: m.Items, K: m.K, Data: rows[g]})
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				// e.g. an item nobody in this language agreed with: not estimable on its own.
				skipped = append(skipped, g)
				continue
			}
			return DIFResult{}, fmt.Errorf("scoring: DIF calibration of group %q: %w", g, err)
		}
		cals[g] = cal
	}
	if _, ok := cals[ref]; !ok {
		ref = ""
		for _, g := range names {
			if _, ok := cals[g]; ok {
				ref = g
				break
			}
		}
		if ref == "" {
			return DIFResult{}, ErrDIFNoReference
		}
	}
	// By name, not size: the order must not tell which small language group is larger.
	sort.Strings(skipped)
	zcrit := normalQuantile(1 - DIFAlpha/(2*float64(len(m.Items))))
	res := DIFResult{Reference: ref, ReferenceN: len(rows[ref]), Threshold: DIFThreshold, ZCrit: zcrit, Skipped: skipped}
	rc := cals[ref]
	for _, g := range names {
		fc, ok := cals[g]
		if !ok || g == ref {
			continue
		}
		d := make([]float64, len(m.Items))
		se := make([]float64, len(m.Items))
		for i := range m.Items {
			d[i] = fc.Items[i].Location - rc.Items[i].Location
			se[i] = math.Hypot(fc.Items[i].SE, rc.Items[i].SE)
		}
		shift, flags := FlagDIF(d, se, DIFThreshold, zcrit)
		grp := DIFGroup{Group: g, N: len(rows[g]), Items: make([]DIFItem, len(m.Items))}
		for i, id := range m.Items {
			c := d[i] - shift
			grp.Items[i] = DIFItem{
				ID: id, Reference: rc.Items[i].Location, Focal: fc.Items[i].Location - shift,
				Contrast: c, SE: se[i], Z: c / se[i], Flagged: flags[i],
			}
		}
		res.Groups = append(res.Groups, grp)
	}
	return res, nil
}

// FlagDIF decides which items differ: d[i] is the focal minus reference location of item i (each
// calibration centred on its own items), se[i] its standard error. An item is flagged when its
// re-centred contrast is at least threshold in size and |contrast|/se ≥ zcrit.
//
// Both calibrations are centred on all items, so one item with DIF drags the centre and gives
// every other item a small spurious contrast of the opposite sign. FlagDIF purifies: it flags,
// re-centres on the unflagged items (the anchors), and repeats until the flags stop changing.
// If fewer than two anchors would remain, the anchor set is not trustworthy and the previous
// pass's centring and flags are kept. It returns the shift subtracted from every d and the flags.
func FlagDIF(d, se []float64, threshold, zcrit float64) (shift float64, flags []bool) {
	flags = make([]bool, len(d))
	flag := func(shift float64) ([]bool, int) {
		out, anchors := make([]bool, len(d)), 0
		for i := range d {
			c := d[i] - shift
			out[i] = math.Abs(c) >= threshold && se[i] > 0 && math.Abs(c)/se[i] >= zcrit
			if !out[i] {
				anchors++
			}
		}
		return out, anchors
	}
	centre := func(flags []bool) float64 {
		sum, n := 0.0, 0
		for i := range d {
			if !flags[i] {
				sum += d[i]
				n++
			}
		}
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	shift = centre(flags)
	flags, _ = flag(shift)
	// Each pass can only change which items anchor the centre; a handful of passes settles any
	// real measure (8 items), and the bound keeps a pathological input from looping.
	for pass := 0; pass < len(d); pass++ {
		next := centre(flags)
		nf, anchors := flag(next)
		if anchors < 2 {
			return shift, flags
		}
		same := next == shift
		for i := range nf {
			same = same && nf[i] == flags[i]
		}
		shift, flags = next, nf
		if same {
			break
		}
	}
	return shift, flags
}
