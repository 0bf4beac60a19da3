package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runVersion prints release, commit, build time and Go version.
func runVersion(_ context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	b := buildInfo()
	if r := getenv("FPR_RELEASE"); r != "" {
		b.Release = r
	}
	fmt.Fprintf(stdout, "release  %s\ncommit   %s\nbuilt    %s\ngo       %s\n", b.Release, or(b.Commit, "unknown"), or(b.BuiltAt, "unknown"), b.Go)
	return nil
}
