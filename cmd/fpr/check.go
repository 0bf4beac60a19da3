package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runCheck validates the configuration; with --deploy it also refuses
// settings that are unsafe in production.
func runCheck(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	deploy := fs.Bool("deploy", false, "refuse insecure production settings")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (FPR_ADDR)")
	cfg.addDatabaseFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if *deploy {
		if err := cfg.CheckDeploy(); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "configuration is valid")
	return nil
}
