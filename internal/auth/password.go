package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters. They are written into every
// encoded hash, so they can change without invalidating stored passwords:
// a hash is always checked with the parameters it was made with, and a
// login with an outdated hash stores a new one.
type Params struct {
	// Time is the number of passes over memory.
	Time uint32
	// MemoryKiB is the memory used, in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultParams are the production parameters: t=1, m=64 MiB, p=2, the
// first recommendation of RFC 9106 scaled to our 2-core machines (about
// 170 ms per hash; see BenchmarkHashPassword).
var DefaultParams = Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 2}

// TestParams are cheap parameters for tests (a fraction of a millisecond);
// never use them in production.
var TestParams = Params{Time: 1, MemoryKiB: 64, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC-style encoding of password under p:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>, in unpadded base64.
func hashPassword(password string, p Params) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never returns an error.
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errBadHash reports a stored hash that does not parse: data corruption,
// never a user's mistake.
var errBadHash = errors.New("password hash is not an argon2id PHC string")

// decodeHash parses an encoded hash.
func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Refuse absurd costs from a corrupted row rather than allocate them.
	if p.Time < 1 || p.Time > 16 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 1<<21 {
		return p, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// verifyPassword reports whether password matches encoded, comparing in
// constant time, and whether encoded uses other parameters than want (so
// the caller can store a fresh hash).
func verifyPassword(password, encoded string, want Params) (ok, outdated bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key))) //nolint:gosec // len(key) is at most a few dozen bytes
	return subtle.ConstantTimeCompare(got, key) == 1, p != want, nil
}
