package report

// CompareValues orders an attribute's groups as the results pages do: grades numerically, text
// alphabetically, "not recorded" last. Other packages listing groups (internal/success) use it
// so every page shows groups in one order.
func CompareValues(a, b string) int { return compareValues(a, b) }
