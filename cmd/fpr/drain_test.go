package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/storetest"
)

// slowGet sends GET path to addr one header line at a time, pausing
// between lines (a client on a slow network still sending its headers),
// and returns the response's status.
func slowGet(addr, path string, lines int, pause time.Duration) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(45 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, addr); err != nil {
		return 0, err
	}
	for i := range lines {
		time.Sleep(pause)
		if _, err := fmt.Fprintf(c, "X-Slow-%d: %d\r\n", i, i); err != nil {
			return 0, fmt.Errorf("header line %d: %w", i, err)
		}
	}
	if _, err := io.WriteString(c, "\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, fmt.Errorf("read response: %w", err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// TestServe_DrainOnSIGTERM sends SIGTERM to a built `fpr serve` under load
// with slow clients still sending their headers, before the signal, during
// the drain and across its end: /readyz turns 503 at once, every request
// in flight or begun during the drain gets its answer, and the process
// exits cleanly.
func TestServe_DrainOnSIGTERM(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "fpr.db")
	a := &arrange{db: storetest.OpenURL(t, dbURL)}
	a.auth = auth.New(a.db)
	product := a.product(t, "Drain")
	const drain = 2 * time.Second
	in, err := startServe(t, fprBinary(t), "drain", "FPR_ENV=development", "FPR_LOG_FORMAT=json",
		"FPR_DATABASE_URL="+dbURL, "FPR_SHUTDOWN_DRAIN="+drain.String())
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(in.url, "http://")
	path := "/api/v1/products/" + product

	// Load: keep-alive clients asking for the product until a load
	// balancer would have stopped sending (a second after /readyz turned
	// 503).
	stopLoad := make(chan struct{})
	var loadOK, loadFailed atomic.Int64
	var failures sync.Map
	var load sync.WaitGroup
	for range 8 {
		load.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for {
				select {
				case <-stopLoad:
					client.CloseIdleConnections()
					return
				default:
				}
				resp, err := client.Get(in.url + path)
				if err != nil {
					loadFailed.Add(1)
					failures.Store(err.Error(), true)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					loadFailed.Add(1)
					failures.Store(resp.Status, true)
					continue
				}
				loadOK.Add(1)
			}
		})
	}

	// Slow senders: 5 header lines 250 ms apart, in three waves.
	var slow sync.WaitGroup
	type slowResult struct {
		wave   string
		status int
		err    error
	}
	results := make(chan slowResult, 32)
	wave := func(name string, n int) {
		for range n {
			slow.Go(func() {
				st, err := slowGet(addr, path, 5, 250*time.Millisecond)
				results <- slowResult{name, st, err}
			})
		}
	}
	wave("before SIGTERM", 6)
	time.Sleep(500 * time.Millisecond)

	sigAt := time.Now()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// /readyz answers 503 as soon as the signal is handled, long before
	// the drain ends and the listener closes.
	for {
		resp, err := http.Get(in.url + "/readyz")
		if err != nil {
			t.Fatalf("readyz never answered 503 before the listener closed: %v", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("readyz 503 %v after SIGTERM", time.Since(sigAt))
	wave("during the drain", 6)
	time.Sleep(time.Second)
	close(stopLoad)
	load.Wait()
	// These begin before the drain ends and finish after the listener has
	// closed: in flight, so they must be answered.
	wave("across the end of the drain", 4)
	slow.Wait()
	close(results)

	n := 0
	for r := range results {
		n++
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("slow client %s: status %d, %v", r.wave, r.status, r.err)
		}
	}
	if n != 16 {
		t.Errorf("%d slow clients answered, want 16", n)
	}
	if loadFailed.Load() > 0 {
		var msgs []string
		failures.Range(func(k, _ any) bool { msgs = append(msgs, k.(string)); return true })
		t.Errorf("%d of %d load requests failed: %v", loadFailed.Load(), loadFailed.Load()+loadOK.Load(), msgs)
	}
	if loadOK.Load() == 0 {
		t.Error("the load sent no request")
	}

	select {
	case <-in.exited:
	case <-time.After(40 * time.Second):
		t.Fatal("fpr serve did not exit within 40 s of SIGTERM")
	}
	if in.waitErr != nil {
		t.Errorf("fpr serve exited with %v", in.waitErr)
	}
	if !strings.Contains(in.logs.String(), `"msg":"draining"`) {
		t.Errorf("no draining log line")
	}
	// After the exit the port is closed.
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the port still accepts connections after the exit")
	}
}
