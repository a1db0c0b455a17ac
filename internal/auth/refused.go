package auth

import "github.com/trustpulse/trustpulse/internal/refusal"

// invalidError is a refused form: it is ErrInvalid (errors.Is) and carries the refusal the
// staff pages word in their language (errors.As to *refusal.Error; its messages are in
// locales/dashboard-refusals-auth.<tag>.toml). It reads "invalid input: <English sentence>", as
// the command line prints it.
type invalidError struct{ r *refusal.Error }

func (e *invalidError) Error() string   { return ErrInvalid.Error() + ": " + e.r.Msg }
func (e *invalidError) Unwrap() []error { return []error{ErrInvalid, e.r} }

// invalid refuses field with message id, English sentence msg and placeholders kv (see
// refusal.New).
func invalid(field, id, msg string, kv ...any) error {
	return &invalidError{refusal.New(field, id, msg, kv...)}
}
