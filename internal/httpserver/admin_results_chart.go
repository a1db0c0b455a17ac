package httpserver

import (
	"math"
	"strconv"

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

// newTrendChart lays out the trend of measure index m. A wave whose result is hidden gets a wave
// label and no mark, and the line breaks there.
func (d dash) newTrendChart(id, title string, measure string, m int, points []report.TrendPoint) trendChart {
	ch := trendChart{ID: id, Title: title, Desc: d.T("trend.chart_desc"), W: chartW, H: chartH,
		AxisX1: plotLeft, AxisX2: chartW - plotRight, AxisY: plotTop + plotH, PlotW: chartW - plotRight - plotLeft, TickX: plotLeft - 4}
	c, _ := d.wd.Cuts(measure)
	cuts := []float64{chartScaleMin, c[0], c[1], c[2], c[3], chartScaleMax}
	// A single-item measure is charted as % favorable (also 0–100), with no bands to shade.
	single := d.singleItem(measure)
	value := func(st report.Stat) (v, lo, hi float64) { return st.Mean, st.CILow, st.CIHigh }
	if single {
		ch.Desc = d.T("headline.chart_desc_fav")
		value = func(st report.Stat) (v, lo, hi float64) { return st.Favorable, st.FavLow, st.FavHigh }
		cuts = []float64{chartScaleMin, 25, 50, 75, chartScaleMax}
	}
	lo, hi := math.NaN(), math.NaN()
	for _, p := range points {
		st := p.Measures[m]
		v, l, h := value(st)
		if st.Suppressed || math.IsNaN(v) {
			continue
		}
		if math.IsNaN(l) || math.IsNaN(h) {
			l, h = v, v
		}
		if math.IsNaN(lo) || l < lo {
			lo = l
		}
		if math.IsNaN(hi) || h > hi {
			hi = h
		}
	}
	sc := fitScale(lo, hi)
	chartY := sc.y
	ch.Desc += " " + d.T("compare.axis_range", "Min", strconv.FormatFloat(sc.Min, 'f', 0, 64), "Max", strconv.FormatFloat(sc.Max, 'f', 0, 64))
	for i := 0; i+1 < len(cuts) && !single; i++ {
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
	n := len(points)
	// The first point sits far enough in that its slanted wave label does not run off the left.
	const padLeft, padRight = 40, 14
	inner := float64(chartW-plotLeft-plotRight) - padLeft - padRight
	labels := d.waveLabels(points)
	var prev *chartPoint
	for i, p := range points {
		x := float64(plotLeft) + padLeft + inner/2
		if n > 1 {
			x = float64(plotLeft) + padLeft + inner*float64(i)/float64(n-1)
		}
		ch.Labels = append(ch.Labels, chartLabel{X: x, Y: plotTop + plotH + 12, Text: labels[i]})
		st := p.Measures[m]
		v, lo, hi := value(st)
		if st.Suppressed || math.IsNaN(v) {
			prev = nil
			continue
		}
		pt := chartPoint{X: x, Y: chartY(v), Lo: chartY(lo), Hi: chartY(hi), CapL: x - 4, CapR: x + 4}
		if math.IsNaN(lo) || math.IsNaN(hi) {
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
func (d dash) waveLabels(points []report.TrendPoint) []string {
	months := map[string]int{}
	for _, p := range points {
		months[p.Wave.OpensAt.Format("2006-01")]++
	}
	out := make([]string, len(points))
	for i, p := range points {
		t := p.Wave.OpensAt
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
