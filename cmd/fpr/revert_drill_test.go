package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr/internal/storetest"
)

// The revert drill (issue 15, docs/runbook.md): the postmortem's outage
// ended with a revert, and in FPR a revert runs the previous release's
// binary on a database the new release has already migrated. The drill
// builds the binary of the last commit before the newest migration,
// migrates a fresh database with this tree's binary, starts the previous
// binary on it and runs its `fpr probe` (registration and review
// submission), on SQLite and PostgreSQL. A second test proves the drill
// fails on a migration that drops a column the previous release reads.
//
// It needs git history (a clone, not an export) and the go command; under
// CI=true a missing history fails instead of skipping.

// gitOutput runs git in the repository and returns its trimmed output.
func gitOutput(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("git", args...).Output() //nolint:gosec // G204: fixed git subcommands on this repository
	return strings.TrimSpace(string(out)), err
}

// previousRelease returns the commit before the one that added the newest
// migration, or skips (fails under CI) when there is no history to read.
func previousRelease(t *testing.T) string {
	t.Helper()
	newest, err := gitOutput(t, "log", "-1", "--format=%H", "--", "../../internal/store/migrations")
	if err == nil && newest != "" {
		var prev string
		if prev, err = gitOutput(t, "rev-parse", "--verify", "--quiet", newest+"^"); err == nil && prev != "" {
			return prev
		}
	}
	msg := fmt.Sprintf("revert drill: no git history to find the previous release (%v)", err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// buildRevision builds ./cmd/fpr as of revision rev, with extra files
// copied into its tree (destination path relative to the repository root
// → source file), and returns the binary's path.
func buildRevision(t *testing.T, rev string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	tarball := filepath.Join(t.TempDir(), "src.tar")
	archive := exec.Command("git", "archive", "--format=tar", "-o", tarball, rev) //nolint:gosec // G204: rev comes from git itself
	archive.Dir = "../.."
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", rev, err, out)
	}
	if out, err := exec.Command("tar", "-x", "-f", tarball, "-C", dir).CombinedOutput(); err != nil { //nolint:gosec // G204: the test's own temporary paths
		t.Fatalf("untar %s: %v\n%s", rev, err, out)
	}
	for dst, src := range extra {
		body, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), body, 0o600); err != nil { //nolint:gosec // G703: dst is one of the test's fixed paths
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "fpr-"+rev[:min(12, len(rev))])
	build := exec.Command("go", "build", "-o", bin, "./cmd/fpr") //nolint:gosec // G204: bin is in the test's temporary folder
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", rev, err, out)
	}
	return bin
}

// fprAt runs one fpr command against dbURL and returns its output.
func fprAt(bin, dbURL string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...) //nolint:gosec // G204: the test's own binaries
	cmd.Env = append(os.Environ(), "FPR_DATABASE_URL="+dbURL, "FPR_ENV=development", "FPR_LOG_FORMAT=json")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// revertDrill replays a deploy and its revert on a fresh database at dbURL:
// the previous release migrates it and writes data, the new release
// migrates it, then the previous release starts on the new schema and its
// probe runs. It returns nil when registration and review submission still
// work.
func revertDrill(t *testing.T, prev, next, dbURL string) error {
	t.Helper()
	if out, err := fprAt(prev, dbURL, "migrate", "up"); err != nil {
		return fmt.Errorf("previous release: fpr migrate up: %w\n%s", err, out)
	}
	seed := []string{"seed", "--farms", "1", "--products", "3", "--users", "3", "--reviews", "4"}
	// A release older than `fpr seed` cannot write the data: the new
	// release writes it after migrating.
	seeded := true
	if out, err := fprAt(prev, dbURL, seed...); err != nil {
		if !strings.Contains(out, "unknown command") {
			return fmt.Errorf("previous release: fpr seed: %w\n%s", err, out)
		}
		seeded = false
	}
	if out, err := fprAt(next, dbURL, "migrate", "up"); err != nil {
		return fmt.Errorf("new release: fpr migrate up: %w\n%s", err, out)
	}
	if !seeded {
		if out, err := fprAt(next, dbURL, seed...); err != nil {
			return fmt.Errorf("new release: fpr seed: %w\n%s", err, out)
		}
	}
	in, err := startInstance(t, prev, dbURL, "previous")
	if err != nil {
		return fmt.Errorf("previous release does not start on the new schema: %w", err)
	}
	// The previous release probes itself; one older than `fpr probe` is
	// probed by the new release's.
	out, err := probeSite(prev, in.url)
	if err != nil && strings.Contains(out, `unknown command "probe"`) {
		out, err = probeSite(next, in.url)
	}
	if err != nil {
		return fmt.Errorf("previous release: fpr probe: %w\n%s\nserver logs:\n%s", err, out, lastLines(in.logs.String(), 20))
	}
	return nil
}

// probeSite runs bin's `fpr probe` once against url, for at most two
// minutes.
func probeSite(bin, url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	probe := exec.CommandContext(ctx, bin, "probe", "--url", url) //nolint:gosec // G204: the test's own binary
	probe.Env = append(os.Environ(), "FPR_ENV=development")
	out, err := probe.CombinedOutput()
	return string(out), err
}

// drillDatabase returns a fresh database URL of backend.
func drillDatabase(t *testing.T, backend string) string {
	t.Helper()
	if backend == storetest.Postgres {
		return storetest.FreshPostgresURL(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "fpr.db")
}

func TestRevertDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the previous release")
	}
	prevRev := previousRelease(t)
	prev := buildRevision(t, prevRev, nil)
	next := fprBinary(t)
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		if err := revertDrill(t, prev, next, drillDatabase(t, backend)); err != nil {
			t.Fatalf("revert to %.12s fails on %s: %v", prevRev, backend, err)
		}
	})
}

// TestRevertDrill_CatchesADroppedColumn adds a migration that drops
// reviews.title in one step (testdata/revert_drill) to this tree and runs
// the drill with this tree's binary as the previous release: the drill
// must fail, on both databases.
func TestRevertDrill_CatchesADroppedColumn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release with a bad migration")
	}
	head, err := gitOutput(t, "rev-parse", "HEAD")
	if err != nil {
		t.Skipf("no git history: %v", err)
	}
	fixture := filepath.Join("testdata", "revert_drill", "9999_drop_review_title.sql")
	bad := buildRevision(t, head, map[string]string{
		"internal/store/migrations/sqlite/9999_drop_review_title.sql":   fixture,
		"internal/store/migrations/postgres/9999_drop_review_title.sql": fixture,
	})
	prev := fprBinary(t) // this tree: HEAD in CI's clean clone
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		err := revertDrill(t, prev, bad, drillDatabase(t, backend))
		if err == nil {
			t.Fatalf("drill passed on %s after a migration dropped reviews.title, want it to fail", backend)
		}
		if !strings.Contains(err.Error(), "probe") {
			t.Errorf("drill failed, but not at the probe: %v", err)
		}
		t.Logf("the drill failed as it must: %.300s", err)
	})
}
