package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

// mustService returns a Service with cheap params over a fresh SQLite file.
func mustService(t *testing.T) *Service {
	t.Helper()
	s := New(storetest.OpenDB(t, storetest.SQLite))
	s.Params = TestParams
	return s
}

func TestHashPassword_RoundTrip(t *testing.T) {
	t.Parallel()
	h := hashPassword("Orchard-ladder-42", TestParams)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hashPassword = %q, want the PHC prefix with its params", h)
	}
	if h2 := hashPassword("Orchard-ladder-42", TestParams); h2 == h {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", h)
	}
	tests := []struct {
		name         string
		password     string
		want         Params
		ok, outdated bool
	}{
		{"Right", "Orchard-ladder-42", TestParams, true, false},
		{"Wrong", "Orchard-ladder-43", TestParams, false, false},
		{"RightOutdated", "Orchard-ladder-42", DefaultParams, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, outdated, err := verifyPassword(tt.password, h, tt.want)
			if err != nil || ok != tt.ok || outdated != tt.outdated {
				t.Errorf("verifyPassword = %v, %v, %v; want %v, %v, nil", ok, outdated, err, tt.ok, tt.outdated)
			}
		})
	}
}

func TestVerifyPassword_BadHash(t *testing.T) {
	t.Parallel()
	good := hashPassword("Orchard-ladder-42", TestParams)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"Empty":       "",
		"Bcrypt":      "$2a$10$abcdefghijklmnopqrstuv",
		"Argon2i":     strings.Replace(good, "argon2id", "argon2i", 1),
		"OldVersion":  strings.Replace(good, "v=19", "v=16", 1),
		"HugeMemory":  strings.Replace(good, "m=64,", "m=99999999,", 1),
		"NoSalt":      strings.Join([]string{"", parts[1], parts[2], parts[3], "", parts[5]}, "$"),
		"BadBase64":   strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "!!!"}, "$"),
		"MissingPart": strings.Join(parts[:5], "$"),
	} {
		if ok, _, err := verifyPassword("Orchard-ladder-42", h, TestParams); ok || err == nil {
			t.Errorf("%s: verifyPassword(%q) = %v, %v; want false and an error", name, h, ok, err)
		}
	}
}

func TestNew_ProductionParams(t *testing.T) {
	t.Parallel()
	s := New(nil)
	if s.Params != (Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 2}) {
		t.Errorf("New().Params = %+v, want t=1, m=64 MiB, p=2", s.Params)
	}
	if s.AccountLimit != 5 || s.AddrLimit != 20 || s.ThrottleWindow != 24*time.Hour {
		t.Errorf("New() throttle = %d/%d per %v, want 5/20 per 24h", s.AccountLimit, s.AddrLimit, s.ThrottleWindow)
	}
}

// TestService_HashBound proves that no more than the configured number of
// hashes run at once, however many requests arrive together.
func TestService_HashBound(t *testing.T) {
	t.Parallel()
	s := New(nil)
	s.Params = Params{Time: 1, MemoryKiB: 4 * 1024, Threads: 1} // a few ms each
	const bound = 2
	s.SetMaxConcurrentHashes(bound)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := s.hash(context.Background(), "Orchard-ladder-42"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := s.maxInFlight.Load(); got > bound || got < 1 {
		t.Errorf("at most %d hashes ran at once, want between 1 and %d", got, bound)
	}
	t.Logf("max in flight: %d of %d", s.maxInFlight.Load(), bound)
	if got := s.hashes.Load(); got != 16 {
		t.Errorf("%d hashes computed, want 16", got)
	}
}

// TestService_HashWait: with every slot taken, a request gives up when its
// context ends or after HashWait, without computing anything.
func TestService_HashWait(t *testing.T) {
	t.Parallel()
	s := New(nil)
	s.Params = TestParams
	s.SetMaxConcurrentHashes(1)
	s.hashSlots <- struct{}{} // a hash in progress holds the only slot

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.hash(ctx, "Orchard-ladder-42"); fpr.ErrorCode(err) != fpr.CodeUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("hash with a cancelled context = %v, want unavailable caused by the context's end", err)
	}
	s.HashWait = 10 * time.Millisecond
	if _, err := s.hash(context.Background(), "Orchard-ladder-42"); fpr.ErrorCode(err) != fpr.CodeUnavailable {
		t.Errorf("hash with no free slot = %v, want unavailable", err)
	}
	if got := s.hashes.Load(); got != 0 {
		t.Errorf("%d hashes computed while waiting, want 0", got)
	}
	<-s.hashSlots
	if _, err := s.hash(context.Background(), "Orchard-ladder-42"); err != nil {
		t.Errorf("hash with a free slot: %v", err)
	}
}

// BenchmarkHashPassword measures one hash with the production parameters,
// the cost of each login and registration:
//
//	go test -run '^$' -bench HashPassword -benchtime 20x ./internal/auth/
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		hashPassword("Orchard-ladder-42", DefaultParams)
	}
}
