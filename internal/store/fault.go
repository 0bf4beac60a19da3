package store

// Fault points: the steps of a keyed write (inIdempotentTx) between which
// the crash test kills the process. DB.Fault is nil in every real run:
// only `fpr serve` with FPR_TEST_CRASH_AT set (refused in production and
// by `fpr check --deploy`) sets it.
const (
	// FaultAfterClaim: the key is claimed, nothing else done (in the
	// transaction, uncommitted).
	FaultAfterClaim = "after_claim"
	// FaultAfterWrite: the review or account is written, uncommitted.
	FaultAfterWrite = "after_write"
	// FaultAfterResponse: the response is stored too, uncommitted.
	FaultAfterResponse = "after_response"
	// FaultAfterCommit: all three are committed; the answer is not sent.
	FaultAfterCommit = "after_commit"
)

// FaultPoints lists the fault points in the order a keyed write passes
// them.
var FaultPoints = []string{FaultAfterClaim, FaultAfterWrite, FaultAfterResponse, FaultAfterCommit}

// ValidFaultPoint reports whether p names a fault point.
func ValidFaultPoint(p string) bool {
	for _, q := range FaultPoints {
		if p == q {
			return true
		}
	}
	return false
}

// fault calls the test hook at point p, when one is set.
func (db *DB) fault(p string) {
	if db.Fault != nil {
		db.Fault(p)
	}
}
