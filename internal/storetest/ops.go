package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fpr-team/fpr"
)

// The OpsService contract (ops.go at the repository root): release
// starts, error groups and events, shared route counters and alerts.

var (
	opsT0     = time.Date(2024, 5, 10, 14, 30, 0, 0, time.UTC)
	opsAdmin  = as(&fpr.User{ID: "a", Role: fpr.RoleAdmin})
	opsMember = as(&fpr.User{ID: "m", Role: fpr.RoleMember})
	opsAnon   = as(nil)
)

func opsEvent(fp, route, release, requestID string, at time.Time) *fpr.ErrorEvent {
	return &fpr.ErrorEvent{Fingerprint: fp, Route: route, Type: "*errors.errorString", Message: "boom " + requestID,
		Stack: "stack of " + requestID, Release: release, RequestID: requestID, Instance: "i1", Time: at}
}

var opsTests = map[string]func(t *testing.T, s *suite){
	"Releases": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		for i, r := range []fpr.Release{
			{Release: "r1", Commit: "c1", Instance: "i1", StartedAt: opsT0},
			{Release: "r1", Commit: "c1", Instance: "i2", StartedAt: opsT0.Add(time.Minute)},
			{Release: "r2", Commit: "c2", Instance: "i1", StartedAt: opsT0.Add(time.Hour)},
			{Release: "r3", Commit: "c3", Instance: "i1", StartedAt: opsT0.Add(2 * time.Hour)},
		} {
			if err := db.RecordRelease(context.Background(), &r); err != nil {
				t.Fatalf("RecordRelease %d: %v", i, err)
			}
		}
		// One group first seen in r1 and last seen after r2 started; one
		// first seen in r2.
		if _, err := db.RecordErrorEvents(context.Background(), []*fpr.ErrorEvent{
			opsEvent("g1", "GET /a", "r1", "q1", opsT0.Add(10*time.Minute)),
			opsEvent("g1", "GET /a", "r2", "q2", opsT0.Add(61*time.Minute)),
			opsEvent("g2", "GET /b", "r2", "q3", opsT0.Add(62*time.Minute)),
		}, 10); err != nil {
			t.Fatal(err)
		}
		page1, next, err := db.FindReleases(opsAdmin, fpr.Page{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if next == "" {
			t.Fatal("FindReleases(limit 2) next cursor = \"\", want one")
		}
		page2, next2, err := db.FindReleases(opsAdmin, fpr.Page{Limit: 2, Cursor: next})
		if err != nil {
			t.Fatal(err)
		}
		got := append(page1, page2...)
		own := newestMigration(t, db)
		want := []*fpr.ReleaseSummary{
			{Release: "r3", Commit: "c3", StartedAt: opsT0.Add(2 * time.Hour), Starts: 1, NewGroups: 0, GroupsSince: 0, Schema: own, OwnSchema: own},
			{Release: "r2", Commit: "c2", StartedAt: opsT0.Add(time.Hour), Starts: 1, NewGroups: 1, GroupsSince: 2, Schema: own, OwnSchema: own},
			{Release: "r1", Commit: "c1", StartedAt: opsT0, Starts: 2, NewGroups: 1, GroupsSince: 2, Schema: own, OwnSchema: own},
		}
		if diff := cmp.Diff(want, got); diff != "" || next2 != "" {
			t.Errorf("FindReleases pages (-want +got):\n%s\nlast next_cursor %q, want \"\"", diff, next2)
		}
	},

	// A release started again after a later one migrated the database
	// shows as a revert: its schema is newer than its own.
	"ReleaseAfterRevert": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		own := newestMigration(t, db)
		if err := db.RecordRelease(context.Background(), &fpr.Release{Release: "r2", Commit: "c2", Instance: "i1"}); err != nil {
			t.Fatal(err)
		}
		recordNewerMigration(t, db, 9998, "9998_review_stickers.sql")
		r := fpr.Release{Release: "r1", Commit: "c1", Instance: "i1"}
		if err := db.RecordRelease(context.Background(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Schema != 9998 || r.OwnSchema != own {
			t.Errorf("RecordRelease after a revert set schema %d, own %d; want 9998, %d", r.Schema, r.OwnSchema, own)
		}
		rels, _, err := db.FindReleases(opsAdmin, fpr.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, rel := range rels {
			if want := rel.Release == "r1"; rel.Reverted() != want {
				t.Errorf("release %s Reverted() = %v (schema %d, own %d), want %v", rel.Release, rel.Reverted(), rel.Schema, rel.OwnSchema, want)
			}
		}
	},

	"ErrorGroups": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		ch, err := db.RecordErrorEvents(ctx, []*fpr.ErrorEvent{
			opsEvent("g1", "GET /a", "r1", "q1", opsT0),
			opsEvent("g1", "GET /a", "r1", "q2", opsT0.Add(time.Second)),
			opsEvent("g2", "GET /b", "r1", "q3", opsT0.Add(2*time.Second)),
		}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) != 2 || !ch[0].New || ch[0].Group.Fingerprint != "g1" || ch[0].Event.RequestID != "q1" || !ch[1].New || ch[1].Group.Fingerprint != "g2" {
			t.Fatalf("first batch changes = %+v, want g1 (sample q1) and g2, both new", ch)
		}
		ch, err = db.RecordErrorEvents(ctx, []*fpr.ErrorEvent{opsEvent("g1", "GET /a", "r2", "q4", opsT0.Add(3*time.Second))}, 2)
		if err != nil || len(ch) != 0 {
			t.Fatalf("second batch changes = %+v, %v; want none (g1 exists and is open)", ch, err)
		}
		g, events, err := db.FindErrorGroup(opsAdmin, "g1", 10)
		if err != nil {
			t.Fatal(err)
		}
		want := &fpr.ErrorGroup{Fingerprint: "g1", Type: "*errors.errorString", Message: "boom q4", Route: "GET /a",
			Stack: "stack of q4", Count: 3, FirstSeen: opsT0, LastSeen: opsT0.Add(3 * time.Second), FirstRelease: "r1",
			LastRelease: "r2", Status: fpr.ErrorOpen}
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("FindErrorGroup(g1) (-want +got):\n%s", diff)
		}
		var ids []string
		for _, e := range events {
			ids = append(ids, e.RequestID)
		}
		if diff := cmp.Diff([]string{"q4", "q2"}, ids); diff != "" {
			t.Errorf("events kept (keep=2, newest first) (-want +got):\n%s", diff)
		}

		groups, next, err := db.FindErrorGroups(opsAdmin, fpr.ErrorGroupFilter{Page: fpr.Page{Limit: 1}})
		if err != nil || len(groups) != 1 || groups[0].Fingerprint != "g1" || next == "" {
			t.Fatalf("FindErrorGroups page 1 = %v, %q, %v; want g1 (last seen latest) and a cursor", groups, next, err)
		}
		groups, next, err = db.FindErrorGroups(opsAdmin, fpr.ErrorGroupFilter{Page: fpr.Page{Limit: 1, Cursor: next}})
		if err != nil || len(groups) != 1 || groups[0].Fingerprint != "g2" || next != "" {
			t.Fatalf("FindErrorGroups page 2 = %v, %q, %v; want g2 and no cursor", groups, next, err)
		}

		e, g, err := db.FindErrorByRequestID(opsAdmin, "q2")
		if err != nil || e.RequestID != "q2" || g.Fingerprint != "g1" || e.Stack != "stack of q2" {
			t.Fatalf("FindErrorByRequestID(q2) = %+v, %+v, %v; want its event and group g1", e, g, err)
		}
		if _, _, err := db.FindErrorByRequestID(opsAdmin, "q1"); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Errorf("FindErrorByRequestID(q1, trimmed) error = %v, want not_found", err)
		}

		// Resolve, then see it again: regressed, reported once.
		g, err = db.ResolveErrorGroup(opsAdmin, "g1")
		if err != nil || g.Status != fpr.ErrorResolved || g.ResolvedAt.IsZero() {
			t.Fatalf("ResolveErrorGroup = %+v, %v; want resolved with a time", g, err)
		}
		resolved := fpr.ErrorResolved
		groups, _, err = db.FindErrorGroups(opsAdmin, fpr.ErrorGroupFilter{Status: &resolved})
		if err != nil || len(groups) != 1 || groups[0].Fingerprint != "g1" {
			t.Errorf("FindErrorGroups(resolved) = %v, %v; want g1", groups, err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var regressions int
		for i := range 4 {
			wg.Go(func() {
				ch, err := db.RecordErrorEvents(ctx, []*fpr.ErrorEvent{opsEvent("g1", "GET /a", "r3", fmt.Sprint("x", i), opsT0.Add(time.Minute))}, 2)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, c := range ch {
					if c.Regressed {
						regressions++
					}
				}
			})
		}
		wg.Wait()
		if regressions != 1 {
			t.Errorf("concurrent events on a resolved group reported %d regressions, want 1", regressions)
		}
		g, _, err = db.FindErrorGroup(opsAdmin, "g1", 0)
		if err != nil || g.Status != fpr.ErrorOpen || !g.Regressed || !g.ResolvedAt.IsZero() || g.Count != 7 {
			t.Errorf("group after regression = %+v, %v; want open, regressed, no resolved_at, count 7", g, err)
		}
	},

	"ErrorGroupErrors": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		bad := fpr.ErrorStatus("closed")
		for _, tc := range []struct {
			name string
			call func() error
			want fpr.Code
		}{
			{"ListAnonymous", func() error { _, _, err := db.FindErrorGroups(opsAnon, fpr.ErrorGroupFilter{}); return err }, fpr.CodeUnauthenticated},
			{"ListMember", func() error { _, _, err := db.FindErrorGroups(opsMember, fpr.ErrorGroupFilter{}); return err }, fpr.CodeForbidden},
			{"ListBadStatus", func() error {
				_, _, err := db.FindErrorGroups(opsAdmin, fpr.ErrorGroupFilter{Status: &bad})
				return err
			}, fpr.CodeValidationFailed},
			{"ListBadCursor", func() error {
				_, _, err := db.FindErrorGroups(opsAdmin, fpr.ErrorGroupFilter{Page: fpr.Page{Cursor: "nope"}})
				return err
			}, fpr.CodeValidationFailed},
			{"ListBadLimit", func() error {
				_, _, err := db.FindErrorGroups(opsAdmin, fpr.ErrorGroupFilter{Page: fpr.Page{Limit: 101}})
				return err
			}, fpr.CodeValidationFailed},
			{"GroupMember", func() error { _, _, err := db.FindErrorGroup(opsMember, "g1", 1); return err }, fpr.CodeForbidden},
			{"GroupMissing", func() error { _, _, err := db.FindErrorGroup(opsAdmin, "nope", 1); return err }, fpr.CodeNotFound},
			{"ResolveMember", func() error { _, err := db.ResolveErrorGroup(opsMember, "g1"); return err }, fpr.CodeForbidden},
			{"ResolveMissing", func() error { _, err := db.ResolveErrorGroup(opsAdmin, "nope"); return err }, fpr.CodeNotFound},
			{"RequestMember", func() error { _, _, err := db.FindErrorByRequestID(opsMember, "q"); return err }, fpr.CodeForbidden},
			{"ReleasesAnonymous", func() error { _, _, err := db.FindReleases(opsAnon, fpr.Page{}); return err }, fpr.CodeUnauthenticated},
			{"AlertsMember", func() error { _, _, err := db.FindAlerts(opsMember, fpr.Page{}); return err }, fpr.CodeForbidden},
			{"EventsMember", func() error { _, _, err := db.FindErrorEvents(opsMember, fpr.ErrorEventFilter{}); return err }, fpr.CodeForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := fpr.ErrorCode(tc.call()); got != tc.want {
					t.Errorf("error code = %q, want %q", got, tc.want)
				}
			})
		}
	},

	"RouteCounts": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		b0, b1 := opsT0, opsT0.Add(10*time.Second)
		for _, batch := range [][]fpr.RouteCount{
			{{Route: "GET /a", Bucket: b0, Requests: 10, Errors: 1}, {Route: "GET /b", Bucket: b0, Requests: 5}},
			{{Route: "GET /a", Bucket: b0, Requests: 10, Errors: 2}, {Route: "GET /a", Bucket: b1, Requests: 1, Errors: 1}},
		} {
			if err := db.AddRouteCounts(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.FindRouteCounts(ctx, b0, b0)
		if err != nil {
			t.Fatal(err)
		}
		want := []fpr.RouteCount{{Route: "GET /a", Requests: 21, Errors: 4}, {Route: "GET /b", Requests: 5}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindRouteCounts (-want +got):\n%s", diff)
		}
		// Purging before b1 drops bucket b0.
		got, err = db.FindRouteCounts(ctx, b0, b1)
		if err != nil {
			t.Fatal(err)
		}
		want = []fpr.RouteCount{{Route: "GET /a", Requests: 1, Errors: 1}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindRouteCounts after purge (-want +got):\n%s", diff)
		}
	},

	// An alert whose sender died between ClaimAlert and MarkAlertSent is
	// claimed again once its lease runs out, by exactly one caller; a sent
	// or failed alert never is.
	"Alerts_LeaseReclaimedOnce": func(t *testing.T, s *suite) {
		clk := NewClock(time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
		db := s.db(t, clk)
		ctx := context.Background()
		claim := func(key string) *fpr.Alert {
			t.Helper()
			a := &fpr.Alert{Key: key, Kind: fpr.AlertNewError, Fingerprint: key, Message: "m", Instance: "dead"}
			ok, err := db.ClaimAlert(ctx, a)
			if err != nil || !ok {
				t.Fatalf("ClaimAlert(%s) = %v, %v", key, ok, err)
			}
			return a
		}
		reclaim := func(instance string) []string {
			t.Helper()
			as, err := db.ReclaimAlerts(ctx, instance, 10)
			mustOK(t, "ReclaimAlerts", err)
			var keys []string
			for _, a := range as {
				if a.Instance != instance || a.SentAt != (time.Time{}) || a.SendError != "" {
					t.Errorf("reclaimed %+v: want it unsent, now %s's", a, instance)
				}
				keys = append(keys, a.Key)
			}
			sort.Strings(keys)
			return keys
		}
		abandoned, sent, failed := claim("new_error:a"), claim("new_error:b"), claim("new_error:c")
		mustOK(t, "MarkAlertSent", db.MarkAlertSent(ctx, sent.ID, nil))
		mustOK(t, "MarkAlertSent (failed)", db.MarkAlertSent(ctx, failed.ID, errors.New("webhook: 500")))
		if got := reclaim("live"); len(got) != 0 {
			t.Fatalf("within the lease: reclaimed %v, want none", got)
		}
		clk.Advance(fpr.AlertLease + time.Second)
		if got := reclaim("live"); len(got) != 1 || got[0] != abandoned.Key {
			t.Fatalf("after the lease: reclaimed %v, want only %s", got, abandoned.Key)
		}
		if got := reclaim("other"); len(got) != 0 {
			t.Fatalf("right after a reclaim: %v, want none (a new lease)", got)
		}
		// The reclaiming instance dies too, again and again: each time the
		// lease ends, instances reclaiming at once get it once between
		// them.
		for round := range 8 {
			clk.Advance(fpr.AlertLease + time.Second)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var got []string
			start := make(chan struct{})
			for i := range 4 {
				wg.Go(func() {
					<-start
					as, err := db.ReclaimAlerts(ctx, fmt.Sprintf("i%d", i), 10)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					for _, a := range as {
						got = append(got, a.Key)
					}
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			if len(got) != 1 || got[0] != abandoned.Key {
				t.Fatalf("round %d, 4 concurrent reclaims: %v, want %s once", round, got, abandoned.Key)
			}
		}
		mustOK(t, "MarkAlertSent", db.MarkAlertSent(ctx, abandoned.ID, nil))
		clk.Advance(fpr.AlertLease + time.Second)
		if got := reclaim("live"); len(got) != 0 {
			t.Fatalf("after every outcome is recorded: reclaimed %v, want none", got)
		}
	},

	"Alerts": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		claims := 0
		for range 5 {
			wg.Go(func() {
				ok, err := db.ClaimAlert(ctx, &fpr.Alert{Key: "ratio:GET /a:1", Kind: fpr.AlertRatio, Route: "GET /a", Seq: 1})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					claims++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if claims != 1 {
			t.Fatalf("5 concurrent ClaimAlert of one key: %d claimed, want 1", claims)
		}
		latest, err := db.LatestRatioAlerts(ctx)
		if err != nil || len(latest) != 1 || latest["GET /a"].Kind != fpr.AlertRatio || latest["GET /a"].Seq != 1 {
			t.Fatalf("LatestRatioAlerts = %v, %v; want GET /a open at seq 1", latest, err)
		}
		res := &fpr.Alert{Key: "ratio_resolved:GET /a:1", Kind: fpr.AlertRatioResolved, Route: "GET /a", Seq: 1}
		if ok, err := db.ClaimAlert(ctx, res); !ok || err != nil {
			t.Fatalf("ClaimAlert(resolved) = %v, %v; want true", ok, err)
		}
		latest, err = db.LatestRatioAlerts(ctx)
		if err != nil || latest["GET /a"].Kind != fpr.AlertRatioResolved {
			t.Fatalf("LatestRatioAlerts after resolution = %v, %v; want GET /a resolved", latest, err)
		}
		if err := db.MarkAlertSent(ctx, res.ID, nil); err != nil {
			t.Fatal(err)
		}
		alerts, next, err := db.FindAlerts(opsAdmin, fpr.Page{Limit: 1})
		if err != nil || len(alerts) != 1 || alerts[0].Key != res.Key || alerts[0].SentAt.IsZero() || next == "" {
			t.Fatalf("FindAlerts page 1 = %+v, %q, %v; want the resolution, sent, and a cursor", alerts, next, err)
		}
		alerts, next, err = db.FindAlerts(opsAdmin, fpr.Page{Limit: 1, Cursor: next})
		if err != nil || len(alerts) != 1 || alerts[0].Kind != fpr.AlertRatio || !alerts[0].SentAt.IsZero() || next != "" {
			t.Fatalf("FindAlerts page 2 = %+v, %q, %v; want the unsent ratio alert and no cursor", alerts, next, err)
		}
	},
}
