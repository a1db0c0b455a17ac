package wave

// Test hooks for the pure parts that take their randomness or data as arguments.
var (
	NewCodeFrom = newCode
	GradeRank   = gradeRank
)
