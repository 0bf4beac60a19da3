package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr/internal/apitest"
	"github.com/fpr-team/fpr/internal/storetest"
)

// These tests run three `fpr serve` processes, built from this package, on
// one fresh PostgreSQL database and talk to them over real HTTP, as a load
// balancer would spread clients over them. They need FPR_TEST_POSTGRES_URL
// (skipped without it, failed under FPR_REQUIRE_POSTGRES=1).

// instance is one running `fpr serve` process.
type instance struct {
	name string
	url  string
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// cluster is several instances on one database.
type cluster struct {
	dbURL     string
	instances []*instance
	client    *http.Client
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// fprBinary builds the fpr command once per test process.
func fprBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fpr-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "fpr")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput() //nolint:gosec // G204: builds this package into the test's own temporary folder
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// TestMain removes the binary built by fprBinary.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildPath != "" {
		_ = os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}

// startCluster starts n instances on a fresh PostgreSQL database, at the
// same moment (they migrate concurrently), and waits until each is ready.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	dbURL := storetest.FreshPostgresURL(t)
	bin := fprBinary(t)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	t.Cleanup(base.CloseIdleConnections)
	c := &cluster{dbURL: dbURL, client: &http.Client{Transport: apitest.Transport(t, base), Timeout: time.Minute}}

	var wg sync.WaitGroup
	starts := make([]*instance, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { starts[i], errs[i] = startInstance(t, bin, dbURL, "ABCDEFGHIJ"[i:i+1]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %s: %v", "ABCDEFGHIJ"[i:i+1], err)
		}
	}
	c.instances = starts
	for _, in := range c.instances {
		c.waitReady(t, in)
	}
	return c
}

// startInstance starts `fpr serve` on a free loopback port and returns once
// it prints its URL. The process is stopped when the test ends.
func startInstance(t *testing.T, bin, dbURL, name string) (*instance, error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FPR_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "FPR_ENV=development", "FPR_LOG_FORMAT=json", "FPR_DATABASE_URL="+dbURL,
		"FPR_RELEASE=multi-instance-test")
	logs := newLockedBuffer()
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{name: name, cmd: cmd, logs: logs}
	exited := make(chan struct{})
	t.Cleanup(func() {
		// Interrupt asks for a graceful shutdown; Kill if it hangs.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("instance %s logs:\n%s", name, logs.String())
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "FPR is serving at "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case in.url = <-urls:
		return in, nil
	case <-exited:
		return nil, fmt.Errorf("exited before serving: %v\n%s", cmd.ProcessState, logs.String())
	case <-time.After(time.Minute):
		return nil, fmt.Errorf("did not print its URL within a minute\n%s", logs.String())
	}
}

// waitReady polls /readyz until it answers 200.
func (c *cluster) waitReady(t *testing.T, in *instance) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := c.client.Get(in.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not ready within a minute (last: %v)", in.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// do sends a JSON request to instance in and returns the status and body.
// It reports transport errors with t.Error, so it may run in goroutines.
func (c *cluster) do(t *testing.T, in *instance, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, in.url+path, r)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Errorf("%s %s on %s: %v", method, path, in.name, err)
		return 0, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s on %s: read body: %v", method, path, in.name, err)
	}
	return resp.StatusCode, data
}

func TestMultiInstance_Postgres(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3)

	t.Run("MigratedExactlyOnce", func(t *testing.T) {
		// Each migration is logged by the instance that applied it; the
		// others found it applied after waiting for the advisory lock.
		applied := 0
		for _, in := range c.instances {
			applied += strings.Count(in.logs.String(), `"msg":"applied migration"`)
		}
		files, err := filepath.Glob("../../internal/store/migrations/postgres/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migration files: %v %v", files, err)
		}
		if applied != len(files) {
			t.Errorf("three instances applied %d migrations in all, want %d (each exactly once)", applied, len(files))
		}
	})

	t.Run("TokenWorksEverywhereLogoutRevokesEverywhere", func(t *testing.T) {
		a, b := c.instances[0], c.instances[1]
		creds := map[string]string{"email": "ann@example.org", "password": "Orchard-ladder-42-bramble"}
		if st, body := c.do(t, a, "POST", "/api/v1/auth/register", "",
			map[string]string{"email": creds["email"], "password": creds["password"], "display_name": "Ann"}); st != http.StatusCreated {
			t.Fatalf("register on A = %d %s, want 201", st, body)
		}
		st, body := c.do(t, a, "POST", "/api/v1/auth/login", "", creds)
		if st != http.StatusOK {
			t.Fatalf("login on A = %d %s, want 200", st, body)
		}
		var login struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &login); err != nil || login.Token == "" {
			t.Fatalf("login body %s: %v", body, err)
		}
		for _, in := range c.instances {
			if st, body := c.do(t, in, "GET", "/api/v1/me", login.Token, nil); st != http.StatusOK {
				t.Errorf("GET /me with A's token on %s = %d %s, want 200", in.name, st, body)
			}
		}
		if st, body := c.do(t, b, "POST", "/api/v1/auth/logout", login.Token, nil); st != http.StatusNoContent {
			t.Fatalf("logout on B = %d %s, want 204", st, body)
		}
		for _, in := range c.instances {
			if st, body := c.do(t, in, "GET", "/api/v1/me", login.Token, nil); st != http.StatusUnauthorized {
				t.Errorf("GET /me after logout on B, on %s = %d %s, want 401", in.name, st, body)
			}
		}
	})
}
