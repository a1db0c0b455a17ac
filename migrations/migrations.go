// Package migrations holds the goose SQL migrations, one folder per dialect with matching numbers.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
