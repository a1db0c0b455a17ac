// Package refusal is a use case's "no", worded for the person filling the form: the field at
// fault, the message's ID in the staff catalog (locales/dashboard-refusals.<tag>.toml) with its
// placeholders, and the English sentence. Capability packages return it; internal/httpserver
// words it in the page's language when it renders the form, so the business rules stay in their
// package and the domain never returns translated text (STYLE habit 5, miniflux's
// locale.LocalizedError).
package refusal

// Error is one refusal. Msg is the English sentence: what Error() says (logs, the CLI) and what
// a page shows when the catalog lacks ID.
type Error struct {
	Field string         // the form field at fault; "" when the refusal is about the whole form
	ID    string         // the message in the staff catalog
	Data  map[string]any // the message's placeholders; "Count" also picks the plural form
	Msg   string
}

// New is a refusal of field with message id, English text msg and placeholders kv (name, value,
// name, value…).
func New(field, id, msg string, kv ...any) *Error {
	e := &Error{Field: field, ID: id, Msg: msg}
	if len(kv) > 0 {
		e.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			name, _ := kv[i].(string)
			e.Data[name] = kv[i+1]
		}
	}
	return e
}

// Error is "field: sentence", or the sentence alone when no field is at fault.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// On is the same refusal for another field (a check shared by several fields).
func (e *Error) On(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// Of is r as an error of kind, a package's sentinel (auth.ErrInvalid, report.ErrSettings…):
// errors.Is(err, kind) holds, errors.As still finds r for the page, and it reads
// "<kind>: <English sentence>", as the command line and the logs print it.
func Of(kind error, r *Error) error { return &kindError{kind, r} }

type kindError struct {
	kind error
	r    *Error
}

func (e *kindError) Error() string   { return e.kind.Error() + ": " + e.r.Msg }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.r} }
