package ops_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fpr-team/fpr/internal/ops"
)

// A stack as runtime/debug.Stack prints it, with a panic in the store
// reached from a handler; {line} is replaced to simulate edits.
const panicStack = `goroutine 42 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/fpr-team/fpr/internal/http.(*Server).withRecover.func1.1()
	/src/fpr/internal/http/middleware.go:{line} +0x85
panic({0x1234, 0x5678})
	/usr/local/go/src/runtime/panic.go:787 +0x132
github.com/fpr-team/fpr/internal/store.(*DB).CreateReview.func1(0xc000123)
	/src/fpr/internal/store/review.go:{line} +0x2a
github.com/fpr-team/fpr/internal/store.(*DB).inTx(0xc000, {0x1, 0x2}, 0x1, 0xc0004)
	/src/fpr/internal/store/store.go:130 +0x7f
database/sql.(*DB).conn(0xc000)
	/usr/local/go/src/database/sql/sql.go:1300 +0x10
github.com/fpr-team/fpr/internal/http.(*Server).handleAPICreateReview(0xc000, {0x1, 0x2}, 0xc000)
	/src/fpr/internal/http/api_reviews.go:{line} +0x1b
created by net/http.(*Server).Serve in goroutine 1
	/usr/local/go/src/net/http/server.go:3454 +0x485
`

func stackAt(line int, s string) []byte {
	return []byte(strings.ReplaceAll(s, "{line}", fmt.Sprint(line)))
}

type lookupError struct{ key string }

func (e *lookupError) Error() string { return "KeyError: " + e.key }

func TestFingerprint(t *testing.T) {
	t.Parallel()
	route := "POST /api/v1/products/{id}/reviews"
	panicErr := errors.New("panic: runtime error: invalid memory address or nil pointer dereference")
	base, typ := ops.Fingerprint(route, panicErr, stackAt(100, panicStack))
	if typ != "panic" {
		t.Errorf("type of a recovered panic = %q, want panic", typ)
	}
	if len(base) != 16 {
		t.Errorf("fingerprint %q: want 16 hex digits", base)
	}
	wrapped := fmt.Errorf("create review 01hx5k2m3n4p5q6r7s8t9v0w1x: %w", &lookupError{"'user'"})
	wrappedFP, wrappedType := ops.Fingerprint(route, wrapped, stackAt(100, panicStack))
	if wrappedType != "*ops_test.lookupError" {
		t.Errorf("type of a wrapped error = %q, want the innermost, *ops_test.lookupError", wrappedType)
	}
	otherClosure := strings.ReplaceAll(panicStack, "CreateReview.func1(", "CreateReview.func3(")
	otherRecover := strings.ReplaceAll(panicStack, "withRecover.func1.1()", "withRecover.func2.1()")

	for _, tc := range []struct {
		name  string
		route string
		err   error
		stack []byte
		same  bool // same fingerprint as base (or wrappedFP for errors)
		base  string
	}{
		{"LinesMoved", route, panicErr, stackAt(250, panicStack), true, base},
		{"ClosureRenumbered", route, panicErr, stackAt(100, otherClosure), true, base},
		{"RecoveryFramesDiffer", route, panicErr, stackAt(100, otherRecover), true, base},
		{"OtherPanicValue", route, errors.New("panic: assignment to entry in nil map"), stackAt(100, panicStack), true, base},
		{"OtherRoute", "POST /api/v1/auth/register", panicErr, stackAt(100, panicStack), false, base},
		{"OtherFunction", route, panicErr, stackAt(100, strings.ReplaceAll(panicStack, "CreateReview", "UpdateReview")), false, base},
		{"ErrorNotPanic", route, wrapped, stackAt(100, panicStack), false, base},
		{"ErrorOtherID", route, fmt.Errorf("create review 01hx5k2m3n4p5q6r7s8t9v0zzz: %w", &lookupError{"'user'"}), stackAt(90, panicStack), true, wrappedFP},
		{"ErrorOtherType", route, fmt.Errorf("create review 01hx5k2m3n4p5q6r7s8t9v0w1x: %w", errors.New("KeyError: 'user'")), stackAt(100, panicStack), false, wrappedFP},
		{"ErrorOtherMessage", route, fmt.Errorf("insert review: %w", &lookupError{"'user'"}), stackAt(100, panicStack), false, wrappedFP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := ops.Fingerprint(tc.route, tc.err, tc.stack)
			if (got == tc.base) != tc.same {
				t.Errorf("Fingerprint = %s, base %s: same = %v, want %v", got, tc.base, got == tc.base, tc.same)
			}
		})
	}
}

func TestMaskMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`find user 01hx5k2m3n: sql: no rows`, `find user #: sql: no rows`},
		{`dial tcp 127.0.0.1:5432: connect: connection refused`, `dial tcp #: connect: connection refused`},
		{`duplicate key value violates unique constraint "reviews_pkey"`, `duplicate key value violates unique constraint "…"`},
		{`KeyError: 'user'`, `KeyError: "…"`},
	} {
		if got := ops.MaskMessage(tc.in); got != tc.want {
			t.Errorf("MaskMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
