// Command fpr runs FPR, the farm product review site: the web site and API
// (serve), schema migrations, user administration, synthetic data (seed),
// the synthetic probe, configuration checks and version information.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if len(os.Args) > 1 && os.Args[1] == "serve" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpr:", err)
		os.Exit(1)
	}
}

// serveMemoryLimit is the soft limit `fpr serve` gives the Go runtime's
// memory unless GOMEMLIMIT sets another: the collector runs sooner as the
// heap nears it, instead of letting the heap grow to twice what is live.
// The kept product answers (fprhttp.DefaultResponseCacheBytes, 12 MiB)
// are live heap, and so are zxcvbn's dictionaries (10 MB, built at
// package init), the templates (about 3 MB), the kept sessions and the
// page keeper's queue: about 30 MB in all under the bench.
//
// The limit trades CPU for resident memory, which issue 14 bounds at
// 100 MB. It was 44 MiB when the live heap was about 22 MB. At 30 MB
// the collector ran every 12-14 MB allocated: reviews page 1 after a flood
// of reviews ran at 5,483 and 5,562 requests a second with 44 MiB against
// 7,262 and 6,804 with 54 MiB (190 against 122 collections in 16 s,
// pairs), and nothing more above 54. The bench's peak at 54 MiB was 97 MB
// until the read connections' page caches went from 2 MB to 1 MB each
// (store.readCacheKiB), which gave back 8-10 MB; with both, two benches
// peaked at 89 and 96 MB at 200k and one at 91 MB at 10M: the Go runtime
// at its limit, SQLite's caches full (18 MB) and the binary (23 MB). 52
// MiB leaves 2 MB more below 100.
//
// The binary's own pages (about 23 MB) and SQLite's page caches (the
// writer's 4 MiB, store.writeCacheKiB, and the readers', each about twice
// its size resident) are outside the limit.
// A photo upload decodes up to fpr.MaxPhotoPixels into memory: while it
// does, the heap is over the limit and the collector runs often (the
// runtime caps it at half the CPU), and the heap stays near what is live
// instead of doubling it.
const serveMemoryLimit = 52 << 20

const usage = `usage: fpr <command> [flags]

commands:
  serve     run the web site and API
  migrate   apply (up) or list (status) schema migrations
  user      add a user, change a role, or clear a login throttle (unlock)
  seed      load deterministic synthetic data
  backup    write a consistent snapshot of the SQLite database (--to FILE)
  restore   replace the SQLite database with a backup (--from FILE)
  probe     check the critical flows of a running site
  check     validate configuration (--deploy: refuse insecure settings)
  version   print release, commit, build time and Go version

Run 'fpr <command> -h' for a command's flags.`

// run is the whole program, with its environment passed in, so tests can
// run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args, getenv, stdin, stdout, stderr)
	case "seed":
		return runSeed(ctx, args, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args, getenv, stdout, stderr)
	case "probe":
		return runProbe(ctx, args, getenv, stdout, stderr)
	case "check":
		return runCheck(ctx, args, getenv, stdout, stderr)
	case "version":
		return runVersion(ctx, args, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
