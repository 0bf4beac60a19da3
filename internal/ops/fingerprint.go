package ops

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ModulePath is the import path prefix of FPR's own code: only its frames
// count towards a fingerprint.
const ModulePath = "github.com/fpr-team/fpr/"

// fingerprintFrames is how many of FPR's own frames a fingerprint uses.
const fingerprintFrames = 5

// Fingerprint returns the group key of an internal error and the type it
// names. The key hashes:
//   - the error type: "panic" for a recovered panic, else the Go type of the
//     innermost wrapped error;
//   - the top frames of FPR's own code (functions under ModulePath, and
//     package main of cmd/fpr), by
//     function name only, with line numbers and closure numbers (func1, func2)
//     dropped, so an edit elsewhere in a file does not split a group; for a
//     panic, the frames below the panic call (where it happened);
//   - for a returned error, its message with quoted parts and anything
//     holding a digit (IDs, counts, addresses) masked: its stack was taken
//     where it was reported, not where it was made, so its frames name the
//     reporting path and cannot tell two failures of one route apart;
//   - the route pattern.
func Fingerprint(route string, err error, stack []byte) (fingerprint, typ string) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	panicked := strings.HasPrefix(msg, "panic: ")
	if panicked {
		typ = "panic"
	} else {
		typ = errorType(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "type %s\nroute %s\n", typ, route)
	for _, f := range ownFrames(stack, panicked) {
		fmt.Fprintf(h, "frame %s\n", f)
	}
	if !panicked {
		fmt.Fprintf(h, "message %s\n", MaskMessage(msg))
	}
	return hex.EncodeToString(h.Sum(nil))[:16], typ
}

// errorType names the Go type of the innermost error of err's chain.
func errorType(err error) string {
	if err == nil {
		return "<nil>"
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}

var (
	quoted     = regexp.MustCompile(`"[^"]*"|'[^']*'|` + "`[^`]*`")
	withDigits = regexp.MustCompile(`[\w.:/@+-]*[0-9](?:[\w.:/@+-]*\w)?`)
)

// MaskMessage replaces the parts of an error message that vary between
// occurrences of one failure: quoted strings and words holding digits.
func MaskMessage(msg string) string {
	msg = quoted.ReplaceAllString(msg, `"…"`)
	return withDigits.ReplaceAllString(msg, "#")
}

var closureSuffix = regexp.MustCompile(`(\.func\d+)+(\.\d+)*$|(\.gowrap\d+)$`)

// ownFrames returns up to fingerprintFrames function names of FPR's code
// from a goroutine stack as runtime/debug.Stack formats it. For a panic
// only frames below the last panic call count: the ones above are the
// recovery.
func ownFrames(stack []byte, panicked bool) []string {
	var funcs []string
	for line := range strings.Lines(string(stack)) {
		line = strings.TrimRight(line, "\n")
		if line == "" || line[0] == '\t' || strings.HasPrefix(line, "goroutine ") || strings.HasPrefix(line, "created by ") {
			continue
		}
		// Drop the argument list: "pkg.(*T).M(0xc000…, {…})".
		if strings.HasSuffix(line, ")") {
			if i := strings.LastIndexByte(line, '('); i > 0 {
				line = line[:i]
			}
		}
		funcs = append(funcs, line)
	}
	if panicked {
		for i := len(funcs) - 1; i >= 0; i-- {
			if funcs[i] == "panic" {
				funcs = funcs[i+1:]
				break
			}
		}
	}
	var out []string
	for _, f := range funcs {
		// cmd/fpr is package main: its frames read "main.…".
		if !strings.HasPrefix(f, ModulePath) && !strings.HasPrefix(f, "main.") {
			continue
		}
		out = append(out, closureSuffix.ReplaceAllString(strings.TrimPrefix(f, ModulePath), ""))
		if len(out) == fingerprintFrames {
			break
		}
	}
	return out
}
