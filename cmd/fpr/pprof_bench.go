//go:build fprpprof

package main

// A bench build only (`go build -tags fprpprof ./cmd/fpr`): serves
// net/http/pprof on FPR_PPROF_ADDR (loopback) so a profile can be taken
// of `fpr serve` under wrk. The product build has no such listener.

import (
	"log"
	"net/http"
	_ "net/http/pprof" //nolint:gosec // G108: bench build only, on a loopback address the operator names
	"os"
	"time"
)

func init() {
	addr := os.Getenv("FPR_PPROF_ADDR")
	if addr == "" {
		return
	}
	go func() {
		srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
		log.Println(srv.ListenAndServe())
	}()
}
