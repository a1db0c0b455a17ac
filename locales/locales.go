// Package locales holds the go-i18n message files for the UI and SMS texts.
package locales

import "embed"

// FS holds active.<lang>.toml for every shipped locale and locales.toml (locale metadata).
//
//go:embed *.toml
var FS embed.FS
