// Package ops is FPR's incident tooling: the log handler that stamps each
// line with its request, error events grouped by fingerprint, release
// markers, alert rules and the webhook that carries them.
package ops

import (
	"context"
	"log/slog"

	"github.com/fpr-team/fpr"
)

// ContextHandler wraps a slog.Handler and adds request_id and user_id from
// the context to every record, so code just writes log.InfoContext(ctx, …).
type ContextHandler struct {
	slog.Handler
}

// Handle adds the request's attributes and passes the record on.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := fpr.RequestIDFromContext(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if uid := fpr.UserIDFromContext(ctx); uid != "" {
		r.AddAttrs(slog.String("user_id", uid))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}
