package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// keyed returns ctx carrying a keyed write whose response is 201 and the
// written object's id.
func keyed(ctx context.Context, scope, key, hash string) context.Context {
	return fpr.NewContextWithIdempotentWrite(ctx, &fpr.IdempotentWrite{Scope: scope, Key: key, RequestHash: hash,
		Respond: func(written any) (fpr.IdempotentResponse, error) {
			var id string
			switch w := written.(type) {
			case *fpr.Review:
				id = w.ID
			case *fpr.User:
				id = w.ID
			default:
				return fpr.IdempotentResponse{}, fmt.Errorf("wrote a %T", written)
			}
			b, err := json.Marshal(map[string]string{"id": id})
			return fpr.IdempotentResponse{Status: 201, Body: b}, err
		}})
}

// storedID returns the id in a stored response.
func storedID(t *testing.T, resp *fpr.IdempotentResponse) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if resp == nil || resp.Status != 201 || json.Unmarshal(resp.Body, &v) != nil {
		t.Fatalf("stored response %+v, want 201 with an id", resp)
	}
	return v.ID
}

var idempotencyTests = map[string]func(t *testing.T, s *suite){
	"KeyedWriteStoresItsResponse": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		u := mustUser(t, db, fpr.RoleMember)
		r := &fpr.Review{ProductID: sh.product.ID, Rating: 4, Title: "T", Body: "Body."}
		mustOK(t, "keyed CreateReview", db.CreateReview(keyed(as(u), "review u", "k1", "hash-a"), r))
		resp, err := db.FindIdempotent(context.Background(), "review u", "k1", "hash-a")
		mustOK(t, "FindIdempotent", err)
		if id := storedID(t, resp); id != r.ID {
			t.Errorf("stored id %s, want the review's %s", id, r.ID)
		}
		// The same key with another request is refused; in another scope
		// it is another request.
		_, err = db.FindIdempotent(context.Background(), "review u", "k1", "hash-b")
		wantCode(t, "FindIdempotent(same key, other body)", err, fpr.CodeValidationFailed)
		if resp, err := db.FindIdempotent(context.Background(), "review v", "k1", "hash-a"); resp != nil || err != nil {
			t.Errorf("FindIdempotent(other scope) = %+v, %v; want nothing", resp, err)
		}
		// A second write under the taken key writes nothing.
		other := mustShop(t, db)
		r2 := &fpr.Review{ProductID: other.product.ID, Rating: 2, Title: "T", Body: "Body."}
		if err := db.CreateReview(keyed(as(u), "review u", "k1", "hash-a"), r2); !errors.Is(err, fpr.ErrIdempotencyKeyTaken) {
			t.Fatalf("second keyed CreateReview = %v, want ErrIdempotencyKeyTaken", err)
		}
		if got := checkSummary(t, db, other.product.ID); got.Count != 0 {
			t.Errorf("the refused twin wrote a review: %+v", got)
		}
	},
	"FailedWriteHoldsNoKey": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		// The farm's own producer may not review it: forbidden, and the
		// key's claim rolls back with the write.
		r := &fpr.Review{ProductID: sh.product.ID, Rating: 5, Title: "T", Body: "Body."}
		wantCode(t, "keyed CreateReview of one's own product", db.CreateReview(keyed(as(sh.producer), "s", "k", "h"), r), fpr.CodeForbidden)
		if resp, err := db.FindIdempotent(context.Background(), "s", "k", "h"); resp != nil || err != nil {
			t.Fatalf("FindIdempotent after a failed write = %+v, %v; want nothing", resp, err)
		}
		// A refusal is stored on its own, and the first one stays.
		first := fpr.IdempotentResponse{Status: 403, Body: []byte(`{"error":1}`)}
		got, err := db.SaveIdempotent(context.Background(), "s", "k", "h", first)
		mustOK(t, "SaveIdempotent", err)
		if got.Status != 403 {
			t.Errorf("SaveIdempotent = %+v, want the 403", got)
		}
		got, err = db.SaveIdempotent(context.Background(), "s", "k", "h", fpr.IdempotentResponse{Status: 409, Body: []byte(`{}`)})
		mustOK(t, "SaveIdempotent(again)", err)
		if got.Status != 403 || string(got.Body) != `{"error":1}` {
			t.Errorf("second SaveIdempotent = %+v, want the first 403", got)
		}
	},
	"KeysExpire": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		ctx := context.Background()
		u := &fpr.User{Email: "expiry@example.test", DisplayName: "Expiry"}
		mustOK(t, "keyed CreateUser", db.CreateUser(keyed(ctx, "register", "k", "h"), u, "not-a-hash"))
		clk.Advance(25 * time.Hour)
		if resp, err := db.FindIdempotent(ctx, "register", "k", "other"); resp != nil || err != nil {
			t.Fatalf("FindIdempotent over an expired key = %+v, %v; want nothing", resp, err)
		}
		// After the key's lifetime it may be used for a new request.
		u2 := &fpr.User{Email: "expiry2@example.test", DisplayName: "Expiry 2"}
		mustOK(t, "keyed CreateUser over an expired key", db.CreateUser(keyed(ctx, "register", "k", "other"), u2, "not-a-hash"))
		if id := storedID(t, mustFind(t, db, "register", "k", "other")); id != u2.ID {
			t.Errorf("stored id %s, want %s", id, u2.ID)
		}
		_, err := db.SaveIdempotent(ctx, "register", "k2", "h", fpr.IdempotentResponse{Status: 422, Body: []byte(`{}`)})
		mustOK(t, "SaveIdempotent", err)
		clk.Advance(25 * time.Hour)
		n, err := db.DeleteExpiredIdempotencyKeys(ctx)
		mustOK(t, "DeleteExpiredIdempotencyKeys", err)
		if n != 2 {
			t.Errorf("DeleteExpiredIdempotencyKeys = %d, want 2", n)
		}
	},
	"ConcurrentTwinsOneWrite": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		const n = 10
		errs := make([]error, n)
		users := make([]*fpr.User, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				users[i] = &fpr.User{Email: fmt.Sprintf("twin%d@example.test", i), DisplayName: "Twin"}
				errs[i] = db.CreateUser(keyed(context.Background(), "register", "k", "h"), users[i], "not-a-hash")
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won < 0:
				won = i
			case err == nil:
				t.Errorf("twins %d and %d both wrote", won, i)
			case !errors.Is(err, fpr.ErrIdempotencyKeyTaken):
				t.Errorf("twin %d: %v, want ErrIdempotencyKeyTaken", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no twin wrote")
		}
		if id := storedID(t, mustFind(t, db, "register", "k", "h")); id != users[won].ID {
			t.Errorf("stored id %s, want the winner's %s", id, users[won].ID)
		}
		for i, u := range users {
			if _, err := db.FindUserByEmail(context.Background(), u.Email); (i == won) != (err == nil) {
				t.Errorf("twin %d's account: %v", i, err)
			}
		}
	},
}

func mustFind(t *testing.T, db interface {
	FindIdempotent(ctx context.Context, scope, key, requestHash string) (*fpr.IdempotentResponse, error)
}, scope, key, hash string) *fpr.IdempotentResponse {
	t.Helper()
	resp, err := db.FindIdempotent(context.Background(), scope, key, hash)
	mustOK(t, "FindIdempotent", err)
	return resp
}
