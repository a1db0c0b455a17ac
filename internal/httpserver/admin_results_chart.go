package httpserver

import (
	"math"
	"strconv"
	"time"

	"github.com/trustpulse/trustpulse/internal/report"
)

// The charts are inline SVG laid out here, in a 360-unit-wide view box so that on a phone one
// unit is about one pixel and the labels stay legible; on a laptop the browser scales them up.
// Every chart has a real table next to it, so nothing is said by the picture alone.

const (
	chartW, chartH               = 360, 236
	plotLeft, plotRight          = 34, 12
	plotTop, plotH               = 10, 150
	barW, barH                   = 360, 36
	chartScaleMin, chartScaleMax = 0.0, 100.0
)

// trendChart is one measure's scores across waves: points, 95% interval bars, band shading.
type trendChart struct {
	ID, Title, Desc string
	W, H            int
	Bands           []chartBand
	Grid            []chartGrid
	Points          []chartPoint
	Lines           []chartLine
	Labels          []chartLabel
	Targets         []chartTargetLine
	AxisX1, AxisX2  float64
	AxisY, PlotW    float64
	TickX           float64
}

type chartBand struct {
	Y, H  float64
	Class string
}

type chartGrid struct {
	Y     float64
	Label string
}

type chartPoint struct {
	X, Y, Lo, Hi float64
	CapL, CapR   float64 // ends of the interval's caps
}

type chartLine struct{ X1, Y1, X2, Y2 float64 }

type chartLabel struct {
	X, Y float64
	Text string
}

// chartScale is the part of the 0–100 scale a chart shows: fitted to its data (#16 line 3) so a
// change of five points is visible, never narrower than chartMinSpan, in steps of 5.
type chartScale struct{ Min, Max float64 }

const chartMinSpan = 30.0

// fitScale is the shown range for values from lo to hi (NaN when there is none: the whole scale).
func fitScale(lo, hi float64) chartScale {
	if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
		return chartScale{chartScaleMin, chartScaleMax}
	}
	mn, mx := math.Floor((lo-3)/5)*5, math.Ceil((hi+3)/5)*5
	for mx-mn < chartMinSpan {
		mn, mx = mn-5, mx+5
	}
	if mn < chartScaleMin {
		mx, mn = math.Min(chartScaleMax, mx+(chartScaleMin-mn)), chartScaleMin
	}
	if mx > chartScaleMax {
		mn, mx = math.Max(chartScaleMin, mn-(mx-chartScaleMax)), chartScaleMax
	}
	return chartScale{mn, mx}
}

func (sc chartScale) y(v float64) float64 {
	v = math.Max(sc.Min, math.Min(sc.Max, v))
	return plotTop + (sc.Max-v)/(sc.Max-sc.Min)*plotH
}

// ticks are the grid values: the scale's ends and every step inside it.
func (sc chartScale) ticks(step float64) []float64 {
	out := []float64{sc.Min}
	for v := math.Floor(sc.Min/step)*step + step; v < sc.Max-step/4; v += step {
		if v-sc.Min >= step/4 {
			out = append(out, v)
		}
	}
	return append(out, sc.Max)
}

// chartValue is one wave's mark: the figure and its 95% interval (NaN ends: none), or hidden.
type chartValue struct {
	V, Lo, Hi float64
	Hidden    bool
}

// chartTarget is a goal's target drawn across the chart (#15 line 4): a dashed line at Value,
// labelled at its right end. Its words are in the chart's description and beside the chart.
type chartTarget struct {
	Value float64
	Label string
}

type chartTargetLine struct {
	Y, LabelX, LabelY float64
	Label             string
}

// newTrendChart lays out the trend of measure index m, with any goal targets on it. A wave whose
// result is hidden gets a wave label and no mark, and the line breaks there.
func (d dash) newTrendChart(id, title string, measure string, m int, points []report.TrendPoint, targets []chartTarget) trendChart {
	c, _ := d.wd.Cuts(measure)
	cuts := []float64{chartScaleMin, c[0], c[1], c[2], c[3], chartScaleMax}
	desc := d.T("trend.chart_desc")
	// A single-item measure is charted as % favorable (also 0–100), with no bands to shade.
	single := d.singleItem(measure)
	if single {
		desc, cuts = d.T("headline.chart_desc_fav"), nil
	}
	vals := make([]chartValue, len(points))
	waves := make([]time.Time, len(points))
	for i, p := range points {
		st := p.Measures[m]
		waves[i] = p.Wave.OpensAt
		vals[i] = chartValue{V: st.Mean, Lo: st.CILow, Hi: st.CIHigh, Hidden: st.Suppressed}
		if single {
			vals[i].V, vals[i].Lo, vals[i].Hi = st.Favorable, st.FavLow, st.FavHigh
		}
	}
	return d.seriesChart(id, title, desc, d.waveLabels(waves), vals, cuts, targets)
}

// seriesChart lays out one series of 0–100 figures, one per wave label, shading the bands
// between cuts (nil: no bands) and drawing targets. The axis fits the marks and the targets.
func (d dash) seriesChart(id, title, desc string, labels []string, vals []chartValue, cuts []float64, targets []chartTarget) trendChart {
	ch := trendChart{ID: id, Title: title, Desc: desc, W: chartW, H: chartH,
		AxisX1: plotLeft, AxisX2: chartW - plotRight, AxisY: plotTop + plotH, PlotW: chartW - plotRight - plotLeft, TickX: plotLeft - 4}
	lo, hi := math.NaN(), math.NaN()
	widen := func(l, h float64) {
		if math.IsNaN(lo) || l < lo {
			lo = l
		}
		if math.IsNaN(hi) || h > hi {
			hi = h
		}
	}
	for _, v := range vals {
		if v.Hidden || math.IsNaN(v.V) {
			continue
		}
		l, h := v.Lo, v.Hi
		if math.IsNaN(l) || math.IsNaN(h) {
			l, h = v.V, v.V
		}
		widen(l, h)
	}
	for _, t := range targets {
		widen(t.Value, t.Value)
	}
	sc := fitScale(lo, hi)
	chartY := sc.y
	ch.Desc += " " + d.T("compare.axis_range", "Min", strconv.FormatFloat(sc.Min, 'f', 0, 64), "Max", strconv.FormatFloat(sc.Max, 'f', 0, 64))
	for i := 0; i+1 < len(cuts); i++ {
		if cuts[i+1] <= sc.Min || cuts[i] >= sc.Max {
			continue // a band outside the shown range
		}
		top, bottom := chartY(cuts[i+1]), chartY(cuts[i])
		ch.Bands = append(ch.Bands, chartBand{Y: top, H: bottom - top, Class: "band" + id64(int64(i))})
	}
	step := 10.0
	if sc.Max-sc.Min > 60 {
		step = 25
	}
	for _, v := range sc.ticks(step) {
		ch.Grid = append(ch.Grid, chartGrid{Y: chartY(v), Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	for _, t := range targets {
		y := chartY(t.Value)
		ch.Targets = append(ch.Targets, chartTargetLine{Y: y, LabelX: ch.AxisX2 - 2, LabelY: y - 3, Label: t.Label})
		ch.Desc += " " + t.Label + "."
	}
	n := len(vals)
	// The first point sits far enough in that its slanted wave label does not run off the left.
	const padLeft, padRight = 40, 14
	inner := float64(chartW-plotLeft-plotRight) - padLeft - padRight
	var prev *chartPoint
	for i, v := range vals {
		x := float64(plotLeft) + padLeft + inner/2
		if n > 1 {
			x = float64(plotLeft) + padLeft + inner*float64(i)/float64(n-1)
		}
		ch.Labels = append(ch.Labels, chartLabel{X: x, Y: plotTop + plotH + 12, Text: labels[i]})
		if v.Hidden || math.IsNaN(v.V) {
			prev = nil
			continue
		}
		pt := chartPoint{X: x, Y: chartY(v.V), Lo: chartY(v.Lo), Hi: chartY(v.Hi), CapL: x - 4, CapR: x + 4}
		if math.IsNaN(v.Lo) || math.IsNaN(v.Hi) {
			pt.Lo, pt.Hi = pt.Y, pt.Y
		}
		if prev != nil {
			ch.Lines = append(ch.Lines, chartLine{X1: prev.X, Y1: prev.Y, X2: pt.X, Y2: pt.Y})
		}
		ch.Points = append(ch.Points, pt)
		prev = &ch.Points[len(ch.Points)-1]
	}
	return ch
}

// waveLabels names the trend's waves on the axis by when they opened ("Jul 2026"): the waves of
// one trend share an instrument and usually a name prefix, so their names, cut to fit, would all
// read alike. Two waves opening in the same month are told apart by the full date. The table
// beside the chart has the names whole.
func (d dash) waveLabels(opens []time.Time) []string {
	months := map[string]int{}
	for _, t := range opens {
		months[t.Format("2006-01")]++
	}
	out := make([]string, len(opens))
	for i, t := range opens {
		out[i] = d.T("month."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
		if months[t.Format("2006-01")] > 1 {
			out[i] = t.Format("2006-01-02")
		}
	}
	return out
}

// distBar is the stacked bar of a result's distribution over the five bands.
type distBar struct {
	Title    string
	W, H     int
	Segments []distSegment
}

type distSegment struct {
	X, W   float64
	Class  string
	Label  string
	LabelX float64
}

func (d dash) newDistBar(title string, dist [5]float64) distBar {
	b := distBar{Title: title, W: barW, H: barH}
	x := 0.0
	for i, pct := range dist {
		if math.IsNaN(pct) || pct <= 0 {
			continue
		}
		w := pct / 100 * barW
		seg := distSegment{X: x, W: w, Class: "band" + id64(int64(i)), LabelX: x + w/2}
		if w >= 34 {
			seg.Label = d.num(pct) + "%"
		}
		b.Segments = append(b.Segments, seg)
		x += w
	}
	return b
}
