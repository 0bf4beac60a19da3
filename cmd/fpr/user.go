package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
)

// runUser adds a user (`user add`), changes a role (`user role`) or clears
// an account's login throttle (`user unlock`).
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "usage: fpr user add --email E --role R [--display-name N] [--password-stdin]\n       fpr user role --email E --role R\n       fpr user unlock --email E"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("user: want add, role or unlock")
	}
	cfg := loadConfig(getenv)
	action, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.addDatabaseFlags(fs)
	email := fs.String("email", "", "the user's e-mail address")
	var role *string
	if action != "unlock" {
		role = fs.String("role", "", "member, producer, moderator or admin")
	}
	var displayName *string
	var passwordStdin *bool
	switch action {
	case "add":
		displayName = fs.String("display-name", "", "the name shown with reviews (default: the e-mail's local part)")
		passwordStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input; without it a strong password is generated and printed once")
	case "role", "unlock":
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("user: unknown action %q, want add, role or unlock", action)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("user %s: unexpected argument %q", action, fs.Arg(0))
	}
	if action == "unlock" {
		if *email == "" {
			fmt.Fprintln(stderr, usage)
			return errors.New("user unlock: --email is required")
		}
	} else {
		if *email == "" || *role == "" {
			fmt.Fprintln(stderr, usage)
			return fmt.Errorf("user %s: --email and --role are required", action)
		}
		if !fpr.Role(*role).Valid() {
			return fmt.Errorf("user %s: unknown role %q, want member, producer, moderator or admin", action, *role)
		}
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return err
	}
	defer db.Close()

	if action == "unlock" {
		if _, err := db.FindUserByEmail(ctx, *email); err != nil {
			return fmt.Errorf("user unlock: %s: %s", *email, describe(err))
		}
		n, err := db.UnlockLogin(ctx, *email)
		if err != nil {
			return fmt.Errorf("user unlock: %w", err)
		}
		fmt.Fprintf(stdout, "%s: login throttle cleared (%d addresses)\n", *email, n)
		return nil
	}
	if action == "role" {
		u, err := db.FindUserByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("user role: %s: %s", *email, describe(err))
		}
		if u, err = db.SetUserRoleUnchecked(ctx, u.ID, fpr.Role(*role)); err != nil {
			return fmt.Errorf("user role: %w", err)
		}
		fmt.Fprintf(stdout, "%s is now %s\n", u.Email, u.Role)
		return nil
	}

	name := *displayName
	if name == "" {
		name, _, _ = strings.Cut(*email, "@")
	}
	var password string
	generated := !*passwordStdin
	if generated {
		// 26 characters of base32: 130 random bits.
		password = rand.Text()
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("user add: read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	a := auth.New(db)
	u, err := a.Register(ctx, fpr.Registration{Email: *email, Password: password, DisplayName: name, ByOperator: true})
	if err != nil {
		return fmt.Errorf("user add: %s", describe(err))
	}
	if u.Role != fpr.Role(*role) {
		if u, err = db.SetUserRoleUnchecked(ctx, u.ID, fpr.Role(*role)); err != nil {
			return fmt.Errorf("user add: %w", err)
		}
	}
	fmt.Fprintf(stdout, "added %s (%s) as %s\n", u.Email, u.DisplayName, u.Role)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once; store it now)\n", password)
	}
	return nil
}

// describe renders an error for the operator's terminal: an expected
// failure with its field messages, anything else in full.
func describe(err error) string {
	if fpr.ErrorCode(err) == fpr.CodeInternal {
		return err.Error()
	}
	msg := fpr.ErrorMessage(err)
	fields := fpr.ErrorFields(err)
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		msg += fmt.Sprintf("\n  %s: %s", f, fields[f])
	}
	return msg
}
