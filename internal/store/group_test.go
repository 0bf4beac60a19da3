package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// holdCommitter occupies the committer with a write that waits until the
// returned release is called, so the writes submitted meanwhile queue up
// and run as one batch after it.
func holdCommitter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	started, held, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.inTx(context.Background(), true, func(*Tx) error {
			close(started)
			<-held
			return nil
		})
	}()
	<-started
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(held)
			if err := <-done; err != nil {
				t.Errorf("holding write: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// queue submits fn as a write from its own goroutine and returns once it is
// queued (so writes queue in call order); the outcome arrives on the
// channel.
func queue(t *testing.T, db *DB, fn func() error) <-chan error {
	t.Helper()
	before := len(db.group.ops)
	out := make(chan error, 1)
	go func() { out <- fn() }()
	for len(db.group.ops) == before {
		time.Sleep(time.Millisecond) // waiting for an event, not timing it
	}
	return out
}

func mustMember(t testing.TB, db *DB) *fpr.User {
	t.Helper()
	u := &fpr.User{Email: fmt.Sprintf("m%s@example.test", db.NewID(time.Now())), DisplayName: "Member", Role: fpr.RoleMember, EmailVerified: true}
	if err := db.CreateUser(context.Background(), u, "x"); err != nil {
		t.Fatal(err)
	}
	return u
}

func actAs(u *fpr.User) context.Context { return fpr.NewContextWithUser(context.Background(), u) }

// badSummaries counts products whose stored summary differs from a
// recount of their published, non-probe reviews.
func badSummaries(t testing.TB, db *DB) int {
	t.Helper()
	var bad int
	err := db.read.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM products p WHERE
		rating_count <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)
		OR rating_sum <> (SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)
		OR rating_1 + rating_2 + rating_3 + rating_4 + rating_5 <> rating_count
		OR rating_5 <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe AND r.rating = 5)
		OR ABS(rating_score - (CAST(rating_sum AS REAL) + 35) / (rating_count + 10)) > 1e-9`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

func countRows(t testing.TB, db *DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.read.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommit_OneFailingOperationRollsBackAlone: one batch holds two
// good reviews, a second review by the same user (conflict), a write that
// fails after writing, and one whose caller gave up while it waited; the
// failures roll back alone and the others commit, in one commit.
func TestGroupCommit_OneFailingOperationRollsBackAlone(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	products := mustRawProduct(t, db, 2)
	alice, bob := mustMember(t, db), mustMember(t, db)
	first := &fpr.Review{ProductID: products[0], Rating: 5, Body: "First."}
	if err := db.CreateReview(actAs(alice), first); err != nil {
		t.Fatal(err)
	}
	before := db.GroupCommitStats()

	release := holdCommitter(t, db)
	good1 := &fpr.Review{ProductID: products[1], Rating: 4, Body: "Good one."}
	dup := &fpr.Review{ProductID: products[0], Rating: 1, Body: "A second review of the same product."}
	good2 := &fpr.Review{ProductID: products[0], Rating: 2, Body: "Good two."}
	cancelled, cancel := context.WithCancel(actAs(bob))
	late := &fpr.Review{ProductID: products[1], Rating: 3, Body: "Given up."}
	errGood1 := queue(t, db, func() error { return db.CreateReview(actAs(alice), good1) })
	errDup := queue(t, db, func() error { return db.CreateReview(actAs(alice), dup) })
	boom := errors.New("boom")
	errHalf := queue(t, db, func() error {
		return db.inTx(context.Background(), true, func(tx *Tx) error {
			if _, err := tx.ExecContext(context.Background(), `UPDATE products SET name = 'half-written' WHERE id = $1`, products[1]); err != nil {
				return err
			}
			return boom
		})
	})
	errLate := queue(t, db, func() error { return db.CreateReview(cancelled, late) })
	errGood2 := queue(t, db, func() error { return db.CreateReview(actAs(bob), good2) })
	cancel()
	release()

	if err := <-errGood1; err != nil {
		t.Errorf("good review 1: %v", err)
	}
	if err := <-errGood2; err != nil {
		t.Errorf("good review 2: %v", err)
	}
	if err := <-errDup; fpr.ErrorCode(err) != fpr.CodeConflict {
		t.Errorf("second review by the same user = %v, want conflict", err)
	}
	if err := <-errHalf; !errors.Is(err, boom) {
		t.Errorf("failing write = %v, want its own error", err)
	}
	if err := <-errLate; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller = %v, want context.Canceled", err)
	}
	after := db.GroupCommitStats()
	if after.Largest < 5 || after.Committed-before.Committed != 3 {
		t.Errorf("stats %+v after %+v: want a batch of 5 or more, 3 operations committed (holder and the two reviews)", after, before)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews`); n != 3 {
		t.Errorf("%d reviews, want 3 (first, good 1, good 2)", n)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM products WHERE name = 'half-written'`); n != 0 {
		t.Errorf("the failed write's change was committed")
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE body = 'Given up.'`); n != 0 {
		t.Errorf("the cancelled caller's review was written")
	}
	if bad := badSummaries(t, db); bad != 0 {
		t.Errorf("%d products' summaries differ from a recount", bad)
	}
}

// TestGroupCommit_BatchFailureFailsEveryOperation: when the batch's COMMIT
// fails (here a deferred foreign key that only COMMIT checks), every
// operation in it fails and none of their writes remains.
func TestGroupCommit_BatchFailureFailsEveryOperation(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	products := mustRawProduct(t, db, 1)
	alice, bob := mustMember(t, db), mustMember(t, db)

	release := holdCommitter(t, db)
	errA := queue(t, db, func() error {
		return db.CreateReview(actAs(alice), &fpr.Review{ProductID: products[0], Rating: 5, Body: "Would be fine alone."})
	})
	errBad := queue(t, db, func() error {
		return db.inTx(context.Background(), true, func(tx *Tx) error {
			ctx := context.Background()
			if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO review_votes (review_id, user_id, created_at) VALUES ('no-such-review', $1, 0)`, bob.ID)
			return err
		})
	})
	errB := queue(t, db, func() error {
		return db.CreateReview(actAs(bob), &fpr.Review{ProductID: products[0], Rating: 3, Body: "Also fine alone."})
	})
	release()
	for name, ch := range map[string]<-chan error{"review A": errA, "bad write": errBad, "review B": errB} {
		if err := <-ch; err == nil {
			t.Errorf("%s succeeded in a batch whose commit failed", name)
		}
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews`); n != 0 {
		t.Errorf("%d reviews written by a failed batch", n)
	}
	if bad := badSummaries(t, db); bad != 0 {
		t.Errorf("%d summaries differ from a recount", bad)
	}
	// The next batch works.
	if err := db.CreateReview(actAs(alice), &fpr.Review{ProductID: products[0], Rating: 4, Body: "After."}); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommit_ConcurrentMixedWrites: reviews, edits, votes, flags and
// deletes from 24 goroutines over few products, some of them refused
// (second reviews, votes on one's own review, second flags); afterwards
// every summary and helpful count equals a recount.
func TestGroupCommit_ConcurrentMixedWrites(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	products := mustRawProduct(t, db, 3)
	const n = 24
	users := make([]*fpr.User, n)
	for i := range users {
		users[i] = mustMember(t, db)
	}
	reviews := make([]*fpr.Review, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range users {
		wg.Go(func() {
			<-start
			r := &fpr.Review{ProductID: products[i%3], Rating: 1 + i%5, Body: "Concurrent."}
			if err := db.CreateReview(actAs(u), r); err != nil {
				t.Error(err)
				return
			}
			reviews[i] = r
			if err := db.CreateReview(actAs(u), &fpr.Review{ProductID: products[i%3], Rating: 2, Body: "Again."}); fpr.ErrorCode(err) != fpr.CodeConflict {
				t.Errorf("second review = %v, want conflict", err)
			}
			if _, err := db.UpdateReview(actAs(u), r.ID, fpr.ReviewUpdate{Rating: ptrTo(1 + (i+2)%5)}); err != nil {
				t.Error(err)
			}
			if i%6 == 0 {
				if err := db.DeleteReview(actAs(u), r.ID); err != nil {
					t.Error(err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	// Everyone votes for and flags the reviews of the others, concurrently.
	for i, u := range users {
		wg.Go(func() {
			for j, r := range reviews {
				if r == nil || j%6 == 0 {
					continue
				}
				err := db.SetHelpful(actAs(u), r.ID, true)
				if (i == j) != (fpr.ErrorCode(err) == fpr.CodeForbidden) {
					t.Errorf("vote of %d on %d = %v", i, j, err)
				}
				if j%4 == 1 && i != j {
					err := db.FlagReview(actAs(u), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam})
					if err != nil && fpr.ErrorCode(err) != fpr.CodeNotFound {
						t.Errorf("flag: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	if bad := badSummaries(t, db); bad != 0 {
		t.Errorf("%d summaries differ from a recount", bad)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews r WHERE helpful_count <> (SELECT COUNT(*) FROM review_votes v WHERE v.review_id = r.id)`); n != 0 {
		t.Errorf("%d helpful counts differ from their votes", n)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews`); n != 20 {
		t.Errorf("%d reviews, want 20 (24 less 4 deleted)", n)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestGroupCommit_CloseRunsQueuedWrites: Close waits for the queued writes,
// which commit; a write after Close fails.
func TestGroupCommit_CloseRunsQueuedWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	db, err := Open(context.Background(), "sqlite:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	products := mustRawProduct(t, db, 1)
	u := mustMember(t, db)
	release := holdCommitter(t, db)
	errQueued := queue(t, db, func() error {
		return db.CreateReview(actAs(u), &fpr.Review{ProductID: products[0], Rating: 4, Body: "Queued at close."})
	})
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	release()
	if err := <-errQueued; err != nil {
		t.Errorf("queued write at close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := db.CreateReview(actAs(u), &fpr.Review{ProductID: products[0], Rating: 4, Body: "Late."}); err == nil {
		t.Error("a write after Close succeeded")
	}
	db2, err := Open(context.Background(), "sqlite:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n := countRows(t, db2, `SELECT COUNT(*) FROM reviews WHERE body = 'Queued at close.'`); n != 1 {
		t.Errorf("the write queued at close is not in the database")
	}
}

// groupChildEnv names the database a child process of
// TestGroupCommit_KillLosesNothingAcknowledged writes to.
const groupChildEnv = "FPR_TEST_GROUP_COMMIT_CHILD"

// TestMain runs the writer child of the kill test when asked to.
func TestMain(m *testing.M) {
	if spec := os.Getenv(groupChildEnv); spec != "" {
		if err := groupChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "group commit child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// groupChild writes reviews from 16 goroutines, each as its own user, over
// the products, printing "ok ID" once each review is acknowledged, until it
// is killed. spec is "PATH;user1,user2,…;product1,product2,…".
func groupChild(spec string) error {
	parts := strings.Split(spec, ";")
	if len(parts) != 3 {
		return fmt.Errorf("bad spec %q", spec)
	}
	db, err := Open(context.Background(), "sqlite:"+parts[0], Options{})
	if err != nil {
		return err
	}
	products := strings.Split(parts[2], ",")
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, id := range strings.Split(parts[1], ",") {
		u := &fpr.User{ID: id, DisplayName: "Writer", Role: fpr.RoleMember}
		wg.Go(func() {
			for k, p := range products {
				r := &fpr.Review{ProductID: p, Rating: 1 + (i+k)%5, Body: "Written before the kill."}
				if err := db.CreateReview(actAs(u), r); err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					continue
				}
				mu.Lock()
				fmt.Fprintln(out, "ok", r.ID)
				_ = out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return db.Close()
}

// TestGroupCommit_KillLosesNothingAcknowledged kills (SIGKILL) a process
// writing reviews in batches once it has acknowledged 300, and finds every
// acknowledged review in the database, with exact summaries.
func TestGroupCommit_KillLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	db, err := Open(context.Background(), "sqlite:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	products := mustRawProduct(t, db, 100)
	var users []string
	for range 16 {
		users = append(users, mustMember(t, db).ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$") //nolint:gosec // G204: this test binary, as the writer child
	cmd.Env = append(os.Environ(), groupChildEnv+"="+path+";"+strings.Join(users, ",")+";"+strings.Join(products, ","))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
			acked = append(acked, id)
		}
		if len(acked) == 300 {
			_ = cmd.Process.Kill()
			break
		}
	}
	// Reviews acknowledged between the kill and the pipe closing count too.
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
			acked = append(acked, id)
		}
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("the child acknowledged %d reviews before it ended, want 300\n%s", len(acked), stderr.String())
	}

	db2, err := Open(context.Background(), "sqlite:"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	missing := 0
	for _, id := range acked {
		if countRows(t, db2, `SELECT COUNT(*) FROM reviews WHERE id = $1`, id) != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged reviews are missing after kill -9", missing, len(acked))
	}
	if bad := badSummaries(t, db2); bad != 0 {
		t.Errorf("%d summaries differ from a recount after kill -9", bad)
	}
}

// TestGroupCommit_DeadlineWhileQueued: a caller whose deadline passes while
// its write waits behind a batch returns at once (503 unavailable), while
// that batch still runs, and its write never happens.
func TestGroupCommit_DeadlineWhileQueued(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	products := mustRawProduct(t, db, 1)
	u := mustMember(t, db)
	release := holdCommitter(t, db)
	ctx, cancel := context.WithTimeout(actAs(u), time.Millisecond)
	defer cancel()
	// Returns although the committer is held until after it returns.
	err := db.CreateReview(ctx, &fpr.Review{ProductID: products[0], Rating: 4, Body: "Too late."})
	if fpr.ErrorCode(err) != fpr.CodeUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("write past its deadline = %v, want unavailable (deadline exceeded)", err)
	}
	release()
	if err := db.CreateReview(actAs(u), &fpr.Review{ProductID: products[0], Rating: 2, Body: "In time."}); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE body = 'Too late.'`); n != 0 {
		t.Error("the abandoned write was written")
	}
}

// TestGroupCommit_WriterBusyTime: the writer's busy time counts the whole
// of each batch (a write held 50 ms adds at least that), COMMIT is part of
// it, and it never grows faster than the clock: its rate is the share of
// time the one writer works (fpr_sqlite_writer_busy_seconds_total).
func TestGroupCommit_WriterBusyTime(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	products := mustRawProduct(t, db, 5)
	members := make([]*fpr.User, len(products))
	for i := range members {
		members[i] = mustMember(t, db)
	}
	before := db.GroupCommitStats()
	wall := time.Now()

	const held = 50 * time.Millisecond
	release := holdCommitter(t, db)
	heldSince := time.Now()
	var outcomes []<-chan error
	for i, p := range products {
		outcomes = append(outcomes, queue(t, db, func() error {
			return db.CreateReview(actAs(members[i]), &fpr.Review{ProductID: p, Rating: 4, Body: "Held up."})
		}))
	}
	time.Sleep(held - time.Since(heldSince)) // the holding write lasts at least held
	release()
	for _, out := range outcomes {
		if err := <-out; err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(wall)
	after := db.GroupCommitStats()

	busy, commit := after.Busy-before.Busy, after.Commit-before.Commit
	if got := after.Committed - before.Committed; got != 6 {
		t.Errorf("%d writes committed, want 6 (the holder and 5 reviews)", got)
	}
	if after.Batches-before.Batches < 2 {
		t.Errorf("%d batches, want 2 or more (the holder's, then the reviews')", after.Batches-before.Batches)
	}
	if busy < held {
		t.Errorf("busy %v, want at least the %v the holding write took", busy, held)
	}
	if busy > elapsed {
		t.Errorf("busy %v grew faster than the clock (%v elapsed)", busy, elapsed)
	}
	if commit <= 0 || commit > busy {
		t.Errorf("commit %v, want more than 0 and at most busy %v", commit, busy)
	}
}
