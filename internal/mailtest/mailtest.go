// Package mailtest runs a real SMTP server in-process for tests
// (github.com/emersion/go-smtp over TCP on 127.0.0.1) and parses the MIME
// of what it receives, so tests read mails as a mail client would and
// follow the links in them.
//
//	srv := mailtest.Start(t, mailtest.Plain)
//	env := fprtest.New(t, fprtest.WithConfig(func(c *app.Config) { c.SMTPURL = srv.URL }))
//	m := srv.WaitFor(t, "ann@example.org")
//	link := m.Link(t, "/verify-email")
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mode is how the server speaks TLS.
type Mode int

// Server modes: no TLS, STARTTLS offered, or implicit TLS (smtps).
const (
	Plain Mode = iota
	StartTLS
	ImplicitTLS
)

// Server is an SMTP server that keeps every message it accepts.
type Server struct {
	// URL is the FPR_SMTP_URL that reaches it.
	URL string
	// ClientTLS trusts the server's certificate (for app.Config.MailTLS).
	ClientTLS *tls.Config

	refuse   atomic.Bool
	attempts atomic.Int64
	mu       sync.Mutex
	msgs     []*Message
	arrived  chan struct{}
}

// Message is one received mail, parsed.
type Message struct {
	From   string
	To     []string
	Raw    []byte
	Header mail.Header
	// Text and HTML are the decoded plain-text and HTML parts.
	Text, HTML string
	// TLS reports whether the connection was encrypted.
	TLS bool
}

// Start runs a server on 127.0.0.1 in mode until the test ends.
func Start(t testing.TB, mode Mode) *Server {
	t.Helper()
	s := &Server{arrived: make(chan struct{}, 1)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "mailtest.local"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	scheme := "smtp"
	if mode != Plain {
		serverTLS, clientTLS := certs(t)
		srv.TLSConfig, s.ClientTLS = serverTLS, clientTLS
		if mode == ImplicitTLS {
			ln = tls.NewListener(ln, serverTLS)
			scheme = "smtps"
		}
	}
	s.URL = scheme + "://" + ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Refuse makes the server refuse (on) or accept (off) every message with a
// temporary failure (451) at DATA.
func (s *Server) Refuse(on bool) { s.refuse.Store(on) }

// Attempts counts the messages offered (DATA), refused ones included.
func (s *Server) Attempts() int { return int(s.attempts.Load()) }

// Messages returns the messages received so far.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// To returns the messages received so far for addr.
func (s *Server) To(addr string) []*Message {
	var out []*Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// WaitFor waits (up to 15 s, then fails the test) until a message for
// addr has arrived whose subject contains subject, and returns the latest
// such message.
func (s *Server) WaitFor(t testing.TB, addr, subject string) *Message {
	t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		ms := s.To(addr)
		for i := len(ms) - 1; i >= 0; i-- {
			if strings.Contains(ms[i].Subject(), subject) {
				return ms[i]
			}
		}
		select {
		case <-s.arrived:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("mailtest: no mail to %s with subject %q arrived; got %d mails: %v", addr, subject, len(s.Messages()), subjects(s.Messages()))
			return nil
		}
	}
}

// WaitForCount waits (up to 15 s, then fails the test) until n messages
// for addr have arrived, and returns them.
func (s *Server) WaitForCount(t testing.TB, addr string, n int) []*Message {
	t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		if ms := s.To(addr); len(ms) >= n {
			return ms
		}
		select {
		case <-s.arrived:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("mailtest: %d mails to %s arrived, want %d: %v", len(s.To(addr)), addr, n, subjects(s.To(addr)))
			return nil
		}
	}
}

func subjects(ms []*Message) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%v: %s", m.To, m.Subject()))
	}
	return out
}

// Subject returns the decoded subject.
func (m *Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link returns the first link in the text part whose path starts with
// path, and checks that the HTML part has the same link.
func (m *Message) Link(t testing.TB, path string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(m.Text, -1) {
		if i := strings.Index(l, "://"); i >= 0 {
			rest := l[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 && strings.HasPrefix(rest[j:], path) {
				if !strings.Contains(m.HTML, strings.ReplaceAll(l, "&", "&amp;")) {
					t.Errorf("mailtest: link %s of the text part is not in the HTML part:\n%s", l, m.HTML)
				}
				return l
			}
		}
	}
	t.Fatalf("mailtest: no link to %s in:\n%s", path, m.Text)
	return ""
}

type session struct {
	s    *Server
	conn *smtp.Conn
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	ss.s.attempts.Add(1)
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.refuse.Load() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailtest: refusing mail for now"}
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: " + err.Error()}
	}
	_, isTLS := ss.conn.TLSConnectionState()
	m.From, m.To, m.TLS = ss.from, ss.to, isTLS
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	select {
	case ss.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

// parse reads a multipart/alternative mail into its text and HTML parts.
func parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &Message{Raw: raw, Header: msg.Header}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("content type: %w", err)
	}
	if mt != "multipart/alternative" {
		return nil, fmt.Errorf("content type %s, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := decode(p)
		if err != nil {
			return nil, err
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	if m.Text == "" || m.HTML == "" {
		return nil, errors.New("want a text/plain and a text/html part")
	}
	return m, nil
}

func decode(p *multipart.Part) (string, error) {
	var r io.Reader = p
	switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(p)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, p)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// certs returns a server TLS config with a fresh self-signed certificate
// for 127.0.0.1 and a client config that trusts it.
func certs(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}
