package http_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// depthReview is the part of the API's Review these tests read.
type depthReview struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	Harvest          *string        `json:"harvest"`
	VerifiedPurchase bool           `json:"verified_purchase"`
	Aspects          map[string]int `json:"aspects"`
	Edited           bool           `json:"edited"`
	Photos           []struct {
		ID           string `json:"id"`
		URL          string `json:"url"`
		ThumbnailURL string `json:"thumbnail_url"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
	} `json:"photos"`
}

type depthProduct struct {
	Product struct {
		Rating struct {
			Count   int `json:"count"`
			Aspects map[string]struct {
				Average float64 `json:"average"`
				Count   int     `json:"count"`
			} `json:"aspects"`
		} `json:"rating"`
	} `json:"product"`
}

// mustProductOf creates a product of category in a new farm of producer.
func mustProductOf(t *testing.T, env *fprtest.Env, producer *fpr.User, category fpr.Category) (farmID, productID string) {
	t.Helper()
	farm := &fpr.Farm{Name: "Farm " + fmt.Sprint(uniq()), Region: "North"}
	if err := env.DB.CreateFarm(env.Ctx(producer), farm); err != nil {
		t.Fatal(err)
	}
	p := &fpr.Product{FarmID: farm.ID, Name: "Item " + fmt.Sprint(uniq()), Category: category, Unit: "box"}
	if err := env.DB.CreateProduct(env.Ctx(producer), p); err != nil {
		t.Fatal(err)
	}
	return farm.ID, p.ID
}

func productAspects(t *testing.T, env *fprtest.Env, id string) depthProduct {
	t.Helper()
	resp, body := env.Do(t, "GET", "/api/v1/products/"+id, "", nil)
	wantStatus(t, "get product", resp, body, http.StatusOK)
	return mustDecode[depthProduct](t, body)
}

func TestAPIReviewDepth_HarvestAspectsHistory(t *testing.T) {
	t.Parallel()
	clock := fprtest.NewClock(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC))
	env := fprtest.New(t, fprtest.WithClock(clock.Now))
	producer := env.MustUser(t, fpr.RoleProducer)
	_, eggs := mustProductOf(t, env, producer.User, "eggs")
	ann := env.MustUser(t, fpr.RoleMember)
	bob := env.MustUser(t, fpr.RoleMember)
	mod := env.MustUser(t, fpr.RoleModerator)

	path := "/api/v1/products/" + eggs + "/reviews"
	for _, bad := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"FutureHarvest", map[string]any{"rating": 4, "body": "x", "harvest": "2026-07"}, "harvest"},
		{"OldHarvest", map[string]any{"rating": 4, "body": "x", "harvest": "2023-05"}, "harvest"},
		{"HarvestFormat", map[string]any{"rating": 4, "body": "x", "harvest": "June 2026"}, "harvest"},
		{"AspectOfAnotherCategory", map[string]any{"rating": 4, "body": "x", "aspects": map[string]int{"flavour": 4}}, "aspects"},
		{"AspectOutOfRange", map[string]any{"rating": 4, "body": "x", "aspects": map[string]int{"yolk": 6}}, "aspects.yolk"},
	} {
		resp, body := env.Do(t, "POST", path, ann.Token, bad.body)
		wantStatus(t, bad.name, resp, body, http.StatusUnprocessableEntity)
		if !strings.Contains(string(body), `"`+bad.field+`"`) {
			t.Errorf("%s: %s does not name field %s", bad.name, body, bad.field)
		}
	}
	if got := productAspects(t, env, eggs); got.Product.Rating.Count != 0 || len(got.Product.Rating.Aspects) != 0 {
		t.Fatalf("refused reviews changed the product: %+v", got)
	}

	resp, body := env.Do(t, "POST", path, ann.Token, map[string]any{"rating": 4, "body": "Deep orange yolks.",
		"harvest": "2026-05", "aspects": map[string]int{"yolk": 5, "freshness": 4}})
	wantStatus(t, "create", resp, body, http.StatusCreated)
	rv := mustDecode[struct{ Review depthReview }](t, body).Review
	if rv.Harvest == nil || *rv.Harvest != "2026-05" || rv.Aspects["yolk"] != 5 || rv.Edited || rv.VerifiedPurchase {
		t.Errorf("created = %+v", rv)
	}
	resp, body = env.Do(t, "POST", path, bob.Token, map[string]any{"rating": 2, "body": "Small.", "harvest": "2025-10",
		"aspects": map[string]int{"yolk": 2}})
	wantStatus(t, "create bob", resp, body, http.StatusCreated)
	bobID := mustDecode[struct{ Review depthReview }](t, body).Review.ID

	a := productAspects(t, env, eggs).Product.Rating.Aspects
	if a["yolk"].Count != 2 || a["yolk"].Average != 3.5 || a["freshness"].Count != 1 || a["freshness"].Average != 4 {
		t.Errorf("aspects = %+v, want yolk 3.5 of 2, freshness 4 of 1", a)
	}

	// Harvest-year filter.
	for _, tc := range []struct {
		q    string
		want int
	}{{"harvest_year=2026", 1}, {"harvest_year=2025", 1}, {"harvest_year=2024", 0}, {"", 2}} {
		resp, body := env.Do(t, "GET", path+"?"+tc.q, "", nil)
		wantStatus(t, tc.q, resp, body, http.StatusOK)
		if n := len(mustDecode[reviewListJSON](t, body).Items); n != tc.want {
			t.Errorf("?%s: %d reviews, want %d", tc.q, n, tc.want)
		}
	}
	resp, body = env.Do(t, "GET", path+"?harvest_year=soon", "", nil)
	wantStatus(t, "bad harvest_year", resp, body, http.StatusUnprocessableEntity)

	// An edit keeps the earlier version; the aspect summary follows.
	resp, body = env.Do(t, "PATCH", "/api/v1/reviews/"+rv.ID, ann.Token, map[string]any{"rating": 5, "body": "Even better now.",
		"aspects": map[string]int{"yolk": 3}, "harvest": nil})
	wantStatus(t, "patch", resp, body, http.StatusOK)
	if got := mustDecode[struct{ Review depthReview }](t, body).Review; !got.Edited || got.Harvest != nil || got.Aspects["freshness"] != 0 {
		t.Errorf("patched = %+v, want edited, no harvest, no freshness", got)
	}
	resp, body = env.Do(t, "PATCH", "/api/v1/reviews/"+rv.ID, ann.Token, map[string]any{"harvest": "2026-08"})
	wantStatus(t, "patch future harvest", resp, body, http.StatusUnprocessableEntity)
	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+rv.ID+"/history", "", nil)
	wantStatus(t, "history", resp, body, http.StatusOK)
	hist := mustDecode[struct {
		Items []struct {
			Rating  int     `json:"rating"`
			Body    string  `json:"body"`
			Harvest *string `json:"harvest"`
		} `json:"items"`
	}](t, body)
	if len(hist.Items) != 1 || hist.Items[0].Rating != 4 || hist.Items[0].Body != "Deep orange yolks." || hist.Items[0].Harvest == nil {
		t.Errorf("history = %+v, want the first version", hist)
	}
	a = productAspects(t, env, eggs).Product.Rating.Aspects
	if a["yolk"].Count != 2 || a["yolk"].Average != 2.5 || a["freshness"].Count != 0 {
		t.Errorf("aspects after edit = %+v, want yolk 2.5 of 2, no freshness", a)
	}

	// Moderation takes Bob's scores out; the record counts it by reason.
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+bobID, mod.Token, map[string]any{"action": "remove", "note": "", "reason": "fake"})
	wantStatus(t, "remove", resp, body, http.StatusOK)
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+bobID, mod.Token, map[string]any{"action": "publish", "note": "", "reason": "fake"})
	wantStatus(t, "publish with reason", resp, body, http.StatusUnprocessableEntity)
	if a = productAspects(t, env, eggs).Product.Rating.Aspects; a["yolk"].Count != 1 || a["yolk"].Average != 3 {
		t.Errorf("aspects after removal = %+v, want yolk 3 of 1", a)
	}
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+rv.ID, mod.Token, map[string]any{"action": "reject", "note": ""})
	wantStatus(t, "reject", resp, body, http.StatusOK)
	resp, body = env.Do(t, "GET", "/api/v1/products/"+eggs+"/moderation", "", nil)
	wantStatus(t, "moderation counts", resp, body, http.StatusOK)
	counts := mustDecode[struct {
		Removed  map[string]int `json:"removed"`
		Rejected map[string]int `json:"rejected"`
	}](t, body)
	if counts.Removed["fake"] != 1 || counts.Rejected["other"] != 1 || len(counts.Removed)+len(counts.Rejected) != 2 {
		t.Errorf("moderation counts = %+v, want removed fake 1, rejected other 1", counts)
	}
	if got := productAspects(t, env, eggs).Product.Rating; got.Count != 0 || len(got.Aspects) != 0 {
		t.Errorf("product after both are out = %+v, want no counted reviews or aspects", got)
	}

	resp, body = env.Do(t, "GET", "/api/v1/categories", "", nil)
	wantStatus(t, "categories", resp, body, http.StatusOK)
	if !strings.Contains(string(body), `{"name":"eggs","label":"Eggs","aspects":[{"name":"freshness","label":"Freshness"},{"name":"yolk","label":"Yolk"},{"name":"value","label":"Value"}]}`) {
		t.Errorf("categories = %s, want eggs: freshness, yolk, value", body)
	}
	resp, body = env.Do(t, "GET", "/api/v1/products/missing/moderation", "", nil)
	wantStatus(t, "moderation of missing", resp, body, http.StatusNotFound)
}

func TestAPIReviewDepth_FoodSafety(t *testing.T) {
	t.Parallel()
	hook := newWebhookRecorder(t)
	env := fprtest.New(t, fprtest.WithConfig(func(c *app.Config) { c.AlertWebhookURL = hook.URL() }))
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	mod := env.MustUser(t, fpr.RoleModerator)
	var ids []string
	for i := range 2 {
		u := env.MustUser(t, fpr.RoleMember)
		resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", u.Token, map[string]any{"rating": 3, "body": fmt.Sprint("Review ", i)})
		wantStatus(t, "create", resp, body, http.StatusCreated)
		ids = append(ids, mustDecode[struct{ Review depthReview }](t, body).Review.ID)
	}
	// An older spam flag, then a food-safety report on the newer review.
	resp, body := env.Do(t, "POST", "/api/v1/reviews/"+ids[0]+"/flags", ann.Token, map[string]any{"reason": "spam"})
	wantStatus(t, "spam flag", resp, body, http.StatusCreated)
	resp, body = env.Do(t, "POST", "/api/v1/reviews/"+ids[1]+"/flags", ann.Token, map[string]any{"reason": "food_safety", "note": "  "})
	wantStatus(t, "food safety without note", resp, body, http.StatusUnprocessableEntity)
	resp, body = env.Do(t, "POST", "/api/v1/reviews/"+ids[1]+"/flags", ann.Token, map[string]any{"reason": "food_safety", "note": "Mould inside the jar <b>sealed</b>."})
	wantStatus(t, "food safety", resp, body, http.StatusCreated)

	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+ids[1], "", nil)
	wantStatus(t, "still public", resp, body, http.StatusOK)
	if st := mustDecode[struct{ Review depthReview }](t, body).Review.Status; st != "published" {
		t.Errorf("status after a food-safety report = %s, want published", st)
	}
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue", mod.Token, nil)
	wantStatus(t, "queue", resp, body, http.StatusOK)
	q := mustDecode[struct {
		Items []struct {
			Review     depthReview `json:"review"`
			FoodSafety bool        `json:"food_safety"`
		} `json:"items"`
	}](t, body)
	if len(q.Items) != 2 || q.Items[0].Review.ID != ids[1] || !q.Items[0].FoodSafety || q.Items[1].FoodSafety {
		t.Errorf("queue = %+v, want the food-safety report first", q.Items)
	}
	// The alert leaves at once (in the background); wait for it, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for {
		hooks := hook.Bodies()
		n := len(hooks)
		var got string
		if n > 0 {
			got = hooks[0]
		}
		if n > 0 {
			if !strings.Contains(got, "food_safety") || !strings.Contains(got, ids[1]) {
				t.Errorf("webhook = %s, want a food_safety alert naming the review", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no webhook call for the food-safety report")
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+ids[1], mod.Token, map[string]any{"action": "publish", "note": ""})
	wantStatus(t, "decide without note", resp, body, http.StatusUnprocessableEntity)
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+ids[1], mod.Token, map[string]any{"action": "publish", "note": "Farm withdrew the batch."})
	wantStatus(t, "decide with note", resp, body, http.StatusOK)
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue?status=flagged", mod.Token, nil)
	wantStatus(t, "queue after", resp, body, http.StatusOK)
	if strings.Contains(string(body), ids[1]) {
		t.Errorf("queue after the decision still lists the report: %s", body)
	}
	// The report and its closing decision are in the audit log.
	admin := env.MustUser(t, fpr.RoleAdmin)
	entries, _, err := env.DB.FindAuditEntries(env.Ctx(admin.User), fpr.AuditFilter{Target: fpr.AuditTarget("review", ids[1])})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, string(e.Action)+" "+e.Details["food_safety"]+e.Details["note"])
	}
	got := strings.Join(actions, "; ")
	if !strings.Contains(got, "review.food_safety Mould inside") || !strings.Contains(got, "review.moderate trueFarm withdrew the batch.") {
		t.Errorf("audit of the report = %q, want the report and the decision closing it", got)
	}
}

func TestAPIReviewDepth_PurchaseCodes(t *testing.T) {
	t.Parallel()
	clock := fprtest.NewClock(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC))
	env := fprtest.New(t, fprtest.WithClock(clock.Now))
	producer := env.MustUser(t, fpr.RoleProducer)
	farm, product := mustProductOf(t, env, producer.User, "vegetables")
	other := mustProductIn(t, env, producer.User, farm)

	codesPath := "/api/v1/farms/" + farm + "/purchase-codes"
	for _, bad := range []map[string]any{{"count": 0}, {"count": 501}, {"count": 1, "expires_at": "2026-06-01T00:00:00Z"}} {
		resp, body := env.Do(t, "POST", codesPath, producer.Token, bad)
		wantStatus(t, fmt.Sprint(bad), resp, body, http.StatusUnprocessableEntity)
	}
	otherFarm, otherFarmProduct := mustProductOf(t, env, producer.User, "fruit")
	_ = otherFarm
	resp, body := env.Do(t, "POST", codesPath, producer.Token, map[string]any{"count": 1, "product_id": otherFarmProduct})
	wantStatus(t, "product of another farm", resp, body, http.StatusUnprocessableEntity)

	resp, body = env.Do(t, "POST", codesPath, producer.Token, map[string]any{"count": 500, "product_id": product})
	wantStatus(t, "500 codes", resp, body, http.StatusCreated)
	codes := mustDecode[struct {
		Codes []string `json:"codes"`
	}](t, body).Codes
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c] {
			t.Fatalf("code %s issued twice", c)
		}
		seen[c] = true
	}
	resp, body = env.Do(t, "POST", codesPath, producer.Token, map[string]any{"count": 1, "expires_at": "2026-06-16T00:00:00Z"})
	wantStatus(t, "expiring code", resp, body, http.StatusCreated)
	expiring := mustDecode[struct {
		Codes []string `json:"codes"`
	}](t, body).Codes[0]

	// review answers a closed response's status and headers, and its body.
	type answer struct {
		StatusCode int
		Header     http.Header
	}
	review := func(u *fprtest.TestUser, productID, code string) (answer, []byte) {
		resp, body := env.Do(t, "POST", "/api/v1/products/"+productID+"/reviews", u.Token,
			map[string]any{"rating": 5, "body": "Fresh from the stall.", "purchase_code": code, "harvest": "2026-06"})
		return answer{resp.StatusCode, resp.Header}, body
	}
	wantAnswer := func(what string, a answer, body []byte, want int) {
		t.Helper()
		if a.StatusCode != want {
			t.Fatalf("%s = %d %s, want %d", what, a.StatusCode, body, want)
		}
	}
	ann := env.MustUser(t, fpr.RoleMember)
	// Case, spaces and look-alikes do not matter.
	a, body := review(ann, product, strings.ToLower(strings.ReplaceAll(codes[0], "-", " ")))
	wantAnswer("verified review", a, body, http.StatusCreated)
	if !mustDecode[struct{ Review depthReview }](t, body).Review.VerifiedPurchase {
		t.Errorf("review with a code is not verified: %s", body)
	}
	bob := env.MustUser(t, fpr.RoleMember)
	for _, tc := range []struct {
		name, product, code, msg string
	}{
		{"Used", product, codes[0], fpr.MsgPurchaseCodeUsed},
		{"Unknown", product, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", fpr.MsgPurchaseCodeUnknown},
		{"OtherProduct", other, codes[1], fpr.MsgPurchaseCodeOtherProduct},
		{"OtherFarm", otherFarmProduct, codes[1], fpr.MsgPurchaseCodeOtherProduct},
	} {
		a, body := review(bob, tc.product, tc.code)
		wantAnswer(tc.name, a, body, http.StatusUnprocessableEntity)
		if !strings.Contains(string(body), tc.msg) {
			t.Errorf("%s: %s, want %q", tc.name, body, tc.msg)
		}
	}
	clock.Advance(13 * time.Hour)
	a, body = review(bob, other, expiring)
	wantAnswer("expired", a, body, http.StatusUnprocessableEntity)
	if !strings.Contains(string(body), fpr.MsgPurchaseCodeExpired) {
		t.Errorf("expired: %s", body)
	}
	// A refused code wrote nothing: Bob can still review without one.
	a, body = review(bob, other, "")
	wantAnswer("unverified review", a, body, http.StatusCreated)

	// Two reviews racing for one code: exactly one wins.
	racers := []*fprtest.TestUser{env.MustUser(t, fpr.RoleMember), env.MustUser(t, fpr.RoleMember)}
	statuses := make([]int, len(racers))
	var wg sync.WaitGroup
	for i, u := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := review(u, product, codes[2])
			statuses[i] = a.StatusCode
		}()
	}
	wg.Wait()
	if !(statuses[0] == 201 && statuses[1] == 422 || statuses[0] == 422 && statuses[1] == 201) {
		t.Errorf("racing redemptions = %v, want one 201 and one 422", statuses)
	}

	resp, body = env.Do(t, "GET", "/api/v1/products/"+product+"/reviews?verified=true", "", nil)
	wantStatus(t, "verified list", resp, body, http.StatusOK)
	if n := len(mustDecode[reviewListJSON](t, body).Items); n != 2 {
		t.Errorf("verified reviews = %d, want 2", n)
	}

	// Guessing is throttled: after the account's limit of bad codes, 429.
	limit := fpr.DefaultRateLimits.For(fpr.LimitPurchaseCode)[0]
	if limit.Subject != fpr.PerAccount {
		t.Fatalf("first purchase_code limit is %v, want the per-account one", limit)
	}
	eve := env.MustUser(t, fpr.RoleMember)
	for i := range limit.Count {
		a, body := review(eve, product, fmt.Sprintf("GUES-S000-0000-%04d", i))
		wantAnswer("guess", a, body, http.StatusUnprocessableEntity)
	}
	a, body = review(eve, product, codes[3])
	wantAnswer("guess after the limit", a, body, http.StatusTooManyRequests)
	if a.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	clock.Advance(limit.Window + time.Second)
	a, body = review(eve, product, codes[3])
	wantAnswer("after the window", a, body, http.StatusCreated)
}

// uploaded is the status and headers of an upload's (closed) response.
type uploaded struct {
	StatusCode int
	Header     http.Header
}

// upload posts data as the multipart field photo.
func upload(t *testing.T, env *fprtest.Env, method, path, token, filename, contentType string, data []byte) (uploaded, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="photo"; filename="` + filename + `"`}
	h["Content-Type"] = []string{contentType}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(method, env.URL+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := env.Client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return uploaded{resp.StatusCode, resp.Header}, body
}

// testJPEG encodes a w×h gradient JPEG; with gps, an EXIF segment with a
// GPS position follows the SOI marker, as a phone writes it.
func testJPEG(t *testing.T, w, h int, gps bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !gps {
		return out
	}
	exif := gpsExif()
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+2)) //nolint:gosec // G115: the test EXIF is under 100 bytes
	return append(append(append([]byte{}, out[:2]...), append(seg, exif...)...), out[2:]...)
}

// gpsMarker is in the test GPS EXIF: a position at 51°28'N.
const gpsMarker = "GPSLatitudeMarker51N28"

// gpsExif is an Exif APP1 payload: TIFF header, IFD0 with a GPS IFD
// pointer, a GPS IFD with latitude reference N, and a marker string.
func gpsExif() []byte {
	var b bytes.Buffer
	b.WriteString("Exif\x00\x00")
	tiff := new(bytes.Buffer)
	tiff.WriteString("MM\x00\x2a")
	_ = binary.Write(tiff, binary.BigEndian, uint32(8)) // IFD0 at 8
	// IFD0: one entry, GPS IFD pointer (0x8825) → offset 26.
	_ = binary.Write(tiff, binary.BigEndian, uint16(1))
	_ = binary.Write(tiff, binary.BigEndian, []uint16{0x8825, 4})
	_ = binary.Write(tiff, binary.BigEndian, []uint32{1, 26})
	_ = binary.Write(tiff, binary.BigEndian, uint32(0))
	// GPS IFD: GPSLatitudeRef "N".
	_ = binary.Write(tiff, binary.BigEndian, uint16(1))
	_ = binary.Write(tiff, binary.BigEndian, []uint16{0x0001, 2})
	_ = binary.Write(tiff, binary.BigEndian, uint32(2))
	tiff.WriteString("N\x00\x00\x00")
	_ = binary.Write(tiff, binary.BigEndian, uint32(0))
	tiff.WriteString(gpsMarker)
	b.Write(tiff.Bytes())
	return b.Bytes()
}

// hugePNGHeader is a valid PNG signature and IHDR announcing a
// 20,000 × 20,000 image, with no pixel data after it.
func hugePNGHeader() []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], 20000)
	binary.BigEndian.PutUint32(b[20:], 20000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func wantUpload(t *testing.T, what string, u uploaded, body []byte, want int) {
	t.Helper()
	if u.StatusCode != want {
		t.Fatalf("%s = %d %s, want %d", what, u.StatusCode, body, want)
	}
}

func TestAPIReviewDepth_Photos(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	bob := env.MustUser(t, fpr.RoleMember)
	mod := env.MustUser(t, fpr.RoleModerator)
	resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", ann.Token, map[string]any{"rating": 5, "body": "Golden."})
	wantStatus(t, "create", resp, body, http.StatusCreated)
	id := mustDecode[struct{ Review depthReview }](t, body).Review.ID
	path := "/api/v1/reviews/" + id + "/photos"

	withGPS := testJPEG(t, 2400, 1800, true)
	if !bytes.Contains(withGPS, []byte(gpsMarker)) || !bytes.Contains(withGPS, []byte("Exif")) {
		t.Fatal("test JPEG lacks its GPS EXIF")
	}
	var up uploaded
	up, body = upload(t, env, "POST", path, ann.Token, "IMG_0001.jpg", "image/jpeg", withGPS)
	wantUpload(t, "upload", up, body, http.StatusCreated)
	ph := mustDecode[struct {
		Photo struct {
			ID           string `json:"id"`
			URL          string `json:"url"`
			ThumbnailURL string `json:"thumbnail_url"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
		} `json:"photo"`
	}](t, body).Photo
	if ph.Width != 1600 || ph.Height != 1200 {
		t.Errorf("photo = %dx%d, want 1600x1200", ph.Width, ph.Height)
	}
	for _, u := range []struct {
		url  string
		size int
	}{{ph.URL, 1600}, {ph.ThumbnailURL, 400}} {
		resp, err := http.Get(env.URL + u.url)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d %v", u.url, resp.StatusCode, resp.Header)
		}
		if bytes.Contains(data, []byte(gpsMarker)) || bytes.Contains(data, []byte("Exif")) || bytes.Contains(data, []byte{0xFF, 0xE1}) {
			t.Errorf("GET %s: the GPS EXIF survived", u.url)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || format != "jpeg" || max(cfg.Width, cfg.Height) != u.size {
			t.Errorf("GET %s: %v %s %dx%d, want a jpeg of %d px", u.url, err, format, cfg.Width, cfg.Height, u.size)
		}
	}

	// A PNG sent as "photo.jpg", image/jpeg: its bytes decide, and a
	// transparent image is re-encoded as PNG.
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	img.Set(10, 10, color.NRGBA{255, 0, 0, 128})
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, img)
	up, body = upload(t, env, "POST", path, ann.Token, "photo.jpg", "image/jpeg", pngBuf.Bytes())
	wantUpload(t, "png as jpg", up, body, http.StatusCreated)
	pngURL := mustDecode[struct {
		Photo struct {
			URL string `json:"url"`
		} `json:"photo"`
	}](t, body).Photo.URL
	resp, err := http.Get(env.URL + pngURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("a PNG named .jpg is served as %q, want image/png", ct)
	}

	for _, bad := range []struct {
		name, filename, ct string
		data               []byte
		want               int
	}{
		{"HTMLAsJPEG", "x.jpg", "image/jpeg", []byte("<html><script>alert(1)</script></html>"), http.StatusUnprocessableEntity},
		{"GIF", "x.gif", "image/gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), http.StatusUnprocessableEntity},
		{"Bomb", "bomb.png", "image/png", hugePNGHeader(), http.StatusUnprocessableEntity},
		{"Truncated", "t.jpg", "image/jpeg", withGPS[:len(withGPS)/3], http.StatusUnprocessableEntity},
		{"TooLarge", "big.jpg", "image/jpeg", bytes.Repeat([]byte{0xFF}, fpr.MaxPhotoBytes+1), http.StatusRequestEntityTooLarge},
	} {
		up, body := upload(t, env, "POST", path, ann.Token, bad.filename, bad.ct, bad.data)
		wantUpload(t, bad.name, up, body, bad.want)
	}
	up, body = upload(t, env, "POST", path, bob.Token, "x.jpg", "image/jpeg", testJPEG(t, 40, 30, false))
	wantUpload(t, "someone else's review", up, body, http.StatusForbidden)
	up, body = upload(t, env, "POST", path, "", "x.jpg", "image/jpeg", testJPEG(t, 40, 30, false))
	wantUpload(t, "anonymous", up, body, http.StatusUnauthorized)

	for i := 2; i < fpr.MaxReviewPhotos; i++ {
		up, body := upload(t, env, "POST", path, ann.Token, "x.jpg", "image/jpeg", testJPEG(t, 40, 30, false))
		wantUpload(t, fmt.Sprint("photo ", i+1), up, body, http.StatusCreated)
	}
	up, body = upload(t, env, "POST", path, ann.Token, "x.jpg", "image/jpeg", testJPEG(t, 40, 30, false))
	wantUpload(t, "sixth photo", up, body, http.StatusConflict)

	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+id, "", nil)
	wantStatus(t, "review", resp, body, http.StatusOK)
	if n := len(mustDecode[struct{ Review depthReview }](t, body).Review.Photos); n != fpr.MaxReviewPhotos {
		t.Errorf("review lists %d photos, want %d", n, fpr.MaxReviewPhotos)
	}
	resp, body = env.Do(t, "DELETE", "/api/v1/photos/"+ph.ID, bob.Token, nil)
	wantStatus(t, "delete by another", resp, body, http.StatusForbidden)
	resp, body = env.Do(t, "DELETE", "/api/v1/photos/"+ph.ID, mod.Token, nil)
	wantStatus(t, "delete by moderator", resp, body, http.StatusNoContent)
	resp, err = http.Get(env.URL + ph.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted photo = %d, want 404", resp.StatusCode)
	}

	// The product's photo: its producer only; shown in the product.
	up, body = upload(t, env, "PUT", "/api/v1/products/"+product+"/photo", ann.Token, "p.jpg", "image/jpeg", testJPEG(t, 80, 60, false))
	wantUpload(t, "product photo by a member", up, body, http.StatusForbidden)
	up, body = upload(t, env, "PUT", "/api/v1/products/"+product+"/photo", producer.Token, "p.jpg", "image/jpeg", testJPEG(t, 80, 60, false))
	wantUpload(t, "product photo", up, body, http.StatusOK)
	resp, body = env.Do(t, "GET", "/api/v1/products/"+product, "", nil)
	wantStatus(t, "product", resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"photo":{"id":`) {
		t.Errorf("product without its photo: %s", body)
	}
}

// A food-safety report mails the producer and every admin at once, over
// SMTP, whatever their notification switches; refused reports and a second
// report while the first is open mail nobody.
func TestAPIReviewDepth_FoodSafetyMail(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	admins := []*fprtest.TestUser{env.MustUser(t, fpr.RoleAdmin), env.MustUser(t, fpr.RoleAdmin)}
	mod := env.MustUser(t, fpr.RoleModerator)
	var off []fpr.NotificationSetting
	for _, tp := range fpr.Topics {
		off = append(off, fpr.NotificationSetting{Topic: tp})
	}
	if err := env.DB.SetNotifications(env.Ctx(producer.User), producer.User.ID, off); err != nil {
		t.Fatal(err)
	}
	author := env.MustUser(t, fpr.RoleMember)
	resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", author.Token, map[string]any{"rating": 2, "body": "Tasted odd."})
	wantStatus(t, "create", resp, body, http.StatusCreated)
	id := mustDecode[struct{ Review depthReview }](t, body).Review.ID
	reporter, second := env.MustUser(t, fpr.RoleMember), env.MustUser(t, fpr.RoleMember)

	flags := "/api/v1/reviews/" + id + "/flags"
	resp, body = env.Do(t, "POST", flags, reporter.Token, map[string]any{"reason": "food_safety", "note": ""})
	wantStatus(t, "report without a note", resp, body, http.StatusUnprocessableEntity)
	resp, body = env.Do(t, "POST", flags, author.Token, map[string]any{"reason": "food_safety", "note": "My own."})
	wantStatus(t, "report of one's own review", resp, body, http.StatusForbidden)
	note := "Mould inside the <b>sealed</b> jar & a <script>alert(1)</script> smell."
	resp, body = env.Do(t, "POST", flags, reporter.Token, map[string]any{"reason": "food_safety", "note": note})
	wantStatus(t, "report", resp, body, http.StatusCreated)

	for _, u := range []*fprtest.TestUser{producer, admins[0], admins[1]} {
		m := smtp.WaitFor(t, u.User.Email, "Food-safety report")
		staff := u.User.Role == fpr.RoleAdmin
		if !strings.Contains(m.Subject(), "Honey ") {
			t.Errorf("subject %q, want the product's name", m.Subject())
		}
		if !strings.Contains(m.Text, note) || !strings.Contains(m.Text, env.URL+"/reviews/"+id) {
			t.Errorf("text to %s = %q, want the note as written and the review's permalink", u.User.Email, m.Text)
		}
		if strings.Contains(m.HTML, "<b>sealed") || strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;b&gt;sealed&lt;/b&gt;") {
			t.Errorf("HTML to %s does not escape the note: %s", u.User.Email, m.HTML)
		}
		if got := strings.Contains(m.Text, env.URL+"/moderation/reviews/"+id); got != staff {
			t.Errorf("text to %s links to the moderation page: %v, want %v (admins only)", u.User.Email, got, staff)
		}
		if m.Header.Get("List-Unsubscribe") != "" {
			t.Errorf("a safety mail carries List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
		}
	}
	// A second report while the first is open: no mail. The moderator's
	// decision then mails the author (review_decided); once it arrived,
	// every mail enqueued before it has been sent.
	resp, body = env.Do(t, "POST", flags, second.Token, map[string]any{"reason": "food_safety", "note": "Same here."})
	wantStatus(t, "second report", resp, body, http.StatusCreated)
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+id, mod.Token, map[string]any{"action": "publish", "note": "Farm withdrew the batch."})
	wantStatus(t, "decide", resp, body, http.StatusOK)
	smtp.WaitFor(t, author.User.Email, "decided")
	for _, u := range []*fprtest.TestUser{producer, admins[0], admins[1], mod, reporter, second} {
		n := 0
		for _, m := range smtp.To(u.User.Email) {
			if strings.Contains(m.Subject(), "Food-safety report") {
				n++
			}
		}
		want := 1
		if u == mod || u == reporter || u == second {
			want = 0
		}
		if n != want {
			t.Errorf("%s (%s) got %d food-safety mails, want %d", u.User.Email, u.User.Role, n, want)
		}
	}
	ms, _, err := env.DB.FindMail(env.Ctx(admins[0].User), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Kind == fpr.MailFoodSafetyReport {
			n++
		}
	}
	if n != 3 {
		t.Errorf("outbox holds %d food-safety mails, want 3 (producer and two admins, once)", n)
	}
}

// depthPhoto is the API's Photo.
type depthPhoto struct {
	ID           string `json:"id"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// A farm's and a product's photo are in their API JSON (show, list and
// the answer to an edit, checked against openapi.json) and in their
// pages' JSON-LD (image), as absolute URLs that serve the image.
func TestAPIReviewDepth_FarmAndProductPhotoInJSONAndLD(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	farm, product := mustProductOf(t, env, producer.User, "vegetables")
	member := env.MustUser(t, fpr.RoleMember)
	type withPhoto struct {
		ID    string      `json:"id"`
		Photo *depthPhoto `json:"photo"`
	}
	showFarm := func() *depthPhoto {
		t.Helper()
		resp, body := env.Do(t, "GET", "/api/v1/farms/"+farm, "", nil)
		wantStatus(t, "farm", resp, body, http.StatusOK)
		return mustDecode[struct{ Farm withPhoto }](t, body).Farm.Photo
	}
	listed := func() *depthPhoto {
		t.Helper()
		resp, body := env.Do(t, "GET", "/api/v1/farms?limit=100", "", nil)
		wantStatus(t, "farms", resp, body, http.StatusOK)
		for _, f := range mustDecode[struct{ Items []withPhoto }](t, body).Items {
			if f.ID == farm {
				return f.Photo
			}
		}
		t.Fatalf("farm %s not listed: %s", farm, body)
		return nil
	}
	type ld struct {
		Type  string `json:"@type"`
		Image any    `json:"image"`
	}
	pageLD := func(path, sel string) ld {
		t.Helper()
		p := newBrowser(t, env).get(path)
		var v ld
		if err := json.Unmarshal([]byte(p.find(sel).Text()), &v); err != nil {
			t.Fatalf("%s JSON-LD: %v", path, err)
		}
		return v
	}
	if showFarm() != nil || listed() != nil {
		t.Fatal("a farm without a photo has one in the API")
	}
	if v := pageLD("/farms/"+farm, "#farm-jsonld"); v.Type != "Organization" || v.Image != nil {
		t.Errorf("farm JSON-LD without a photo = %+v, want an Organization without image", v)
	}

	up, body := upload(t, env, "PUT", "/api/v1/farms/"+farm+"/photo", member.Token, "f.jpg", "image/jpeg", testJPEG(t, 90, 60, false))
	wantUpload(t, "farm photo by a member", up, body, http.StatusForbidden)
	if showFarm() != nil {
		t.Fatal("a refused upload gave the farm a photo")
	}
	up, body = upload(t, env, "PUT", "/api/v1/farms/"+farm+"/photo", producer.Token, "f.jpg", "image/jpeg", testJPEG(t, 90, 60, false))
	wantUpload(t, "farm photo", up, body, http.StatusOK)
	ph := showFarm()
	if ph == nil || ph.URL != "/media/"+ph.ID+"/large" || ph.ThumbnailURL != "/media/"+ph.ID+"/thumb" || ph.Width != 90 || ph.Height != 60 {
		t.Fatalf("farm photo = %+v, want its /media URLs and 90×60", ph)
	}
	if l := listed(); l == nil || *l != *ph {
		t.Errorf("listed farm photo = %+v, want %+v", l, ph)
	}
	resp, body := env.Do(t, "PATCH", "/api/v1/farms/"+farm, producer.Token, map[string]any{"markets": "Wells, Wednesday"})
	wantStatus(t, "edit farm", resp, body, http.StatusOK)
	if got := mustDecode[struct{ Farm withPhoto }](t, body).Farm.Photo; got == nil || *got != *ph {
		t.Errorf("farm after an edit has photo %+v, want %+v", got, ph)
	}
	if v := pageLD("/farms/"+farm, "#farm-jsonld"); v.Image != env.Server.BaseURL+ph.URL {
		t.Errorf("farm JSON-LD image = %v, want %s", v.Image, env.Server.BaseURL+ph.URL)
	}
	img, err := http.Get(env.URL + ph.URL)
	if err != nil {
		t.Fatal(err)
	}
	img.Body.Close()
	if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("farm photo serves %d %s", img.StatusCode, img.Header.Get("Content-Type"))
	}

	// The product: the same in its JSON, after an edit, and its JSON-LD.
	up, body = upload(t, env, "PUT", "/api/v1/products/"+product+"/photo", producer.Token, "p.jpg", "image/jpeg", testJPEG(t, 40, 30, false))
	wantUpload(t, "product photo", up, body, http.StatusOK)
	resp, body = env.Do(t, "GET", "/api/v1/products/"+product, "", nil)
	wantStatus(t, "product", resp, body, http.StatusOK)
	pp := mustDecode[struct{ Product withPhoto }](t, body).Product.Photo
	if pp == nil || pp.ID == ph.ID || pp.URL != "/media/"+pp.ID+"/large" || pp.Width != 40 || pp.Height != 30 {
		t.Fatalf("product photo = %+v, want its own, 40×30", pp)
	}
	resp, body = env.Do(t, "PATCH", "/api/v1/products/"+product, producer.Token, map[string]any{"unit": "bunch"})
	wantStatus(t, "edit product", resp, body, http.StatusOK)
	if got := mustDecode[struct{ Product withPhoto }](t, body).Product.Photo; got == nil || *got != *pp {
		t.Errorf("product after an edit has photo %+v, want %+v", got, pp)
	}
	v := pageLD("/products/"+product, "#product-jsonld")
	if imgs, ok := v.Image.([]any); v.Type != "Product" || !ok || len(imgs) != 1 || imgs[0] != env.Server.BaseURL+pp.URL {
		t.Errorf("product JSON-LD = %+v, want image [%s]", v, env.Server.BaseURL+pp.URL)
	}
}

// A food-safety report whose instance stopped after storing it and before
// raising its alert (simulated by flagging through the store, under the
// alerting wrapper) is alerted by the alerter's sweep; a report through
// the API is alerted once, by the handler or the sweep, never both.
func TestAPIReviewDepth_FoodSafetyAlertSurvivesCrash(t *testing.T) {
	t.Parallel()
	hook := newWebhookRecorder(t)
	env := fprtest.New(t, fprtest.WithConfig(func(c *app.Config) {
		c.AlertWebhookURL, c.AlertEvalInterval = hook.URL(), 50*time.Millisecond
	}))
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	var ids []string
	for i := range 2 {
		u := env.MustUser(t, fpr.RoleMember)
		resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", u.Token, map[string]any{"rating": 3, "body": fmt.Sprint("Review ", i)})
		wantStatus(t, "create", resp, body, http.StatusCreated)
		ids = append(ids, mustDecode[struct{ Review depthReview }](t, body).Review.ID)
	}
	waitHook := func(reviewID string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			var found bool
			for _, h := range hook.Bodies() {
				found = found || (strings.Contains(h, "food_safety") && strings.Contains(h, reviewID))
			}
			if found {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no food-safety webhook call for review %s", reviewID)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	reporter := env.MustUser(t, fpr.RoleMember)
	if err := env.DB.FlagReview(env.Ctx(reporter.User), &fpr.Flag{ReviewID: ids[0], Reason: fpr.FlagFoodSafety, Note: "Stored, never alerted."}); err != nil {
		t.Fatal(err)
	}
	waitHook(ids[0])
	resp, body := env.Do(t, "POST", "/api/v1/reviews/"+ids[1]+"/flags", reporter.Token, map[string]any{"reason": "food_safety", "note": "Through the API."})
	wantStatus(t, "report", resp, body, http.StatusCreated)
	waitHook(ids[1])

	admin := env.MustUser(t, fpr.RoleAdmin)
	alerts, _, err := env.DB.FindAlerts(env.Ctx(admin.User), fpr.Page{Limit: fpr.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]int{}
	for _, a := range alerts {
		if a.Kind == fpr.AlertFoodSafety {
			routes[a.Route]++
		}
	}
	if len(routes) != 2 || routes["/reviews/"+ids[0]] != 1 || routes["/reviews/"+ids[1]] != 1 {
		t.Errorf("food-safety alerts by route = %v, want one per report", routes)
	}
}

// webhookRecorder is an alert webhook that keeps the bodies it receives.
type webhookRecorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newWebhookRecorder(t *testing.T) *webhookRecorder {
	t.Helper()
	h := &webhookRecorder{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *webhookRecorder) URL() string { return h.srv.URL }

// Bodies returns a copy of the bodies received so far.
func (h *webhookRecorder) Bodies() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}
