// Package surveys holds the instrument definitions, one YAML file per instrument.
package surveys

import "embed"

// FS is every instrument file, embedded so one binary is a complete deployment.
//
//go:embed *.yaml
var FS embed.FS
