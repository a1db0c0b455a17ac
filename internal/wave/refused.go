package wave

import (
	"strings"

	"github.com/trustpulse/trustpulse/internal/refusal"
)

// refused is a refusal of the lifecycle (ErrTransition) or the conflict of two changes
// (ErrConflict): it reads as the package has always worded it (text, for logs and the command
// line), is the sentinel it names (errors.Is), and carries the refusal the staff pages word in
// their language (errors.As to *refusal.Error; its messages are in
// locales/dashboard-refusals-wave.<tag>.toml), whose English is the sentence a page shows.
type refused struct {
	text string
	is   error // ErrTransition, or nil for ErrConflict itself
	r    *refusal.Error
}

func (e *refused) Error() string { return e.text }

func (e *refused) Unwrap() []error {
	if e.is == nil {
		return []error{e.r}
	}
	return []error{e.is, e.r}
}

// refuse is a lifecycle refusal with message id and English fragment msg ("this wave is already
// closed"), placeholders kv (see refusal.New): the error reads "wave change refused: <msg>"; the
// page's English sentence is msg with a capital and a full stop.
func refuse(id, msg string, kv ...any) error {
	return &refused{text: ErrTransition.Error() + ": " + msg, is: ErrTransition, r: refusal.New("", id, sentence(msg), kv...)}
}

// sentence is a fragment as a sentence for a page: a capital first letter and one full stop.
func sentence(msg string) string {
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return strings.TrimSuffix(msg, ".") + "."
}

// invalid is a refused wave spec with message id, English text msg and placeholders kv: it reads
// "create wave: <msg>", and a page shows msg as it stands (the form has always shown it so).
func invalid(id, msg string, kv ...any) *refusal.Error {
	return refusal.New("", id, msg, kv...)
}
