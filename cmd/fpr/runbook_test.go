package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

// runbookCommands returns every command line of the sh blocks in
// docs/runbook.md.
func runbookCommands(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(doc, -1) {
		for _, line := range strings.Split(string(block[1]), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// TestRunbook runs every command of docs/runbook.md, as written, against a
// running site with an error to investigate: an operator at 3 a.m. must not
// be the first to find a typo in them.
func TestRunbook(t *testing.T) {
	cmds := runbookCommands(t)
	if len(cmds) < 10 {
		t.Fatalf("docs/runbook.md has %d commands in sh blocks, want the whole procedure", len(cmds))
	}

	// `fpr` on PATH is this tree's binary, as on a host.
	bin := fprBinary(t)
	binDir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(binDir, "fpr")); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dataDir, "fpr.db")
	if out, err := fprAt(bin, dbURL, "migrate", "up"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if out, err := fprAt(bin, dbURL, "seed", "--farms", "1", "--products", "2", "--users", "2", "--reviews", "2"); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	const email, password = "oncall@example.org", "correct horse battery staple 42"
	add := exec.Command(bin, "user", "add", "--email", email, "--role", "admin", "--password-stdin") //nolint:gosec // G204: the test's own binary
	add.Env = append(os.Environ(), "FPR_DATABASE_URL="+dbURL)
	add.Stdin = strings.NewReader(password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}

	// The error the alert was about, as the site records one.
	db := storetest.OpenURL(t, dbURL)
	const requestID, fingerprint = "runbook0request0id000001", "runbook0fp000001"
	if _, err := db.RecordErrorEvents(context.Background(), []*fpr.ErrorEvent{{
		Fingerprint: fingerprint, Route: "POST /api/v1/auth/register", Type: "*main.keyError",
		Message: "register: KeyError: 'user'", Stack: "goroutine 1 [running]:\nmain.register()", Release: "runbook",
		RequestID: requestID, Instance: "web-1", Time: time.Now().UTC(),
	}}, 10); err != nil {
		t.Fatal(err)
	}

	in, err := startInstance(t, bin, dbURL, "runbook")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(in.url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&login)
	_ = resp.Body.Close()
	if err != nil || login.Token == "" {
		t.Fatalf("admin login: status %d, %v", resp.StatusCode, err)
	}

	env := append(os.Environ(),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FPR_BASE_URL="+in.url,
		"FPR_ADMIN_TOKEN="+login.Token,
		"FPR_DATABASE_URL="+dbURL,
		"FPR_ENV=development",
		"REQUEST_ID="+requestID,
		"FINGERPRINT="+fingerprint,
		"PREVIOUS_FPR="+bin,
		"LOCKED_EMAIL="+email,
		"BACKUP_FILE="+filepath.Join(t.TempDir(), "fpr-backup.db"),
	)
	for _, line := range cmds {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", line) //nolint:gosec // G204: the runbook's own commands
		cmd.Env = env
		cmd.Dir = dataDir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("runbook command failed: %s\n%v\n%s", line, err, out.String())
			continue
		}
		t.Logf("$ %s\n%s", line, lastLines(out.String(), 3))
	}
}
