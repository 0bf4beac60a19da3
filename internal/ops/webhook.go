package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/fpr-team/fpr"
)

// Payload is the JSON body POSTed to FPR_ALERT_WEBHOOK_URL; docs/alerts.md
// documents it. Text makes it a valid Slack (and Mattermost, Rocket.Chat)
// incoming-webhook message; the other fields are for machines.
type Payload struct {
	Text        string `json:"text"`
	Kind        string `json:"kind"`
	Status      string `json:"status"` // "firing" or "resolved"
	Key         string `json:"key"`
	Route       string `json:"route"`
	Fingerprint string `json:"fingerprint"`
	Release     string `json:"release"`
	RequestID   string `json:"request_id"`
	Message     string `json:"message"`
	Instance    string `json:"instance"`
	Env         string `json:"env"`
	URL         string `json:"url"`
	CreatedAt   string `json:"created_at"`
}

// NewPayload builds the webhook body of an alert. baseURL, when set, makes
// URL a link to the operations page of the alert's group (or the overview).
func NewPayload(a *fpr.Alert, env, baseURL string) Payload {
	status, icon := "firing", ":rotating_light:"
	switch a.Kind {
	case fpr.AlertRatioResolved, fpr.AlertErrorResolved, fpr.AlertProbeResolved:
		status, icon = "resolved", ":white_check_mark:"
	}
	link := ""
	if baseURL != "" {
		link = baseURL + "/ops"
		if a.Fingerprint != "" {
			link += "/errors/" + a.Fingerprint
		}
	}
	text := fmt.Sprintf("%s [FPR %s] %s", icon, env, a.Message)
	if link != "" {
		text += " " + link
	}
	created := a.Created
	if created.IsZero() {
		created = time.Now()
	}
	return Payload{
		Text: text, Kind: string(a.Kind), Status: status, Key: a.Key, Route: a.Route, Fingerprint: a.Fingerprint,
		Release: a.Release, RequestID: a.RequestID, Message: a.Message, Instance: a.Instance, Env: env, URL: link,
		CreatedAt: created.UTC().Format(time.RFC3339),
	}
}

// Webhook POSTs payloads to a URL with a timeout per attempt and retries
// with exponential backoff.
type Webhook struct {
	URL    string
	Client *http.Client
	// Attempts is how many times to try (default 5).
	Attempts int
	// AttemptTimeout bounds each attempt (default 5 s).
	AttemptTimeout time.Duration
	// Backoff is the wait after the first failure, doubled after each
	// further one (default 1 s).
	Backoff time.Duration
}

// Send posts p, retrying until an attempt gets a 2xx, the attempts are used
// up, or ctx ends.
func (wh *Webhook) Send(ctx context.Context, p Payload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode alert: %w", err)
	}
	attempts := wh.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	backoff := wh.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	for i := 0; ; i++ {
		err = wh.post(ctx, body)
		if err == nil || i == attempts-1 {
			return err
		}
		select {
		case <-time.After(backoff << i):
		case <-ctx.Done():
			return fmt.Errorf("%w (then %w)", err, ctx.Err())
		}
	}
}

func (wh *Webhook) post(ctx context.Context, body []byte) error {
	timeout := wh.AttemptTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return wh.redacted(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "fpr-alerts")
	client := wh.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return wh.redacted(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("alert webhook %s: status %s", fpr.RedactURL(wh.URL), resp.Status)
	}
	return nil
}

// redacted is err without the webhook URL's secrets: an HTTP client's
// error quotes the whole URL ("Post \"https://hooks.example/T0/secret?token=…\": …"),
// and the error goes to the log, the stored alert and /ops/alerts. Only
// the scheme and host remain (fpr.RedactURL). The error chain is cut on
// purpose: nothing below may be printed with the URL in it.
func (wh *Webhook) redacted(err error) error {
	return errors.New("alert webhook: " + fpr.RedactError(err, wh.URL))
}
