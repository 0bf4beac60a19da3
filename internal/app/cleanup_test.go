package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

func TestCleanupOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.OpenDB(t, storetest.SQLite)
	u := &fpr.User{Email: "ann@example.org", DisplayName: "Ann"}
	if err := db.CreateUser(ctx, u, "hash"); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-48 * time.Hour)
	db.Now = func() time.Time { return past }
	if _, err := db.CreateSession(ctx, "old", u.ID, fpr.SessionAPI, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveIdempotent(ctx, "s", "k", "h", fpr.IdempotentResponse{Status: 422, Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Now().UTC() }
	if _, err := db.CreateSession(ctx, "live", u.ID, fpr.SessionAPI, time.Hour); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	cleanupOnce(ctx, db, slog.New(slog.NewTextHandler(&logs, nil)))
	if !strings.Contains(logs.String(), "sessions=1") || !strings.Contains(logs.String(), "idempotency_keys=1") {
		t.Errorf("cleanup log = %q, want sessions=1 and idempotency_keys=1", logs.String())
	}
	if _, _, err := db.FindSession(ctx, "live"); err != nil {
		t.Errorf("cleanup removed a live session: %v", err)
	}
}

// TestStartCleanup_Stops: stop returns once the loop has ended.
func TestStartCleanup_Stops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.OpenDB(t, storetest.SQLite)
	stop := startCleanup(ctx, db, slog.New(slog.DiscardHandler), time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
}
