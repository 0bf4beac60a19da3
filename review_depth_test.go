package fpr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

func TestValidateHarvest(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, harvest string
		ok            bool
	}{
		{"None", "", true},
		{"ThisMonth", "2026-03", true},
		{"LastYear", "2025-11", true},
		{"ThreeYearsBack", "2023-03", true},
		{"MoreThanThreeYears", "2023-02", false},
		{"NextMonth", "2026-04", false},
		{"NoMonth", "2026", false},
		{"Month13", "2026-13", false},
		{"Month00", "2026-00", false},
		{"OneDigitMonth", "2026-3", false},
		{"WithDay", "2026-03-01", false},
		{"Hostile", "2026-03' OR 1=1 --", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fpr.ValidateHarvest(tt.harvest, now) == ""; got != tt.ok {
				t.Errorf("ValidateHarvest(%q) ok = %v, want %v", tt.harvest, got, tt.ok)
			}
		})
	}
	// The bounds follow the clock, in UTC: at 23:30 on 31 March in UTC-5 it
	// is already April in UTC.
	late := time.Date(2026, 3, 31, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	if msg := fpr.ValidateHarvest("2026-04", late); msg != "" {
		t.Errorf("ValidateHarvest(2026-04) at %v = %q, want ok (April in UTC)", late, msg)
	}
	if first, last := fpr.HarvestRange(now); first != "2023-03" || last != "2026-03" {
		t.Errorf("HarvestRange = %s…%s, want 2023-03…2026-03", first, last)
	}
	if y := fpr.HarvestYear("2025-07"); y != 2025 {
		t.Errorf("HarvestYear(2025-07) = %d, want 2025", y)
	}
}

func TestValidateAspects(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cat    fpr.Category
		scores map[fpr.Aspect]int
		field  string
	}{
		{"None", "eggs", nil, ""},
		{"EggYolk", "eggs", map[fpr.Aspect]int{"yolk": 5, "freshness": 1}, ""},
		{"VegetablesFlavour", "vegetables", map[fpr.Aspect]int{"flavour": 3, "value": 4}, ""},
		{"YolkOfVegetables", "vegetables", map[fpr.Aspect]int{"yolk": 4}, "aspects"},
		{"Unknown", "eggs", map[fpr.Aspect]int{"<script>": 4}, "aspects"},
		{"Zero", "eggs", map[fpr.Aspect]int{"yolk": 0}, "aspects.yolk"},
		{"Six", "eggs", map[fpr.Aspect]int{"yolk": 6}, "aspects.yolk"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkField(t, fpr.ValidateAspects(tt.cat, tt.scores).Err(), tt.field)
		})
	}
	for _, c := range fpr.Categories {
		as := c.Aspects()
		if len(as) == 0 || len(as) > fpr.MaxAspects {
			t.Errorf("category %s has %d aspects, want 1 to %d", c, len(as), fpr.MaxAspects)
		}
	}
	if got := fpr.Aspect("vase_life").Label(); got != "Vase life" {
		t.Errorf("Label = %q", got)
	}
	if avg, ok := (fpr.AspectRating{Count: 3, Sum: 13}).Average(); !ok || avg != 4.33 {
		t.Errorf("Average = %v %v, want 4.33", avg, ok)
	}
	if _, ok := (fpr.AspectRating{}).Average(); ok {
		t.Error("Average of no scores is ok, want not")
	}
}

func TestPurchaseCodeBatch_Validate(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, tt := range []struct {
		name  string
		b     fpr.PurchaseCodeBatch
		field string
	}{
		{"One", fpr.PurchaseCodeBatch{Count: 1}, ""},
		{"Most", fpr.PurchaseCodeBatch{Count: 500, ExpiresAt: at(24 * time.Hour)}, ""},
		{"None", fpr.PurchaseCodeBatch{Count: 0}, "count"},
		{"TooMany", fpr.PurchaseCodeBatch{Count: 501}, "count"},
		{"Expired", fpr.PurchaseCodeBatch{Count: 1, ExpiresAt: at(-time.Second)}, "expires_at"},
		{"Now", fpr.PurchaseCodeBatch{Count: 1, ExpiresAt: at(0)}, "expires_at"},
		{"TooFar", fpr.PurchaseCodeBatch{Count: 1, ExpiresAt: at(fpr.MaxPurchaseCodeAge + time.Hour)}, "expires_at"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkField(t, tt.b.Validate(now), tt.field)
		})
	}
}

func TestPurchaseCodeFormat(t *testing.T) {
	if got := fpr.NormalizePurchaseCode(" abcd-efgh ijkl-mnop "); got != "ABCDEFGH1JK1MN0P" {
		t.Errorf("NormalizePurchaseCode = %q", got)
	}
	if got := fpr.FormatPurchaseCode("ABCDEFGHJKMNPQRS"); got != "ABCD-EFGH-JKMN-PQRS" {
		t.Errorf("FormatPurchaseCode = %q", got)
	}
	if fpr.PurchaseCodeHash("abcd-0000") != fpr.PurchaseCodeHash("ABCDOOOO") {
		t.Error("a code and its look-alike spelling hash differently")
	}
	if len(fpr.PurchaseCodeAlphabet) != 32 || strings.ContainsAny(fpr.PurchaseCodeAlphabet, "ILOU") {
		t.Errorf("alphabet %q: want 32 symbols without I, L, O, U", fpr.PurchaseCodeAlphabet)
	}
}

func TestFlag_FoodSafetyNeedsNote(t *testing.T) {
	f := &fpr.Flag{Reason: fpr.FlagFoodSafety, Note: "   "}
	checkField(t, f.Validate(), "note")
	f = &fpr.Flag{Reason: fpr.FlagFoodSafety, Note: "Smelled off; two of us were ill."}
	checkField(t, f.Validate(), "")
	if fpr.FlagUnpublishes(fpr.FlagFoodSafety) || !fpr.FlagUnpublishes(fpr.FlagSpam) {
		t.Error("FlagUnpublishes: food safety must leave a review published, spam must count")
	}
	checkField(t, fpr.ValidateFoodSafetyDecision(" "), "note")
	checkField(t, fpr.ValidateFoodSafetyDecision("Called the farm; batch withdrawn."), "")
}

func TestFoodSafetyReportMail(t *testing.T) {
	farm := &fpr.Farm{ID: "f1", OwnerID: "producer"}
	producer := &fpr.User{ID: "producer", Role: fpr.RoleProducer}
	checkPolicy(t, []policyRow{
		{"FirstReportMails", fpr.FoodSafetyReportMailed(0), true},
		{"WhileOneIsOpenNoMore", fpr.FoodSafetyReportMailed(1), false},
		{"Producer", fpr.FoodSafetyMailedTo(producer, farm, "reporter"), true},
		{"Admin", fpr.FoodSafetyMailedTo(&fpr.User{ID: "a", Role: fpr.RoleAdmin}, farm, "reporter"), true},
		{"ModeratorNot", fpr.FoodSafetyMailedTo(&fpr.User{ID: "m", Role: fpr.RoleModerator}, farm, "reporter"), false},
		{"OtherProducerNot", fpr.FoodSafetyMailedTo(&fpr.User{ID: "p2", Role: fpr.RoleProducer}, farm, "reporter"), false},
		{"ProbeAdminNot", fpr.FoodSafetyMailedTo(&fpr.User{ID: "a", Role: fpr.RoleAdmin, Probe: true}, farm, "reporter"), false},
		{"ReporterNot", fpr.FoodSafetyMailedTo(&fpr.User{ID: "a", Role: fpr.RoleAdmin}, farm, "a"), false},
		{"Nobody", fpr.FoodSafetyMailedTo(nil, farm, "reporter"), false},
	})
}
