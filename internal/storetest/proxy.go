package storetest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between the application and its database that a
// test controls, to cause outages without touching the shared server:
//
//	p := storetest.NewProxy(t, "127.0.0.1:5432")
//	db := storetest.OpenURL(t, p.URL(pgURL))
//	p.Refuse()    // the server is down: connections refused, open ones reset
//	p.Partition() // the network is cut: nothing answers, nothing is refused
//	p.Heal()      // back to normal
type Proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	state proxyState
	ln    net.Listener
	conns map[net.Conn]struct{}
	// healed is closed when a partition ends; stalled copies wait on it.
	healed chan struct{}
}

type proxyState int

const (
	proxyUp proxyState = iota
	proxyRefusing
	proxyPartitioned
)

// NewProxy listens on a free loopback port and forwards each connection to
// target; it is closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: listen: %v", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}, healed: make(chan struct{})}
	go p.accept(ln)
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.addr }

// URL returns dbURL (postgres://…) with its host replaced by the proxy's.
func (p *Proxy) URL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(err)
	}
	u.Host = p.addr
	return u.String()
}

// Refuse makes the database look down: the listener closes (new
// connections are refused) and open connections are reset.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endPartition()
	p.state = proxyRefusing
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, as from a server that died
		}
		_ = c.Close()
		delete(p.conns, c)
	}
}

// Partition cuts the network: connections are accepted but never reach
// the database, and bytes on open connections stop flowing, until Heal.
// Nothing is refused or reset, so only deadlines end the wait.
func (p *Proxy) Partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == proxyRefusing {
		p.listen()
	}
	p.state = proxyPartitioned
}

// Heal ends a refusal or a partition: stalled bytes flow again and new
// connections reach the database.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == proxyRefusing {
		p.listen()
	}
	p.endPartition()
	p.state = proxyUp
}

// endPartition releases stalled copies; p.mu is held.
func (p *Proxy) endPartition() {
	if p.state == proxyPartitioned {
		close(p.healed)
		p.healed = make(chan struct{})
	}
}

// listen opens the listener again on the same address; p.mu is held.
func (p *Proxy) listen() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		panic("proxy: listen again on " + p.addr + ": " + err.Error())
	}
	p.ln = ln
	go p.accept(ln)
}

func (p *Proxy) close() {
	p.Heal()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *Proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Refuse or close
		}
		if !p.track(c) {
			_ = c.Close()
			continue
		}
		go p.serve(c)
	}
}

// track records c, or reports false when the proxy refuses.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == proxyRefusing {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// gate returns a channel closed once bytes may flow: at once unless the
// network is partitioned.
func (p *Proxy) gate() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == proxyPartitioned {
		return p.healed
	}
	return closedChan
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (p *Proxy) serve(client net.Conn) {
	<-p.gate() // a partition holds new connections before they reach the server
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(server) {
		_ = server.Close()
		_ = client.Close()
		return
	}
	go p.pipe(server, client)
	p.pipe(client, server)
}

// pipe copies from src to dst, holding each chunk while partitioned.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer func() {
		_ = dst.Close()
		_ = src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or closed: close both sides
		}
	}
}
