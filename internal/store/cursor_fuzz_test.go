package store

import (
	"testing"

	"github.com/fpr-team/fpr"
)

// FuzzDecodeCursor: any ?cursor= either decodes to a cursor of the asked
// sort whose text is clean (no NUL, which PostgreSQL would refuse with an
// error, so a 500) or is validation_failed. CI runs it for a few seconds
// (.ci/run, FUZZTIME).
func FuzzDecodeCursor(f *testing.F) {
	for _, c := range []cursor{{Sort: "newest", ID: "0abc"}, {Sort: "name", ID: "x", Str: "Honey"}, {Sort: "top_rated", ID: "y", Num: 4.5}} {
		f.Add(c.encode(), c.Sort)
	}
	f.Add("eyJzIjoibmV3ZXN0IiwiaSI6ImFcdTAwMDAifQ", "newest") // {"s":"newest","i":"a\u0000"}
	f.Add("!!!", "newest")
	f.Add("", "newest")
	f.Fuzz(func(t *testing.T, s, sort string) {
		c, err := decodeCursor(s, sort)
		if err != nil {
			if fpr.ErrorCode(err) != fpr.CodeValidationFailed || fpr.ErrorFields(err)["cursor"] == "" {
				t.Fatalf("decodeCursor(%q) = %v, want validation_failed naming cursor", s, err)
			}
			return
		}
		if c == nil {
			if s != "" {
				t.Fatalf("decodeCursor(%q) = nil, nil", s)
			}
			return
		}
		if c.Sort != sort || c.ID == "" || fpr.TextProblem(c.ID, fpr.SingleLine) != "" || fpr.TextProblem(c.Str, fpr.MultiLine) != "" {
			t.Fatalf("decodeCursor(%q, %q) = %+v", s, sort, c)
		}
	})
}
