package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The migration policy (docs/migrations.md): every migration is additive,
// so the previous release keeps running on the new schema after a revert.
// Dropping or renaming what a release reads, changing a column's type, or
// adding a NOT NULL column that old INSERTs leave out happens only in a
// contract migration: its name carries ContractMarker, its header names the
// migration after which no supported release reads what it removes
// ("-- contract-after: NNNN", an earlier migration), and no store code
// still names what it removes.

var (
	sqlLineComment = regexp.MustCompile(`--[^\n]*`)
	sqlString      = regexp.MustCompile(`'(?:[^']|'')*'`)
	contractAfter  = regexp.MustCompile(`(?m)^--\s*contract-after:\s*(\d+)\s*$`)

	// Each rule names a change an older binary cannot survive and captures
	// the name it removes, when there is one.
	destructive = []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(`(?i)\bDROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?"?(\w+)`), "drops a table or view"},
		{regexp.MustCompile(`(?i)\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\w+\s+DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?"?(\w+)`), "drops a column"},
		{regexp.MustCompile(`(?i)\bRENAME\s+(?:COLUMN\s+)?"?(\w+)"?\s+TO\b`), "renames a column"},
		{regexp.MustCompile(`(?i)\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+RENAME\s+TO\b`), "renames a table"},
		{regexp.MustCompile(`(?i)\bALTER\s+(?:COLUMN\s+)?"?(\w+)"?\s+(?:SET\s+DATA\s+)?TYPE\b`), "changes a column's type"},
		{regexp.MustCompile(`(?i)\bALTER\s+(?:COLUMN\s+)?"?(\w+)"?\s+SET\s+NOT\s+NULL\b`), "makes a column NOT NULL"},
		{regexp.MustCompile(`(?i)\bTRUNCATE\b()`), "empties a table"},
	}
	// An added NOT NULL column without a DEFAULT breaks the previous
	// release's INSERTs, which leave it out.
	addColumn = regexp.MustCompile(`(?i)\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?([^,;]*)`)
	notNull   = regexp.MustCompile(`(?i)\bNOT\s+NULL\b`)
	hasDflt   = regexp.MustCompile(`(?i)\bDEFAULT\b|\bGENERATED\b`)
)

// migrationPolicy returns the ways one migration breaks the policy; storeCode
// is the text of the store's Go files, where a contract migration's removed
// names must no longer appear.
func migrationPolicy(name, body string, versions map[int]bool, storeCode string) []string {
	var problems []string
	version, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
	code := sqlString.ReplaceAllString(sqlLineComment.ReplaceAllString(body, ""), "''")
	var removed []string
	for _, rule := range destructive {
		for _, m := range rule.re.FindAllStringSubmatch(code, -1) {
			problems = append(problems, rule.what+" ("+strings.TrimSpace(m[0])+")")
			if m[1] != "" {
				removed = append(removed, m[1])
			}
		}
	}
	for _, m := range addColumn.FindAllStringSubmatch(code, -1) {
		if notNull.MatchString(m[2]) && !hasDflt.MatchString(m[2]) {
			problems = append(problems, "adds NOT NULL column "+m[1]+" without a DEFAULT, so the previous release's INSERTs fail")
		}
	}
	if !strings.Contains(name, ContractMarker) {
		return problems // every destructive change is a violation here
	}
	// A contract migration may remove, once nothing reads it.
	problems = nil
	m := contractAfter.FindStringSubmatch(body)
	if m == nil {
		return []string{"a contract migration needs a header line \"-- contract-after: NNNN\" naming the earlier migration after which no release reads what it removes"}
	}
	after, _ := strconv.Atoi(m[1])
	if after >= version || !versions[after] {
		problems = append(problems, "contract-after "+m[1]+" must name an earlier migration of this dialect")
	}
	for _, id := range removed {
		if regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(id) + `\b`).MatchString(storeCode) {
			problems = append(problems, "removes "+id+", which the store's code still names")
		}
	}
	return problems
}

// storeSource is the store's non-test Go code.
func storeSource(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}

func TestMigrationPolicy(t *testing.T) {
	code := storeSource(t)
	names := map[string][]string{}
	for _, dialect := range []string{"sqlite", "postgres"} {
		dir := migrationsFor(dialect)
		files, err := fs.Glob(dir, "*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("%s migrations: %v %v", dialect, files, err)
		}
		names[dialect] = files
		versions := map[int]bool{}
		for _, f := range files {
			v, _ := strconv.Atoi(strings.SplitN(f, "_", 2)[0])
			versions[v] = true
		}
		for _, f := range files {
			body, err := fs.ReadFile(dir, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range migrationPolicy(f, string(body), versions, code) {
				t.Errorf("%s/%s %s: see docs/migrations.md (expand, then contract in a later release)", dialect, f, p)
			}
		}
	}
	// The same numbers and names in both dialects, so one schema version
	// means one schema.
	if strings.Join(names["sqlite"], " ") != strings.Join(names["postgres"], " ") {
		t.Errorf("migrations differ between dialects:\nsqlite:   %v\npostgres: %v", names["sqlite"], names["postgres"])
	}
}

// TestMigrationPolicy_Fixtures proves the policy check catches what it
// claims to: each file under testdata/migration_policy/bad breaks it, each
// under good passes.
func TestMigrationPolicy_Fixtures(t *testing.T) {
	code := storeSource(t)
	versions := map[int]bool{1: true, 4: true, 5: true}
	for _, kind := range []string{"bad", "good"} {
		files, err := filepath.Glob(filepath.Join("testdata", "migration_policy", kind, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s fixtures: %v", kind, err)
		}
		for _, f := range files {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			problems := migrationPolicy(filepath.Base(f), string(body), versions, code)
			t.Logf("%s: %q", filepath.Base(f), problems)
			if kind == "bad" && len(problems) == 0 {
				t.Errorf("%s: policy found nothing wrong, want a violation", f)
			}
			if kind == "good" && len(problems) > 0 {
				t.Errorf("%s: policy found %q, want none", f, problems)
			}
		}
	}
}
