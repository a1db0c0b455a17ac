package scoring

import (
	"bytes"
	"fmt"
	"testing"
)

var delta12 = []float64{-1.3, -1.0, -0.7, -0.45, -0.25, -0.1, 0.1, 0.3, 0.5, 0.75, 0.95, 1.2}

// BenchmarkCalibrate100kx12: 100,000 persons × 12 items, K = 4, 5 % missing
// at random (about 500 missing patterns). Issue budget: ≤ 250 ms/op, ≤ 200 MB.
func BenchmarkCalibrate100kx12(b *testing.B) {
	m, _ := simulate(simSpec{persons: 100_000, delta: delta12, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, missing: 0.05, seed: 42})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Calibrate(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPerson scores one 12-item response. Issue budget: ≤ 20 µs/op.
func BenchmarkPerson(b *testing.B) {
	c := Calibration{K: 4, Thresholds: simTau3}
	for i, d := range delta12 {
		c.Items = append(c.Items, ItemParam{ID: string(rune('a' + i)), Location: d})
	}
	answers := []int8{3, 2, 2, 1, Missing, 2, 3, 1, 0, 2, 1, 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Person(answers); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalibrateCSV50kx8 is the in-process work of `score calibrate` on
// 50,000 persons × 8 items (parse + calibrate); the issue asks for the whole
// command to finish well under 0.1 s.
func BenchmarkCalibrateCSV50kx8(b *testing.B) {
	m, _ := simulate(simSpec{persons: 50_000, delta: simDelta8, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, missing: 0.05, seed: 50})
	var buf bytes.Buffer
	buf.WriteString("id,q1,q2,q3,q4,q5,q6,q7,q8\n")
	for n, row := range m.Data {
		buf.WriteString(m.Persons[n])
		for _, x := range row {
			buf.WriteByte(',')
			if x != Missing {
				fmt.Fprint(&buf, x)
			}
		}
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		parsed, err := ReadMatrixCSV(bytes.NewReader(data), "bench.csv", 4)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Calibrate(parsed); err != nil {
			b.Fatal(err)
		}
	}
}
