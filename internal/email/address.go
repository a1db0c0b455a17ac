package email

import (
	"net/mail"
	"strings"
)

// ValidAddress reports whether a is one bare address (no display name, no line breaks) a mail
// can be sent to: roster data never reaches an SMTP command or header unchecked.
func ValidAddress(a string) bool {
	if a == "" || len(a) > 254 || strings.ContainsAny(a, "\r\n<>,; \t") {
		return false
	}
	p, err := mail.ParseAddress(a)
	return err == nil && p.Address == a && p.Name == ""
}
