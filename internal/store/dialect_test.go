package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestDialects_SameMigrations: every migration number exists in both
// dialects under the same name, so both schemas mean the same.
func TestDialects_SameMigrations(t *testing.T) {
	names := func(d dialect) []string {
		n, err := fs.Glob(d.migrations(), "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sq, pg := names(sqliteDialect{}), names(postgresDialect{})
	if !slices.Equal(sq, pg) {
		t.Errorf("migrations differ: sqlite %v, postgres %v", sq, pg)
	}
}

func TestPostgresTSQuery(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"OneWordIsPrefix", "tom", "tom:*"},
		{"LastWordIsPrefix", "ferme chat", "ferme & chat:*"},
		{"OperatorsAreSeparators", "eggs & !ham | (bacon):* <-> 'x'", "eggs & ham & bacon & x:*"},
		{"Hyphen", "free-range", "free & range:*"},
		{"Accents kept for the SQL fold", "Château", "Château:*"},
		{"Digits", "jar 340g", "jar & 340g:*"},
		{"CombiningAccentDropped", "cre\u0301me frai\u0302che", "creme & fraiche:*"},
		{"Nothing", " -- !! ", ""},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postgresTSQuery(tt.in); got != tt.want {
				t.Errorf("postgresTSQuery(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	long := ""
	for range 40 {
		long += "word "
	}
	if got := postgresTSQuery(long); len(got) > 16*len("word & ")+2 {
		t.Errorf("postgresTSQuery(40 words) = %q, want at most %d words", got, maxSearchTerms)
	}
}

func TestTakePoolSize(t *testing.T) {
	tests := []struct {
		name, in, wantURL string
		wantN             int
		wantErr           bool
	}{
		{"Absent", "postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", 0, false},
		{"Taken", "postgres://u@h/db?pool_max_conns=5&sslmode=disable", "postgres://u@h/db?sslmode=disable", 5, false},
		{"Zero", "postgres://u@h/db?pool_max_conns=0", "", 0, true},
		{"NotANumber", "postgres://u@h/db?pool_max_conns=many", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := takePoolSize(tt.in)
			if (err != nil) != tt.wantErr || got != tt.wantURL || n != tt.wantN {
				t.Errorf("takePoolSize(%q) = %q, %d, %v; want %q, %d, error %v", tt.in, got, n, err, tt.wantURL, tt.wantN, tt.wantErr)
			}
		})
	}
}

// TestPostgresTranslate_ClosedConnIsUnavailable: a statement on a pooled
// connection that the server or the network closed never reaches the
// server (pgx's "conn closed"); it is 503 unavailable, not a 500 (seen in
// TestOutage_Postgres under load).
func TestPostgresTranslate_ClosedConnIsUnavailable(t *testing.T) {
	base := os.Getenv("FPR_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("FPR_REQUIRE_POSTGRES") == "1" {
			t.Fatal("FPR_REQUIRE_POSTGRES=1 but FPR_TEST_POSTGRES_URL is not set")
		}
		t.Skip("FPR_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SELECT 1").ReadAll()
	if err == nil {
		t.Fatal("a statement on a closed connection succeeded")
	}
	got := (postgresDialect{}).translate(fmt.Errorf("find products: %w", err))
	if fpr.ErrorCode(got) != fpr.CodeUnavailable {
		t.Errorf("translate(%v) = %v, want unavailable", err, got)
	}
}

// TestSQLite_WriteConnectionSettings: the write connection runs with the
// settings its throughput depends on (writePragmas), and both pools with
// the durability of every connection.
func TestSQLite_WriteConnectionSettings(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pool   *sql.DB
		pragma string
		want   int
	}{
		{db.write, "wal_autocheckpoint", walCheckpointPages},
		{db.write, "cache_size", -writeCacheKiB},
		{db.write, "temp_store", 2},  // MEMORY
		{db.write, "synchronous", 2}, // FULL
		{db.read, "synchronous", 2},
		{db.read, "cache_size", -readCacheKiB},
		{db.write, "foreign_keys", 1},
	} {
		var got int
		if err := tc.pool.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %d, want %d", tc.pragma, got, tc.want)
		}
	}
}
