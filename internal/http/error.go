package http

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/fpr-team/fpr"
)

// statusByCode maps every fpr error code to its HTTP status: the one place
// where the domain's vocabulary meets HTTP.
var statusByCode = map[fpr.Code]int{
	fpr.CodeBadRequest:       http.StatusBadRequest,
	fpr.CodeValidationFailed: http.StatusUnprocessableEntity,
	fpr.CodeUnauthenticated:  http.StatusUnauthorized,
	fpr.CodeForbidden:        http.StatusForbidden,
	fpr.CodeNotFound:         http.StatusNotFound,
	fpr.CodeConflict:         http.StatusConflict,
	fpr.CodePayloadTooLarge:  http.StatusRequestEntityTooLarge,
	fpr.CodeRateLimited:      http.StatusTooManyRequests,
	fpr.CodeUnavailable:      http.StatusServiceUnavailable,
	fpr.CodeInternal:         http.StatusInternalServerError,
	fpr.CodeMFARequired:      http.StatusUnauthorized,
}

// errorStatus returns the HTTP status for err.
func errorStatus(err error) int {
	if st, ok := statusByCode[fpr.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// apiError is the JSON error envelope of SPEC section 3.
type apiError struct {
	Error     apiErrorBody `json:"error"`
	RequestID string       `json:"request_id"`
}

type apiErrorBody struct {
	Code    fpr.Code          `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// apiFunc is a JSON API handler: it writes a response and returns nil, or
// returns an error and writes nothing.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts an apiFunc: an error becomes the JSON envelope.
func (s *Server) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeAPIError(w, r, err)
		}
	})
}

// writeAPIError writes err as the JSON envelope. Internal errors are
// reported (logged with stack and recorded) and shown without detail.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	if reportable(r, err) {
		s.reportError(r, err, debug.Stack())
	}
	status := errorStatus(err)
	setRetryAfter(w, err)
	writeJSON(w, status, apiError{
		Error: apiErrorBody{
			Code:    codeForStatus(err),
			Message: fpr.ErrorMessage(err),
			Fields:  fpr.ErrorFields(err),
		},
		RequestID: fpr.RequestIDFromContext(r.Context()),
	})
}

func codeForStatus(err error) fpr.Code {
	c := fpr.ErrorCode(err)
	if _, ok := statusByCode[c]; !ok {
		return fpr.CodeInternal
	}
	return c
}

// setRetryAfter tells the client when to try again after a 429 or a 503.
func setRetryAfter(w http.ResponseWriter, err error) {
	var e *fpr.Error
	if errors.As(err, &e) && (e.Code == fpr.CodeRateLimited || e.Code == fpr.CodeUnavailable) {
		secs := max(e.RetryAfterSeconds, 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
}

// reportable says whether err, the answer to r, is recorded as an error
// event: every 5xx (internal errors, and outages: the database refusing
// or not answering in time), unless the client has gone away and nobody
// sees the answer.
func reportable(r *http.Request, err error) bool {
	if errorStatus(err) < 500 {
		return false
	}
	return !errors.Is(r.Context().Err(), context.Canceled)
}

// reportError logs an unexpected error once, with its stack and the
// request ID, at error level. The ops package hooks in here to record error
// events (see Server.OnError).
func (s *Server) reportError(r *http.Request, err error, stack []byte) {
	route := infoFromContext(r.Context()).route()
	s.Log.ErrorContext(r.Context(), "internal error",
		"err", err.Error(), "route", route, "method", logMethod(r.Method), "stack", string(stack))
	if s.OnError != nil {
		s.OnError(r, route, err, stack)
	}
}
