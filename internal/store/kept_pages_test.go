package store_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fpr-team/fpr/internal/storetest"
)

// keptPageTables are the tables a kept page (a first page of reviews,
// apiReviewJSON) shows, and why each table with a stamp trigger but not
// in it is on no kept page.
var (
	keptPageTables = []string{"users", "reviews", "review_replies", "review_aspects", "review_revisions", "photos"}
	notOnKeptPages = map[string]string{
		"products":        "the product's row and its rating summary are on the detail, which memory keeps",
		"farms":           "the farm's name is on the detail",
		"product_aspects": "aspect summaries are on the detail",
	}
)

// On SQLite a kept page is deleted by a trigger of its own for every
// UPDATE and DELETE that moves a stamp on a table the page shows
// (migration 0022), and INSERTs delete none: a table added to the
// stamps, or an event, without its purge twin would leave the text an
// edit or a removal took away in the file. The conformance test
// KeptPages/ATakingAwayDeletesThePage checks the same by behaviour.
func TestKeptPagesPurge_EveryTakingAwayHasATrigger(t *testing.T) {
	t.Parallel()
	url := storetest.FreshURL(t, storetest.SQLite)
	_ = storetest.OpenURL(t, url)
	raw := otherConnection(t, url)

	event := regexp.MustCompile(`(?i)\bAFTER\s+(INSERT|UPDATE|DELETE)\b(?:\s+OF\s+(\w+))?\s+ON\s+(\w+)`)
	type on struct{ table, event, column string }
	describe := func(o on) string {
		if o.column != "" {
			return o.event + " OF " + o.column + " ON " + o.table
		}
		return o.event + " ON " + o.table
	}
	stamps, purges := map[on]bool{}, map[on]bool{}
	rows, err := raw.Query(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		m := event.FindStringSubmatch(sql)
		if m == nil {
			continue
		}
		o := on{table: m[3], event: m[1], column: m[2]}
		switch {
		case strings.Contains(sql, "UPDATE products SET stamp"):
			stamps[o] = true
		case strings.Contains(sql, "DELETE FROM kept_pages"):
			purges[o] = true
			if o.event == "INSERT" {
				t.Errorf("trigger %s deletes kept pages on an INSERT, which takes nothing away", name)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stamps) < 15 || len(purges) < 10 {
		t.Fatalf("found %d stamp and %d purge triggers: the pattern no longer reads them", len(stamps), len(purges))
	}
	for o := range stamps {
		if o.event == "INSERT" {
			continue
		}
		if slices.Contains(keptPageTables, o.table) {
			if !purges[o] {
				t.Errorf("AFTER %s moves the stamp but deletes no kept page", describe(o))
			}
		} else if notOnKeptPages[o.table] == "" {
			t.Errorf("%s moves product stamps: is it on a kept page (keptPageTables, and a purge trigger) or not (notOnKeptPages)?", o.table)
		}
	}
	for o := range purges {
		if !stamps[o] {
			t.Errorf("a purge AFTER %s, where no stamp trigger is", describe(o))
		}
	}
}
