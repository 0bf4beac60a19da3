package fpr_test

import (
	"context"
	"testing"

	"github.com/fpr-team/fpr"
)

// The request ID and the client share one context value; each setter
// keeps what the other set, and the nearest value wins.
func TestRequestContext(t *testing.T) {
	ctx := context.Background()
	if id, c := fpr.RequestIDFromContext(ctx), fpr.ClientFromContext(ctx); id != "" || c != (fpr.Client{}) {
		t.Fatalf("empty context: %q, %+v", id, c)
	}
	c1 := fpr.Client{Address: "192.0.2.1", UserAgent: " agent\x00 1\u200b "}
	ctx1 := fpr.NewContextWithRequestID(fpr.NewContextWithClient(ctx, c1), "req-1")
	want1 := fpr.Client{Address: "192.0.2.1", UserAgent: "agent 1"}
	if id, c := fpr.RequestIDFromContext(ctx1), fpr.ClientFromContext(ctx1); id != "req-1" || c != want1 {
		t.Errorf("client then ID: %q, %+v", id, c)
	}
	if addr := fpr.ClientAddrFromContext(ctx1); addr != "192.0.2.1" {
		t.Errorf("ClientAddrFromContext = %q", addr)
	}
	ctx2 := fpr.NewContextWithClient(fpr.NewContextWithRequestID(ctx1, "req-2"), fpr.Client{Address: "192.0.2.2"})
	if id, c := fpr.RequestIDFromContext(ctx2), fpr.ClientFromContext(ctx2); id != "req-2" || c != (fpr.Client{Address: "192.0.2.2"}) {
		t.Errorf("ID then client over both: %q, %+v", id, c)
	}
	if id, c := fpr.RequestIDFromContext(ctx1), fpr.ClientFromContext(ctx1); id != "req-1" || c != want1 {
		t.Errorf("the parent changed: %q, %+v", id, c)
	}

	req := &fpr.Request{ID: "req-3", Client: fpr.Client{Address: "192.0.2.3", UserAgent: "agent\u202e 3"}}
	ctx3 := fpr.NewContextWithRequest(ctx2, req)
	if id, c := fpr.RequestIDFromContext(ctx3), fpr.ClientFromContext(ctx3); id != "req-3" || c != (fpr.Client{Address: "192.0.2.3", UserAgent: "agent 3"}) {
		t.Errorf("NewContextWithRequest: %q, %+v", id, c)
	}
	ctx4 := fpr.NewContextWithUser(ctx3, &fpr.User{ID: "u1"})
	if id, uid := fpr.RequestIDFromContext(ctx4), fpr.UserIDFromContext(ctx4); id != "req-3" || uid != "u1" {
		t.Errorf("under a user: %q, %q", id, uid)
	}
}
