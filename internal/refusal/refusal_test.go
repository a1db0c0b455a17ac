package refusal

import (
	"errors"
	"testing"
)

func TestOf(t *testing.T) {
	kind := errors.New("invalid input")
	r := New("name", "refusal.x.name", "Give it a name.")
	err := Of(kind, r)
	var got *Error
	if !errors.Is(err, kind) || !errors.As(err, &got) || got != r {
		t.Fatalf("Of: Is %v, As %v", errors.Is(err, kind), got)
	}
	if err.Error() != "invalid input: Give it a name." {
		t.Errorf("reads %q", err.Error())
	}
	if r.On("other").Error() != "other: Give it a name." || New("", "id", "Whole form.").Error() != "Whole form." {
		t.Error("Error() of a refusal")
	}
}
