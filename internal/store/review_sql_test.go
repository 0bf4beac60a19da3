package store

import (
	"testing"

	"github.com/fpr-team/fpr"
)

// TestParseAggregates: the aspect scores and photos reviewSQL joins into
// one column each are read back exactly, photos oldest first whatever
// order the aggregate gave, and a malformed value is an error, not a
// wrong review.
func TestParseAggregates(t *testing.T) {
	t.Parallel()
	as, err := parseAspects("freshness=5,value=1")
	if err != nil || len(as) != 2 || as["freshness"] != 5 || as[fpr.Aspect("value")] != 1 {
		t.Errorf("parseAspects = %v, %v", as, err)
	}
	if as, err := parseAspects(""); as != nil || err != nil {
		t.Errorf("parseAspects(\"\") = %v, %v; want nil, nil", as, err)
	}
	ps, err := parsePhotos("06b image/png 10 20 1700000000000001,06a image/jpeg 640 480 1700000000000000")
	if err != nil || len(ps) != 2 || ps[0].ID != "06a" || ps[0].ContentType != "image/jpeg" || ps[0].Width != 640 ||
		ps[0].Height != 480 || ps[0].CreatedAt != fromMicros(1700000000000000) || ps[1].ID != "06b" {
		t.Errorf("parsePhotos = %+v, %v", ps, err)
	}
	if ps, err := parsePhotos(""); ps != nil || err != nil {
		t.Errorf("parsePhotos(\"\") = %v, %v; want nil, nil", ps, err)
	}
	for _, bad := range []string{"freshness", "freshness=x", "=3", "a=1,,b=2"} {
		if _, err := parseAspects(bad); err == nil {
			t.Errorf("parseAspects(%q): no error", bad)
		}
	}
	for _, bad := range []string{"06a image/png 10 20", "06a image/png ten 20 1", "06a image/png 10 20 1 extra", "06a image/png 10 20 1,"} {
		if _, err := parsePhotos(bad); err == nil {
			t.Errorf("parsePhotos(%q): no error", bad)
		}
	}
}
