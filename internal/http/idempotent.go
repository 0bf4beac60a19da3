package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"

	"github.com/fpr-team/fpr"
)

// IdempotencyKeyHeader names the header that makes a POST safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

// idempotent runs h at most once per Idempotency-Key and replays its first
// response to retries. Wrap a POST handler's work in it:
//
//	func (s *Server) handleAPIThingCreate(w http.ResponseWriter, r *http.Request) error {
//		return s.idempotent(w, r, func(w http.ResponseWriter, r *http.Request) error {
//			… decodeJSON(w, r, &in), call the service, writeJSON(w, 201, …)
//		}, func(written any) (any, error) { return apiThingEnvelope{…written.(*fpr.Thing)…}, nil })
//	}
//
// Without the header (or without an IdempotencyService) h simply runs. With
// it (1–255 visible ASCII characters, fpr.ValidIdempotencyKey; else 400),
// the key lives in the scope of the route pattern and the acting user (or,
// anonymous, the client's address), at most fpr.MaxIdempotencyKeys a day
// per scope (then 429), for a request identified by the SHA-256 of method,
// path and body:
//   - a stored response for the key is replayed: the same status and body,
//     with a fresh X-Request-ID (an error envelope's request_id is updated
//     to match) and Idempotent-Replayed: true; the same key with another
//     body is 422;
//   - otherwise h runs with an fpr.IdempotentWrite in its context: the
//     store claims the key, writes, and stores the 201 response rendered by
//     created (status 201), all in the write's one transaction, so a crash
//     at any point leaves all or nothing and a retry gets the first
//     response;
//   - a 4xx answer (except 429), which wrote nothing, is stored after;
//     5xx and 429 are not, so a retry runs again;
//   - a twin request that finds the key taken when it comes to write (the
//     first committed meanwhile) replays the first's response.
//
// The body is read here (capped at maxJSONBody) and given to h again, so h
// decodes it with decodeJSON as usual.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, h apiFunc, created func(written any) (any, error)) error {
	key := r.Header.Get(IdempotencyKeyHeader)
	if key == "" || s.Idempotency == nil {
		return h(w, r)
	}
	if !fpr.ValidIdempotencyKey(key) || len(r.Header.Values(IdempotencyKeyHeader)) > 1 {
		return &fpr.Error{Code: fpr.CodeBadRequest, Message: "The Idempotency-Key header must be one value of 1 to 255 visible ASCII characters.",
			Fields: map[string]string{"idempotency_key": "Use 1 to 255 visible ASCII characters."}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		return jsonError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	sum := sha256.New()
	sum.Write([]byte(r.Method + "\n" + r.URL.Path + "\n"))
	sum.Write(body)
	hash := hex.EncodeToString(sum.Sum(nil))
	// A user's keys are theirs; an anonymous client's are its address's
	// (an IPv6 client's /64's), so one stranger cannot replay or use up
	// another's keys, and each address is capped on its own.
	principal := fpr.UserIDFromContext(r.Context())
	if principal == "" {
		principal = "anon:" + addressScope(s.clientAddr(r))
	}
	scope := r.Pattern + " " + principal

	ctx := r.Context()
	stored, err := s.Idempotency.FindIdempotent(ctx, scope, key, hash)
	if err != nil {
		return err
	}
	if stored != nil {
		replay(w, r, stored)
		return nil
	}

	rec := &recorder{header: http.Header{}}
	iw := &fpr.IdempotentWrite{Scope: scope, Key: key, RequestHash: hash,
		Respond: func(written any) (fpr.IdempotentResponse, error) {
			v, err := created(written)
			if err != nil {
				return fpr.IdempotentResponse{}, err
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fpr.IdempotentResponse{}, fmt.Errorf("encode response: %w", err)
			}
			return fpr.IdempotentResponse{Status: http.StatusCreated, Body: append(b, '\n')}, nil
		}}
	r = r.WithContext(fpr.NewContextWithIdempotentWrite(ctx, iw))
	if err := h(rec, r); err != nil {
		if errors.Is(err, fpr.ErrIdempotencyKeyTaken) {
			// A twin committed first: its response is the answer.
			stored, ferr := s.Idempotency.FindIdempotent(ctx, scope, key, hash)
			if ferr != nil {
				return ferr
			}
			if stored != nil {
				replay(w, r, stored)
				return nil
			}
		}
		s.writeAPIError(rec, r, err)
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
		// Nothing was written: store the refusal so a retry hears the same.
		first, err := s.Idempotency.SaveIdempotent(ctx, scope, key, hash, fpr.IdempotentResponse{Status: status, Body: rec.body.Bytes()})
		if err != nil {
			return err
		}
		if first.Status != status || !bytes.Equal(first.Body, rec.body.Bytes()) {
			replay(w, r, first)
			return nil
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(rec.body.Bytes())
	return nil
}

// addressScope is the part of a client address that counts as one client:
// the address for IPv4, its /64 network for IPv6 (one subscriber usually
// holds a whole /64).
func addressScope(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // an IPv6 address always has a /64
	return p.String()
}

// replay writes a stored response.
func replay(w http.ResponseWriter, r *http.Request, stored *fpr.IdempotentResponse) {
	body := stored.Body
	if stored.Status >= 400 {
		// The envelope's request_id must name this request, the one whose
		// X-Request-ID the client sees.
		var env map[string]json.RawMessage
		if json.Unmarshal(body, &env) == nil && env["request_id"] != nil {
			id, _ := json.Marshal(fpr.RequestIDFromContext(r.Context()))
			env["request_id"] = id
			if b, err := json.Marshal(env); err == nil {
				body = append(b, '\n')
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(stored.Status)
	_, _ = w.Write(body) //nolint:gosec // G705: a stored JSON response replayed as application/json, not HTML

}

// recorder is a ResponseWriter that keeps the response for storing.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}
