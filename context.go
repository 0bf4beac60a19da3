package fpr

import "context"

type ctxKey int

const (
	userKey ctxKey = iota
	requestIDKey
	clientKey
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

// ClientAddrFromContext returns the client's address (the peer, or the
// address a trusted proxy names), or "" when the caller is not a request
// (the command line, a worker). The store counts rate limits per address
// and writes it in the audit log.
func ClientAddrFromContext(ctx context.Context) string {
	return ClientFromContext(ctx).Address
}

// Client is what a request says about who sends it: its address (as
// trusted proxies report it) and its user agent. The HTTP layer puts it in
// the context of every request; the store counts rate limits per address
// and audits it, and the AuthService keeps both with the sessions it opens.
type Client struct {
	Address   string
	UserAgent string
}

// NewContextWithClient returns a copy of ctx carrying c, its user agent
// made safe to store and show (CleanUserAgent).
func NewContextWithClient(ctx context.Context, c Client) context.Context {
	c.UserAgent = CleanUserAgent(c.UserAgent)
	return context.WithValue(ctx, clientKey, c)
}

// ClientFromContext returns the client of the request, or the zero Client.
func ClientFromContext(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey).(Client)
	return c
}
