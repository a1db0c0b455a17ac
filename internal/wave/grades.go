package wave

import (
	"cmp"
	"strconv"
	"strings"
)

// gradeRank orders OneRoster grade values by age: IT, PR, PK, TK, KG, 01…13, PS. Text order
// would put "03" before "KG". Ungraded, "Other" and values we do not know sort after every grade.
func gradeRank(g string) int {
	switch strings.ToUpper(strings.TrimSpace(g)) {
	case "IT":
		return -4
	case "PR":
		return -3
	case "PK":
		return -2
	case "TK":
		return -1
	case "KG", "K":
		return 0
	case "PS":
		return 14
	}
	if n, err := strconv.Atoi(strings.TrimSpace(g)); err == nil && n >= 1 && n <= 13 {
		return n
	}
	return 100
}

// YoungestGrade is the grade of the youngest child among grades (empty values ignored); ties and
// unknown values fall back to text order so the choice is the same every time.
func YoungestGrade(grades []string) string {
	best := ""
	for _, g := range grades {
		if g == "" {
			continue
		}
		if best == "" || cmp.Or(cmp.Compare(gradeRank(g), gradeRank(best)), strings.Compare(g, best)) < 0 {
			best = g
		}
	}
	return best
}
