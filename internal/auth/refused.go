package auth

import "github.com/trustpulse/trustpulse/internal/refusal"

// invalid refuses field with message id, English sentence msg and placeholders kv (see
// refusal.New): the error is ErrInvalid and carries the refusal the staff pages word in their
// language (its messages are in locales/dashboard-refusals-auth.<tag>.toml). It reads "invalid
// input: <English sentence>", as the command line prints it.
func invalid(field, id, msg string, kv ...any) error {
	return refusal.Of(ErrInvalid, refusal.New(field, id, msg, kv...))
}
