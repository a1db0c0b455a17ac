package report

import "github.com/trustpulse/trustpulse/internal/refusal"

// refusedError is a refused reporting setting or reference value: it is its kind (ErrSettings or
// ErrReference, errors.Is) and carries the refusal the staff pages word in their language
// (errors.As to *refusal.Error; its messages are in locales/dashboard-refusals-report.<tag>.toml).
// It reads "<kind>: <English sentence>", as the command line and the logs print it.
type refusedError struct {
	kind error
	r    *refusal.Error
}

func (e *refusedError) Error() string   { return e.kind.Error() + ": " + e.r.Msg }
func (e *refusedError) Unwrap() []error { return []error{e.kind, e.r} }

// refused is refusal r as an error of kind (ErrSettings or ErrReference).
func refused(kind error, r *refusal.Error) error { return &refusedError{kind, r} }
