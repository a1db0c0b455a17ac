package sms

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"short GSM", "Hello", 1},
		{"160 GSM", strings.Repeat("a", 160), 1},
		{"161 GSM", strings.Repeat("a", 161), 2},
		{"306 GSM", strings.Repeat("a", 306), 2},
		{"307 GSM", strings.Repeat("a", 307), 3},
		{"GSM accents stay GSM", strings.Repeat("é", 160), 1},
		{"extension chars cost two", strings.Repeat("€", 80), 1},
		{"extension chars over", strings.Repeat("€", 81), 2},
		{"one curly quote makes UCS-2", strings.Repeat("a", 69) + "’", 1},
		{"71 UCS-2", strings.Repeat("a", 70) + "’", 2},
		{"134 UCS-2", strings.Repeat("á", 134), 2},
		{"135 UCS-2", strings.Repeat("á", 135), 3},
		{"Spanish í is not GSM", "Envíe", 1},
		{"CJK", strings.Repeat("问", 70), 1},
		{"CJK over", strings.Repeat("问", 71), 2},
		{"emoji counts two units", strings.Repeat("😀", 35), 1},
		{"emoji over", strings.Repeat("😀", 36), 2},
		{"Arabic", strings.Repeat("س", 67*2), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Segments(tt.text); got != tt.want {
				t.Errorf("Segments(%q…) = %d, want %d", firstRunes(tt.text, 10), got, tt.want)
			}
		})
	}
}

func TestIsGSM(t *testing.T) {
	if !IsGSM("Reply STOP to opt out: {}[]€") || IsGSM("don’t") || IsGSM("Envíe") {
		t.Fatal("IsGSM misclassifies")
	}
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
