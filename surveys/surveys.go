// Package surveys holds the instrument definitions, one YAML file per instrument.
package surveys

import "embed"

// FS is every instrument file and the translation reviews (reviewed/), embedded so one binary is
// a complete deployment.
//
//go:embed *.yaml reviewed
var FS embed.FS
