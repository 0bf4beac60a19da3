package fpr

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error category. The values are the codes of the
// API's error envelope (SPEC section 3); internal/http maps each to a status.
type Code string

// The error codes of the API envelope.
const (
	CodeBadRequest       Code = "bad_request"
	CodeValidationFailed Code = "validation_failed"
	CodeUnauthenticated  Code = "unauthenticated"
	CodeForbidden        Code = "forbidden"
	CodeNotFound         Code = "not_found"
	CodeConflict         Code = "conflict"
	CodePayloadTooLarge  Code = "payload_too_large"
	CodeRateLimited      Code = "rate_limited"
	CodeUnavailable      Code = "unavailable"
	CodeInternal         Code = "internal"

	// CodeMFARequired: the password was right but the account needs a
	// two-factor code (SPEC section 7).
	CodeMFARequired Code = "mfa_required"
)

// Error is the one error type of the domain: an expected failure with a code,
// a message written for users, and optional per-field messages. Any other
// error reaching a surface is internal.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	// RetryAfterSeconds is set on CodeRateLimited and CodeUnavailable
	// errors: when the client may try again.
	RetryAfterSeconds int
	// Cause is what made an expected failure happen (the driver's error
	// behind CodeUnavailable), for logs and error events; users never see
	// it.
	Cause error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("fpr error: code=%s message=%s cause=%v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("fpr error: code=%s message=%s", e.Code, e.Message)
}

// Unwrap returns the cause, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.Cause }

// UnavailableRetryAfter is the Retry-After, in seconds, of an outage: the
// database not answering, timing out or recovering.
const UnavailableRetryAfter = 5

// ErrUnavailable returns the error of an outage caused by cause: the
// database refuses connections, does not answer in time, or is in
// recovery. Clients may retry after UnavailableRetryAfter seconds.
func ErrUnavailable(cause error) *Error {
	return &Error{Code: CodeUnavailable, Message: "The service is unavailable for a moment. Please try again shortly.",
		RetryAfterSeconds: UnavailableRetryAfter, Cause: cause}
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors collects per-field validation messages.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns a validation_failed *Error when any field has a message, else nil.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeValidationFailed, Message: "Some fields need another look.", Fields: f}
}

// ErrorCode returns the code of err when it is (or wraps) an *Error, "" for
// nil and CodeInternal for anything else.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the user-facing message of err. Internal errors get a
// generic message so nothing internal leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. We have been told and are looking into it."
}

// ErrorFields returns the per-field messages of err, if any.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
