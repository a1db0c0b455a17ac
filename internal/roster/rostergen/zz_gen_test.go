package rostergen

import (
	"os"
	"testing"
	"time"
)

func TestGenLarge(t *testing.T) {
	dir := os.Getenv("TP_GEN_DIR")
	if dir == "" {
		return
	}
	st, err := Write(dir, Large(SchoolYearOf(time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)
}
