package fpr

import "context"

type ctxKey int

const (
	userKey ctxKey = iota
	requestIDKey
	clientAddrKey
)

// NewContextWithUser returns a copy of ctx carrying the acting user.
// Services read it for permission checks.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFromContext returns the acting user, or nil for an anonymous request.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey).(*User)
	return u
}

// UserIDFromContext returns the acting user's ID, or "".
func UserIDFromContext(ctx context.Context) string {
	if u := UserFromContext(ctx); u != nil {
		return u.ID
	}
	return ""
}

// NewContextWithRequestID returns a copy of ctx carrying the request ID.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFromContext returns the request ID, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// NewContextWithClientAddr returns a copy of ctx carrying the client's
// address (the peer, or the address a trusted proxy names). The store
// counts rate limits per address and writes it in the audit log.
func NewContextWithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey, addr)
}

// ClientAddrFromContext returns the client's address, or "" when the
// caller is not a request (the command line, a worker).
func ClientAddrFromContext(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey).(string)
	return a
}
