package fpr

import "context"

type ctxKey int

const (
	userKey ctxKey = iota
	// requestKey holds a *Request: the request ID and the client share
	// one value, so every value under it is complete (the ID and the
	// client of the nearest one are the context's).
	requestKey
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

// Request is what the HTTP layer knows of a request that the layers
// below it read from the context: its ID and its client. The HTTP layer
// puts both in the context at once (NewContextWithRequest), one context
// value rather than one each.
type Request struct {
	ID     string
	Client Client
}

// NewContextWithRequest returns a copy of ctx carrying req's ID and
// client, in place of any ctx carries; it first makes req's user agent
// safe to store and show (CleanUserAgent), as NewContextWithClient does.
// req must not change once the returned context is in use: it is not
// copied.
func NewContextWithRequest(ctx context.Context, req *Request) context.Context {
	req.Client.UserAgent = CleanUserAgent(req.Client.UserAgent)
	return context.WithValue(ctx, requestKey, req)
}

// requestFromContext returns the request ID and client ctx carries, or
// the zero Request.
func requestFromContext(ctx context.Context) Request {
	if req, ok := ctx.Value(requestKey).(*Request); ok {
		return *req
	}
	return Request{}
}

// NewContextWithRequestID returns a copy of ctx carrying the request ID.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	req := requestFromContext(ctx)
	req.ID = id
	return context.WithValue(ctx, requestKey, &req)
}

// RequestIDFromContext returns the request ID, or "".
func RequestIDFromContext(ctx context.Context) string {
	if req, ok := ctx.Value(requestKey).(*Request); ok {
		return req.ID
	}
	return ""
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
	req := requestFromContext(ctx)
	req.Client = c
	req.Client.UserAgent = CleanUserAgent(c.UserAgent)
	return context.WithValue(ctx, requestKey, &req)
}

// ClientFromContext returns the client of the request, or the zero Client.
func ClientFromContext(ctx context.Context) Client {
	if req, ok := ctx.Value(requestKey).(*Request); ok {
		return req.Client
	}
	return Client{}
}
