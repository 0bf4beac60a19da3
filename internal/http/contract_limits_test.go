package http_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/apitest"
)

// limitRule is one length limit of a request field as the server enforces
// it (package fpr) and as web/openapi.json must state it.
type limitRule struct {
	constant       string // the fpr constant, "" for a rule without one
	schema, field  string
	minLen, maxLen uint64
	nonBlank       bool // blank (only spaces) is 422: pattern \S
}

// limitRules lists every request field with a length rule.
var limitRules = []limitRule{
	{"MaxEmailLength", "RegisterRequest", "email", 0, fpr.MaxEmailLength, false},
	{"MinPasswordLength", "RegisterRequest", "password", fpr.MinPasswordLength, fpr.MaxPasswordLength, false},
	{"MaxPasswordLength", "PasswordChange", "new_password", fpr.MinPasswordLength, fpr.MaxPasswordLength, false},
	{"MaxDisplayNameLength", "RegisterRequest", "display_name", 1, fpr.MaxDisplayNameLength, true},
	{"MaxFarmNameLength", "FarmCreate", "name", 1, fpr.MaxFarmNameLength, true},
	{"MaxFarmNameLength", "FarmUpdate", "name", 1, fpr.MaxFarmNameLength, true},
	{"MaxRegionLength", "FarmCreate", "region", 1, fpr.MaxRegionLength, true},
	{"MaxRegionLength", "FarmUpdate", "region", 1, fpr.MaxRegionLength, true},
	{"MaxFarmDescriptionLength", "FarmCreate", "description", 0, fpr.MaxFarmDescriptionLength, false},
	{"MaxFarmDescriptionLength", "FarmUpdate", "description", 0, fpr.MaxFarmDescriptionLength, false},
	{"MaxIDLength", "FarmCreate", "owner_id", 1, fpr.MaxIDLength, true},
	{"MaxProductNameLength", "ProductCreate", "name", 1, fpr.MaxProductNameLength, true},
	{"MaxProductNameLength", "ProductUpdate", "name", 1, fpr.MaxProductNameLength, true},
	{"MaxProductDescriptionLength", "ProductCreate", "description", 0, fpr.MaxProductDescriptionLength, false},
	{"MaxProductDescriptionLength", "ProductUpdate", "description", 0, fpr.MaxProductDescriptionLength, false},
	{"MaxUnitLength", "ProductCreate", "unit", 1, fpr.MaxUnitLength, true},
	{"MaxUnitLength", "ProductUpdate", "unit", 1, fpr.MaxUnitLength, true},
	{"MaxReviewTitleLength", "ReviewCreate", "title", 0, fpr.MaxReviewTitleLength, false},
	{"MaxReviewTitleLength", "ReviewUpdate", "title", 0, fpr.MaxReviewTitleLength, false},
	{"MaxReviewBodyLength", "ReviewCreate", "body", 1, fpr.MaxReviewBodyLength, true},
	{"MaxReviewBodyLength", "ReviewUpdate", "body", 1, fpr.MaxReviewBodyLength, true},
	{"MaxReplyBodyLength", "ReplyBody", "body", 1, fpr.MaxReplyBodyLength, true},
	{"MaxFlagNoteLength", "FlagCreate", "note", 0, fpr.MaxFlagNoteLength, false},
	{"MaxModerationNoteLength", "ModerationDecision", "note", 0, fpr.MaxModerationNoteLength, false},
	{"MaxUserAgentLength", "Session", "user_agent", 0, fpr.MaxUserAgentLength, false},
	{"MaxOTPLength", "LoginRequest", "otp", 0, fpr.MaxOTPLength, false},
	{"MaxShopAddressLength", "FarmCreate", "shop_address", 0, fpr.MaxShopAddressLength, false},
	{"MaxShopHoursLength", "FarmCreate", "shop_hours", 0, fpr.MaxShopHoursLength, false},
	{"MaxMarketsLength", "FarmCreate", "markets", 0, fpr.MaxMarketsLength, false},
	{"MaxWebsiteLength", "FarmCreate", "website", 0, fpr.MaxWebsiteLength, false},
	{"MaxShopAddressLength", "FarmUpdate", "shop_address", 0, fpr.MaxShopAddressLength, false},
	{"MaxWebsiteLength", "FarmUpdate", "website", 0, fpr.MaxWebsiteLength, false},
	{"MaxContactLength", "FarmApplicationCreate", "contact", 1, fpr.MaxContactLength, false},
	{"MaxApplicationNoteLength", "FarmApplicationDecision", "note", 0, fpr.MaxApplicationNoteLength, false},
	{"MaxOTPLength", "TOTPConfirm", "code", 0, fpr.MaxOTPLength, false},
	{"MaxOTPLength", "TOTPDisable", "code", 0, fpr.MaxOTPLength, false},
}

// limitsElsewhere are fpr length constants the document states in another
// form, or that no request field has, each with the reason.
var limitsElsewhere = map[string]string{
	"MaxIdempotencyKeyLength": "the Idempotency-Key parameter (checked below)",
	"MaxNextLength":           "the pages' next parameter; not part of the API",
}

// TestOpenAPI_StatesEveryLimit: web/openapi.json states each length limit
// and non-blank rule the server enforces, with the values of the fpr
// constants, and every Max…Length or Min…Length constant of package fpr is
// accounted for, so a new limit cannot be left out of the document.
func TestOpenAPI_StatesEveryLimit(t *testing.T) {
	t.Parallel()
	doc, err := apitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range limitRules {
		covered[r.constant] = true
		ref := doc.Components.Schemas[r.schema]
		if ref == nil || ref.Value == nil || ref.Value.Properties[r.field] == nil || ref.Value.Properties[r.field].Value == nil {
			t.Errorf("%s.%s is not in the document", r.schema, r.field)
			continue
		}
		p := ref.Value.Properties[r.field].Value
		if p.MaxLength == nil || *p.MaxLength != r.maxLen {
			t.Errorf("%s.%s maxLength = %v, want %d (fpr.%s)", r.schema, r.field, p.MaxLength, r.maxLen, r.constant)
		}
		if p.MinLength != r.minLen {
			t.Errorf("%s.%s minLength = %d, want %d", r.schema, r.field, p.MinLength, r.minLen)
		}
		if got := p.Pattern == `\S`; got != r.nonBlank {
			t.Errorf("%s.%s pattern = %q, want non-blank rule %v", r.schema, r.field, p.Pattern, r.nonBlank)
		}
	}
	key := doc.Components.Parameters["IdempotencyKey"].Value.Schema.Value
	if key.MaxLength == nil || *key.MaxLength != fpr.MaxIdempotencyKeyLength || key.MinLength != 1 {
		t.Errorf("Idempotency-Key length = %d..%v, want 1..%d", key.MinLength, key.MaxLength, fpr.MaxIdempotencyKeyLength)
	}
	limit := doc.Components.Parameters["Limit"].Value.Schema.Value
	if limit.Max == nil || *limit.Max != fpr.MaxLimit || limit.Min == nil || *limit.Min != 1 {
		t.Errorf("limit = %v..%v, want 1..%d", limit.Min, limit.Max, fpr.MaxLimit)
	}

	for _, name := range fprLengthConstants(t) {
		if !covered[name] && limitsElsewhere[name] == "" {
			t.Errorf("fpr.%s is a length limit the document does not state: add it to web/openapi.json and limitRules", name)
		}
	}
	checkEveryRequestStringBounded(t, doc)
}

// fprLengthConstants returns the names of package fpr's Max…Length and
// Min…Length constants, read from its source.
func fprLengthConstants(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("package fpr source: %v", err)
	}
	re := regexp.MustCompile(`^(Max|Min)[A-Za-z]*Length$`)
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if re.MatchString(n.Name) {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %v in package fpr", names)
	}
	return names
}

// checkEveryRequestStringBounded: every free-text string a request body
// carries has a maxLength (an enum, a format or a $ref'd type bounds the
// others), except passwords to check, which are compared, never stored.
func checkEveryRequestStringBounded(t *testing.T, doc *openapi3.T) {
	t.Helper()
	unbounded := map[string]bool{"LoginRequest.email": true, "LoginRequest.password": true,
		"PasswordChange.current_password": true, "TOTPDisable.current_password": true}
	for _, path := range doc.Paths.Map() {
		for _, op := range path.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for _, mt := range op.RequestBody.Value.Content {
				if mt.Schema == nil || mt.Schema.Ref == "" {
					continue
				}
				name := strings.TrimPrefix(mt.Schema.Ref, "#/components/schemas/")
				for field, p := range mt.Schema.Value.Properties {
					v := p.Value
					if p.Ref != "" || v == nil || !v.Type.Is("string") || len(v.Enum) > 0 || unbounded[name+"."+field] {
						continue
					}
					if v.MaxLength == nil {
						t.Errorf("%s.%s is a request string without maxLength", name, field)
					}
				}
			}
		}
	}
}
