package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
)

// TestReviewQuery_UsesIndexes checks, with SQLite's EXPLAIN QUERY PLAN,
// that every public review list is a seek on an index in the list's order:
// no table scan and no sort, so a page after a deep cursor reads only its
// own rows (BenchmarkFindReviews measures it), and the authors' names come
// from a covering index.
func TestReviewQuery_UsesIndexes(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	product, author := "p1", "u1"
	id, helpful := "06h0000000000000000000000", int64(3)
	for _, tc := range []struct {
		name         string
		f            fpr.ReviewFilter
		rating       *int
		afterID      *string
		afterHelpful *int64
		index        string
	}{
		{"newest", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortNewest}, nil, nil, nil, "reviews_product_newest"},
		{"newest/after", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortNewest}, nil, &id, nil, "reviews_product_newest"},
		{"helpful", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortHelpful}, nil, nil, nil, "reviews_product_helpful"},
		{"helpful/after", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortHelpful}, nil, &id, &helpful, "reviews_product_helpful"},
		{"stars/after", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortHighest}, new(4), &id, nil, "reviews_product_rating"},
		{"author/after", fpr.ReviewFilter{AuthorID: &author, Sort: fpr.ReviewSortNewest}, nil, &id, nil, "reviews_author_status"},
		{"all/after", fpr.ReviewFilter{Sort: fpr.ReviewSortNewest}, nil, &id, nil, "reviews_status"},
		// reviews_product_verified is partial (migration 0017): it holds
		// only verified purchases, and the filter's own condition selects
		// it. A harvest year walks the newest index and filters.
		{"harvest", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortNewest, HarvestYear: new(2025)}, nil, nil, nil, "reviews_product_newest"},
		{"verified", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortNewest, Verified: true}, nil, nil, nil, "reviews_product_verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, args := reviewQuery(db.dialect, "", tc.f, tc.rating, tc.afterID, tc.afterHelpful, 21)
			got := queryPlan(t, db, q, args...)
			if !strings.Contains(got, "SEARCH r USING INDEX "+tc.index) || strings.Contains(got, "SCAN") || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan = %s\nwant a search of r on %s, no scan, no sort", got, tc.index)
			}
			// The authors' names come from the narrow index alone, not
			// from a descent into the users table per review.
			if !strings.Contains(got, "SEARCH u USING COVERING INDEX users_names") || !strings.Contains(got, "SEARCH ru USING COVERING INDEX users_names") {
				t.Errorf("plan = %s\nwant the authors' names read from the covering index users_names", got)
			}
		})
	}
}

// TestCountMail_OnlyTheStatusesAsked: the mail worker's gauge counts
// pending and undeliverable mail by a seek on mail_outbox_due, not a scan
// of an outbox whose sent mail grows with every review; the others count 0.
func TestCountMail_OnlyTheStatusesAsked(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	ctx := context.Background()
	for i, status := range []fpr.MailStatus{fpr.MailPending, fpr.MailSent, fpr.MailSent, fpr.MailUndeliverable} {
		if _, err := db.write.ExecContext(ctx, `INSERT INTO mail_outbox (id, kind, recipient, data, status, next_attempt_at, created_at)
			VALUES ($1, 'verify_email', 'a@example.com', '{}', $2, 0, 0)`, fmt.Sprintf("m%d", i), string(status)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.CountMail(ctx)
	if err != nil || all[fpr.MailPending] != 1 || all[fpr.MailSent] != 2 || all[fpr.MailUndeliverable] != 1 {
		t.Errorf("CountMail() = %v, %v; want 1 pending, 2 sent, 1 undeliverable", all, err)
	}
	some, err := db.CountMail(ctx, fpr.MailPending, fpr.MailUndeliverable)
	if err != nil || some[fpr.MailPending] != 1 || some[fpr.MailSent] != 0 || some[fpr.MailUndeliverable] != 1 {
		t.Errorf("CountMail(pending, undeliverable) = %v, %v; want 1, 0 sent, 1", some, err)
	}
	q, args := countMailQuery([]fpr.MailStatus{fpr.MailPending, fpr.MailUndeliverable})
	if got := queryPlan(t, db, q, args...); !strings.Contains(got, "SEARCH mail_outbox USING COVERING INDEX mail_outbox_due (status=?)") {
		t.Errorf("plan = %s\nwant a seek on mail_outbox_due by status", got)
	}
}

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of q, its steps joined by
// "; ".
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// TestLatestMailQuery_OneRowOfTheIndex: a new review finds its producer's
// latest new-review mail by one row of mail_outbox_user_kind, not by
// sorting every mail they were ever sent.
func TestLatestMailQuery_OneRowOfTheIndex(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	got := queryPlan(t, db, latestMailQuery, "u1", string(fpr.MailReviewReceived))
	if !strings.Contains(got, "SEARCH mail_outbox USING INDEX mail_outbox_user_kind (user_id=? AND kind=?)") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan = %s\nwant a seek on mail_outbox_user_kind and no sort", got)
	}
}

// TestReviewDigestQueries_ByIndex: filling in a new-review digest counts
// the reviews of the producer's products by farms_owner, products_farm and
// a range of reviews_product_newest per product, not the whole site's
// reviews since the digest was written; a new digest finds the newest
// review ID from the end of the primary key's index, without sorting.
func TestReviewDigestQueries_ByIndex(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	got := queryPlan(t, db, reviewDigestQuery, "u1", "r0", int64(1))
	for _, want := range []string{"SEARCH r USING INDEX reviews_product_newest (product_id=? AND status=? AND id>?)",
		"SEARCH f USING INDEX farms_owner (owner_id=?)", "SEARCH p USING COVERING INDEX products_farm (farm_id=?)"} {
		if !strings.Contains(got, want) || strings.Contains(got, "SCAN") {
			t.Errorf("digest count plan = %s\nwant %s and no scan", got, want)
		}
	}
	if got := queryPlan(t, db, lateReviewQuery, "r1", "u1", "r0"); strings.Contains(got, "SCAN") {
		t.Errorf("late review plan = %s\nwant no scan", got)
	}
	if got := queryPlan(t, db, newestOtherReviewQuery, "r1"); !strings.Contains(got, "COVERING INDEX sqlite_autoindex_reviews_1") ||
		strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("newest review plan = %s\nwant the primary key's index read from its end, no sort", got)
	}
}

// TestReviewQuery_LimitWrittenIn: the page size is in the SQL text, not a
// parameter, so PostgreSQL keeps one generic plan for the prepared
// statement instead of planning every page again (limitClause).
func TestReviewQuery_LimitWrittenIn(t *testing.T) {
	t.Parallel()
	product := "p1"
	for _, d := range []dialect{sqliteDialect{}, postgresDialect{}} {
		q, args := reviewQuery(d, "", fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortNewest}, nil, nil, nil, 21)
		if !strings.HasSuffix(q, " LIMIT 21") || len(args) != 1 {
			t.Errorf("%T: query ends %q with args %v; want LIMIT 21 written in and only the product bound", d, q[max(0, len(q)-30):], args)
		}
	}
}

// The stamp reads of kept answers (ProductStamp, KeptPage) search the
// index products_stamp alone (migration 0023): no read of the product's
// row, whose pages a read connection's cache does not keep for a large
// catalogue. KeptPage then reads the page by its primary key.
func TestStampReads_UseTheStampIndex(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	for name, tc := range map[string]struct {
		q    string
		args []any
	}{
		"ProductStamp": {sqliteStamps.product, []any{"p1"}},
		"KeptPage":     {sqliteStamps.keptPage, []any{"p1", "reviews/newest", "r1"}},
	} {
		got := queryPlan(t, db, tc.q, tc.args...)
		if !strings.Contains(got, "SEARCH p USING COVERING INDEX products_stamp (id=?)") && !strings.Contains(got, "SEARCH products USING COVERING INDEX products_stamp (id=?)") {
			t.Errorf("%s: plan = %s\nwant a search of the covering index products_stamp", name, got)
		}
		if name == "KeptPage" && !strings.Contains(got, "SEARCH k USING INDEX sqlite_autoindex_kept_pages_1 (product_id=? AND variant=?)") {
			t.Errorf("%s: plan = %s\nwant the kept page by its primary key", name, got)
		}
		if strings.Contains(got, "SCAN") {
			t.Errorf("%s: plan = %s, want no scan", name, got)
		}
	}
}
