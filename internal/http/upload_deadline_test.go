package http_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// slowPost sends body to path as a client on a slow uplink would: the
// request line, headers and half the body, then after pause the rest, on
// a raw connection (the HTTP client's buffered writer would hold the first
// half back). It returns the status, or 0 when the server closed the
// connection without an answer.
func slowPost(t *testing.T, env *fprtest.Env, path, token, contentType string, body []byte, pause time.Duration) int {
	t.Helper()
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	half := len(body) / 2
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		path, u.Host, token, contentType, len(body))
	if _, err := conn.Write(append([]byte(head), body[:half]...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	if _, err := conn.Write(body[half:]); err != nil {
		return 0 // the server gave up on the request
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestServer_UploadOutlastsRequestDeadline: a photo upload may take longer
// than the server's deadline for other requests (a phone on a slow uplink,
// then decoding and scaling on a busy server), while a form or JSON body
// sent as slowly is still cut off. Under the race detector on a loaded
// machine, processing a large photo alone outlasted the 30 s write
// deadline, and the client got no answer at all.
func TestServer_UploadOutlastsRequestDeadline(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) {
		s.ReadTimeout, s.WriteTimeout, s.UploadTimeout = time.Second, time.Second, time.Minute
	}))
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", ann.Token, map[string]any{"rating": 5, "body": "Golden."})
	wantStatus(t, "create", resp, body, http.StatusCreated)
	id := mustDecode[struct{ Review reviewJSON }](t, body).Review.ID

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {`form-data; name="photo"; filename="IMG_0002.jpg"`},
		"Content-Type":        {"image/jpeg"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(testJPEG(t, 800, 600, false))
	_ = mw.Close()
	pause := 2500 * time.Millisecond
	if got := slowPost(t, env, "/api/v1/reviews/"+id+"/photos", ann.Token, mw.FormDataContentType(), form.Bytes(), pause); got != http.StatusCreated {
		t.Errorf("photo upload sent over %v with a 1 s request deadline = %d, want 201", pause, got)
	}

	bob := env.MustUser(t, fpr.RoleMember)
	review := []byte(`{"rating": 4, "body": "Sent over a slow line."}`)
	if got := slowPost(t, env, "/api/v1/products/"+product+"/reviews", bob.Token, "application/json", review, pause); got == http.StatusCreated {
		t.Errorf("a JSON review sent over %v with a 1 s request deadline = 201, want it cut off", pause)
	}
}
