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
// are live heap. On one core under the bench's reads and review
// submissions (issue 14), the peak resident memory was 89 MB with 50 MiB,
// 99 MB with 60 MiB and 108 MB with none (and 16 MiB kept); the
// collector ran 253 times in those 32 s, against 149 with 60 MiB. Paired
// runs put its cost at 2-4% of the throughput of review pages. Stop 24
// measured 97-102 MB with 50 MiB on another host (the Go runtime held its
// limit at the peak) and set 44 MiB: 89 MB, and about 5% more CPU a
// product detail (64.5 against 68.0 µs, means of four paired runs; the
// live heap is about 22 MB, zxcvbn's dictionaries and the templates
// a third of it). The binary's own pages (about
// 23 MB) and SQLite's page caches (about 24 MB resident when full,
// store.writeCacheKiB) are outside the limit.
// A photo upload decodes up to fpr.MaxPhotoPixels into memory: while it
// does, the heap is over the limit and the collector runs often (the
// runtime caps it at half the CPU), and the heap stays near what is live
// instead of doubling it.
const serveMemoryLimit = 44 << 20

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
