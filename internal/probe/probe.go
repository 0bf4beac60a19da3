// Package probe runs FPR's two critical flows, registration and review
// submission, end to end against a running site through its JSON API, as a
// user would: register a probe account, log in, review a product, read the
// review back, delete it and log out. `fpr probe` and end-to-end tests use
// it.
//
// The account's e-mail is at fpr.ProbeEmailDomain, so the site marks it as a
// probe and keeps its review out of public lists and rating summaries even
// in the moment before the probe deletes it.
package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// Probe checks one site.
type Probe struct {
	// URL is the site's base URL, e.g. https://fpr.example.
	URL string
	// ProductID is the product to review; "" takes the first listed.
	ProductID string
	// Client sends the requests (default: one with a 10-second timeout).
	Client *http.Client
	// Log, when set, receives one line per step.
	Log io.Writer
}

// Result is what one run found.
type Result struct {
	// Release is what the site's /version reported ("" if it did not).
	Release string
	// Steps lists the steps run, in order, with their durations.
	Steps []Step
}

// Step is one request of a run.
type Step struct {
	Name     string
	Route    string // the route pattern it exercised
	Duration time.Duration
}

// StepError is a failed step: the request's route, status and request ID,
// so the failure can be found in the site's logs and operations pages.
type StepError struct {
	Step      string
	Route     string
	Status    int // 0 when no response came
	RequestID string
	Err       error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("probe step %q (%s) failed", e.Step, e.Route)
	if e.Status != 0 {
		msg += fmt.Sprintf(": status %d", e.Status)
	}
	if e.RequestID != "" {
		msg += ", request ID " + e.RequestID
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// Run runs the flows once. It returns the steps done and, on failure, a
// *StepError.
func (p *Probe) Run(ctx context.Context) (*Result, error) {
	r := &run{p: p, res: &Result{}, base: strings.TrimSuffix(p.URL, "/")}
	if r.p.Client == nil {
		r.p.Client = &http.Client{Timeout: 10 * time.Second}
	}
	var v struct {
		Release string `json:"release"`
	}
	// The release is for the alert; a site without /version still gets
	// probed.
	if err := r.call(ctx, "version", "GET /version", http.MethodGet, "/version", "", nil, http.StatusOK, &v); err == nil {
		r.res.Release = v.Release
	}
	r.res.Steps = nil
	err := r.flows(ctx)
	return r.res, err
}

type run struct {
	p     *Probe
	res   *Result
	base  string
	token string
}

func (r *run) flows(ctx context.Context) error {
	productID := r.p.ProductID
	if productID == "" {
		var list struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := r.call(ctx, "find a product", "GET /api/v1/products", http.MethodGet, "/api/v1/products?limit=1", "", nil, http.StatusOK, &list); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return &StepError{Step: "find a product", Route: "GET /api/v1/products", Err: errors.New("the site lists no products; pass --product")}
		}
		productID = list.Items[0].ID
	}

	// Separate randoms: a password resembling the e-mail is refused.
	secret := randomString()
	email := "probe-" + strings.ToLower(randomString()[:16]) + "@" + fpr.ProbeEmailDomain
	password := "Probe-" + secret
	if err := r.call(ctx, "register", "POST /api/v1/auth/register", http.MethodPost, "/api/v1/auth/register", "",
		map[string]string{"email": email, "password": password, "display_name": "FPR probe"}, http.StatusCreated, nil); err != nil {
		return err
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := r.call(ctx, "log in", "POST /api/v1/auth/login", http.MethodPost, "/api/v1/auth/login", "",
		map[string]string{"email": email, "password": password}, http.StatusOK, &login); err != nil {
		return err
	}
	r.token = login.Token
	defer func() {
		if r.token == "" {
			return // the account, and with it the session, is gone
		}
		// Best effort: an unused token expires anyway.
		_ = r.call(context.WithoutCancel(ctx), "log out", "POST /api/v1/auth/logout", http.MethodPost, "/api/v1/auth/logout", "", nil, http.StatusNoContent, nil)
	}()

	body := "Synthetic check by fpr probe at " + time.Now().UTC().Format(time.RFC3339) + "; hidden from everyone and deleted at once."
	var created struct {
		Review struct {
			ID string `json:"id"`
		} `json:"review"`
	}
	path := "/api/v1/products/" + url.PathEscape(productID) + "/reviews"
	if err := r.call(ctx, "submit a review", "POST /api/v1/products/{id}/reviews", http.MethodPost, path, "probe-"+secret,
		map[string]any{"rating": 5, "title": "Probe", "body": body}, http.StatusCreated, &created); err != nil {
		return err
	}
	id := created.Review.ID
	var read struct {
		Review struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"review"`
	}
	if err := r.call(ctx, "read the review", "GET /api/v1/reviews/{id}", http.MethodGet, "/api/v1/reviews/"+url.PathEscape(id), "", nil, http.StatusOK, &read); err != nil {
		return err
	}
	if read.Review.ID != id || read.Review.Body != body {
		return &StepError{Step: "read the review", Route: "GET /api/v1/reviews/{id}",
			Err: fmt.Errorf("got review %q with body %q, want %q with the body sent", read.Review.ID, read.Review.Body, id)}
	}
	if err := r.call(ctx, "delete the review", "DELETE /api/v1/reviews/{id}", http.MethodDelete, "/api/v1/reviews/"+url.PathEscape(id), "", nil, http.StatusNoContent, nil); err != nil {
		return err
	}
	// A probe a minute must not leave an account a minute behind it.
	err := r.call(ctx, "delete the account", "DELETE /api/v1/me", http.MethodDelete, "/api/v1/me", "",
		map[string]string{"current_password": password}, http.StatusNoContent, nil)
	var se *StepError
	if errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed) {
		// A release older than account deletion: the account stays, hidden.
		r.logf("note  the site cannot delete accounts (%d): the probe account stays", se.Status)
		return nil
	}
	if err == nil {
		r.token = "" // the deletion ended the session: nothing to log out
	}
	return err
}

// logf writes one line to the probe's log, if it has one.
func (r *run) logf(format string, args ...any) {
	if r.p.Log != nil {
		fmt.Fprintf(r.p.Log, format+"\n", args...)
	}
}

// call sends one request and decodes a JSON answer of status want into out.
func (r *run) call(ctx context.Context, step, route, method, path, idempotencyKey string, in any, want int, out any) error {
	start := time.Now()
	fail := func(status int, requestID string, err error) error {
		return &StepError{Step: step, Route: route, Status: status, RequestID: requestID, Err: err}
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fail(0, "", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return fail(0, "", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "fpr-probe")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := r.p.Client.Do(req)
	if err != nil {
		return fail(0, "", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	requestID := resp.Header.Get("X-Request-ID")
	if err != nil {
		return fail(resp.StatusCode, requestID, err)
	}
	if resp.StatusCode != want {
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		detail := fmt.Errorf("want status %d", want)
		if json.Unmarshal(data, &env) == nil && env.Error.Code != "" {
			detail = fmt.Errorf("want status %d, got %s: %s", want, env.Error.Code, env.Error.Message)
		}
		return fail(resp.StatusCode, requestID, detail)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fail(resp.StatusCode, requestID, fmt.Errorf("decode answer: %w", err))
		}
	}
	d := time.Since(start)
	r.res.Steps = append(r.res.Steps, Step{Name: step, Route: route, Duration: d})
	if r.p.Log != nil {
		fmt.Fprintf(r.p.Log, "ok    %-18s %-36s %4d %s\n", step, route, resp.StatusCode, d.Round(time.Millisecond))
	}
	return nil
}

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomString returns 26 random letters and digits: the account's
// password and e-mail suffix, so no two runs collide.
func randomString() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	return secretEncoding.EncodeToString(b[:])
}
