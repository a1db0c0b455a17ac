package store_test

import (
	"testing"

	"github.com/trustpulse/trustpulse/internal/testdb"
)

// The embedded default fsyncs every commit before it returns (synchronous=FULL: an answer that
// got its thank-you page survives a power cut) and zeroes deleted content (secure_delete: mixed
// ballots and submitted drafts leave no bytes behind), on every pooled connection.
func TestSQLiteCommitsAreDurableAndDeletesZeroed(t *testing.T) {
	st := testdb.SQLite(t)
	db := st.SQL()
	db.SetMaxIdleConns(4)
	for range 4 { // several connections of the pool, each opened with the pragmas
		conn, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var sync, secure int
		if err := conn.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(t.Context(), "PRAGMA secure_delete").Scan(&secure); err != nil {
			t.Fatal(err)
		}
		if sync != 2 || secure != 1 {
			t.Fatalf("synchronous = %d (want 2, FULL), secure_delete = %d (want 1)", sync, secure)
		}
	}
}
