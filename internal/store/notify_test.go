package store

import (
	"encoding/json"
	"testing"
)

func TestJoinReviewMail(t *testing.T) {
	t.Parallel()
	newest := map[string]string{"product_id": "p2", "product_name": "Pears", "review_id": "r2", "rating": "5"}
	for _, tc := range []struct {
		data, wantCount string
	}{
		{`{"count":"1","product_id":"p1","review_id":"r1","rating":"2","unsubscribe_token":"tok"}`, "2"},
		{`{"count":"41","product_id":"p1","review_id":"r1","unsubscribe_token":"tok"}`, "42"},
		// Written before mails were joined: it told of one review.
		{`{"product_id":"p1","review_id":"r1","unsubscribe_token":"tok"}`, "2"},
		{`{"count":"x","unsubscribe_token":"tok"}`, "2"},
	} {
		got, err := joinReviewMail(tc.data, newest)
		if err != nil {
			t.Fatalf("joinReviewMail(%s): %v", tc.data, err)
		}
		var d map[string]string
		if err := json.Unmarshal([]byte(got), &d); err != nil {
			t.Fatal(err)
		}
		if d["count"] != tc.wantCount || d["review_id"] != "r2" || d["product_name"] != "Pears" || d["rating"] != "5" || d["unsubscribe_token"] != "tok" {
			t.Errorf("joinReviewMail(%s) = %v, want count %s naming r2 and keeping the token", tc.data, d, tc.wantCount)
		}
	}
	for _, bad := range []string{``, `null`, `[1]`, `{"count":`} {
		if got, err := joinReviewMail(bad, newest); err == nil {
			t.Errorf("joinReviewMail(%q) = %s, want an error", bad, got)
		}
	}
}
