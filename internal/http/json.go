package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/fpr-team/fpr"
)

// maxJSONBody caps request bodies of the JSON API.
const maxJSONBody = 64 << 10

// decodeJSON strictly decodes the request body into v: unknown fields,
// trailing data and wrong types are bad_request, a body over maxJSONBody is
// payload_too_large.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fpr.Errorf(fpr.CodeBadRequest, "Send the body as application/json.")
	}
	return decodeJSONObject(http.MaxBytesReader(w, r.Body, maxJSONBody), v)
}

// decodeJSONObject is decodeJSON's decoder, apart from HTTP so the fuzz
// test can reach it: one JSON object (not null, an array or a scalar,
// which would leave v at its zero value and pass for an empty PATCH),
// without unknown fields, and nothing after it.
func decodeJSONObject(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return fpr.Errorf(fpr.CodeBadRequest, "The body must hold one JSON value and nothing after it.")
	}
	if raw = bytes.TrimLeft(raw, " \t\r\n"); len(raw) == 0 || raw[0] != '{' {
		return fpr.Errorf(fpr.CodeBadRequest, "The body must be a JSON object.")
	}
	obj := json.NewDecoder(bytes.NewReader(raw))
	obj.DisallowUnknownFields()
	if err := obj.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError explains a decoding error to the client.
func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return fpr.Errorf(fpr.CodePayloadTooLarge, "The body is larger than %d bytes.", mbe.Limit)
	case errors.Is(err, io.EOF):
		return fpr.Errorf(fpr.CodeBadRequest, "The body is empty; send a JSON object.")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return fpr.Errorf(fpr.CodeBadRequest, "The body is not valid JSON.")
	case errors.As(err, &te):
		return fpr.Errorf(fpr.CodeBadRequest, "The field %q must be %s.", te.Field, jsonKind(te.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fpr.Errorf(fpr.CodeBadRequest, "The body has an unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return fpr.Errorf(fpr.CodeBadRequest, "The body could not be read as JSON.")
	}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	default:
		return "of another type"
	}
}

// writeJSON writes v with status. Encoding into a buffer first means an
// encoding failure can still become a proper error response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		http.Error(w, fmt.Sprintf(`{"error":{"code":"internal","message":"encode response"},"request_id":%q}`, w.Header().Get("X-Request-ID")), http.StatusInternalServerError)
		return
	}
	writeJSONBody(w, status, buf.Bytes())
}

// writeJSONBody writes an encoded JSON body with status.
func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	// Known length: no chunked encoding for bodies over the server's
	// 2 KiB buffer (a page of reviews).
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) //nolint:gosec // G705: JSON that encoding/json wrote (HTML-escaped), sent as application/json with nosniff
}

// jsonContentType is writeJSONBody's Content-Type, shared by every
// response as securityHeaderValues are, and for the same reason: what
// Header.Set would store, without a new slice each time.
var jsonContentType = []string{"application/json; charset=utf-8"}

// encodeJSON returns v encoded as writeJSON writes it, in a slice of its
// own.
func encodeJSON(v any) ([]byte, error) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// jsonBuffers holds the buffers writeJSON encodes into, so a page of
// reviews does not grow a new one each time.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putJSONBuffer returns buf to the pool unless it grew past 256 KiB (a
// rare large answer should not stay in memory).
func putJSONBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 256<<10 {
		return
	}
	buf.Reset()
	jsonBuffers.Put(buf)
}
