// Package fpr is FPR's domain: the types of a farm product review site
// (users, farms, products, reviews, replies, flags, moderation), the rules
// that need no I/O, and the service interfaces the storage layer implements
// and the HTTP surfaces call. It imports only the standard library.
package fpr

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// BuildInfo identifies the running binary: release, commit, build time and
// Go version. cmd/fpr fills it at start.
type BuildInfo struct {
	Release string
	Commit  string
	BuiltAt string
	Go      string
}

// MaxIDLength bounds an identifier a client sends: NewID makes 26
// characters; anything much longer names nothing.
const MaxIDLength = 64

// GivenID returns the identifier of an optional field: "" when it was not
// given (nil), and validation_failed naming field when it was given blank
// ("owner_id": ""), which is a mistake, not "not given".
func GivenID(field string, id *string) (string, error) {
	if id == nil {
		return "", nil
	}
	if strings.TrimSpace(*id) == "" {
		return "", &Error{Code: CodeValidationFailed, Message: "Some fields need another look.",
			Fields: map[string]string{field: "Give an identifier, or leave the field out."}}
	}
	return *id, nil
}

// Paging limits shared by every list.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Page selects one page of a keyset-paginated list. Cursor is the opaque
// next_cursor of the previous page, "" for the first.
type Page struct {
	Limit  int
	Cursor string
}

// Normalize applies the default limit and reports a validation error for a
// limit outside 1–MaxLimit. A zero limit means "default".
func (p *Page) Normalize() error {
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return &Error{Code: CodeValidationFailed, Message: "The limit must be between 1 and 100.",
			Fields: map[string]string{"limit": "Must be between 1 and 100."}}
	}
	return nil
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new opaque identifier: 26 lowercase characters whose
// lexical order follows creation time (48 bits of milliseconds, then 80
// random bits), so "newest first" is an index scan on the primary key.
// Within one process, IDs made in the same millisecond still sort in the
// order they were made: the random part then grows by a random step
// instead of being drawn afresh, so two reviews posted in one millisecond
// never list in a random order.
func NewID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never returns an error.

	lastID.mu.Lock()
	if [6]byte(b[:6]) == [6]byte(lastID.b[:6]) {
		// The same millisecond: last + a random step of 1 to 2^32.
		step := uint64(binary.BigEndian.Uint32(b[12:])) + 1
		next := lastID.b
		lo := binary.BigEndian.Uint64(next[8:])
		sum := lo + step
		binary.BigEndian.PutUint64(next[8:], sum)
		if sum < lo { // carry into the upper 16 random bits
			hi := binary.BigEndian.Uint16(next[6:8]) + 1
			binary.BigEndian.PutUint16(next[6:8], hi)
			if hi == 0 { // 80 bits exhausted in one millisecond: never in practice
				next = b
			}
		}
		b = next
	}
	lastID.b = b
	lastID.mu.Unlock()
	return idEncoding.EncodeToString(b[:])
}

// lastID is the last ID NewID made, for its order within a millisecond.
var lastID struct {
	mu sync.Mutex
	b  [16]byte
}

// Clock returns the current time. Services take one so tests can fix time.
type Clock func() time.Time

// Limits on Idempotency-Key values: a key is 1 to MaxIdempotencyKeyLength
// visible ASCII characters, and one scope (a route and a user, or a route
// and an anonymous client's address) holds at most MaxIdempotencyKeys
// keys a day; past that a new key is rate_limited.
const (
	MaxIdempotencyKeyLength = 255
	MaxIdempotencyKeys      = 500
)

// ValidIdempotencyKey reports whether key is 1 to MaxIdempotencyKeyLength
// visible ASCII characters (0x21–0x7E), the only keys stored.
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// IdempotentResponse is the stored first response to a request that carried
// an Idempotency-Key.
type IdempotentResponse struct {
	Status int
	Body   []byte
}

// IdempotencyService remembers the first response to each keyed request, so
// a client that retries after a dropped connection, or after the server
// crashed, gets that response again instead of a duplicate or a conflict.
// A keyed write stores its response in its own transaction (see
// IdempotentWrite); the service reads it back, and stores the refusals
// that wrote nothing.
type IdempotencyService interface {
	// FindIdempotent returns the stored response of (scope, key) when the
	// key was used with a request hashing to requestHash; nil when there is
	// none (or it expired); validation_failed when the key was used with
	// another request.
	FindIdempotent(ctx context.Context, scope, key, requestHash string) (*IdempotentResponse, error)

	// SaveIdempotent stores resp, the answer to a keyed request that wrote
	// nothing (a 4xx), unless a response is stored under the key already,
	// and returns the stored one (resp, or the first).
	SaveIdempotent(ctx context.Context, scope, key, requestHash string, resp IdempotentResponse) (*IdempotentResponse, error)
}

// IdempotentWrite is a keyed write's request to the store, carried in the
// write's context: claim Key in Scope, make the write, and store the
// response Respond renders from the written object (a *Review, a *User),
// all in the write's one transaction: a crash at any moment leaves all of
// it or none. A write whose key is taken by then (a twin request
// committed first) fails with ErrIdempotencyKeyTaken and writes nothing.
type IdempotentWrite struct {
	Scope, Key, RequestHash string
	Respond                 func(written any) (IdempotentResponse, error)
}

// ErrIdempotencyKeyTaken is the error of a keyed write whose key another
// request has stored a response under: the caller replays that response.
var ErrIdempotencyKeyTaken = &Error{Code: CodeConflict, Message: "A request with this Idempotency-Key has completed; retry to get its response."}

type idempotentWriteKey struct{}

// NewContextWithIdempotentWrite returns ctx carrying w for the next keyed
// write.
func NewContextWithIdempotentWrite(ctx context.Context, w *IdempotentWrite) context.Context {
	return context.WithValue(ctx, idempotentWriteKey{}, w)
}

// IdempotentWriteFromContext returns the IdempotentWrite of ctx, or nil.
func IdempotentWriteFromContext(ctx context.Context) *IdempotentWrite {
	w, _ := ctx.Value(idempotentWriteKey{}).(*IdempotentWrite)
	return w
}
