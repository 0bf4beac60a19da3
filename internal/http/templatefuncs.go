package http

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// The template functions: static URLs, stars, relative times, plurals,
// widths and the builders of the form partials.

// funcs returns the template functions; static URLs come from wf.
func (s *Server) funcs(wf *webFiles) template.FuncMap {
	return template.FuncMap{
		"static": func(name string) (string, error) {
			f, ok := wf.static[name]
			if !ok {
				return "", fmt.Errorf("static: no file %q", name)
			}
			return "/static/" + f.hash + "/" + name, nil
		},
		"stars": stars,
		"ago":   func(t time.Time) template.HTML { return ago(t, s.now()) },
		"date":  func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
		"pct": pct,
		"average": func(r fpr.Rating) string {
			avg, ok := r.Average()
			if !ok {
				return ""
			}
			return strconv.FormatFloat(avg, 'f', 1, 64)
		},
		"hasPrefix": strings.HasPrefix,
		"field":     field,
		"summary":   summary,
		"options":   options,
		"withOptions": func(opts []option, f fieldView) fieldView {
			f.Options = opts
			return f
		},
		"reviewView":  func(p *productPage, r productReview) reviewView { return reviewView{Page: p, Review: r} },
		"roleOptions": roleOptions,
		"decision": func(id, next string, f moderationForm) decisionView {
			return decisionView{ReviewID: id, Next: next, Form: f}
		},
		"lines": func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") },
		"productURL": func(id string) string {
			return "/products/" + url.PathEscape(id)
		},
		"farmURL":     func(id string) string { return "/farms/" + url.PathEscape(id) },
		"reviewURL":   reviewURL,
		"aspectLabel": func(a fpr.Aspect) string { return a.Label() },
		"photoURL":    photoURL,
	}
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// stars draws a rating (an int, a float64 average or a product's
// fpr.Rating) as five star glyphs with a text equivalent for screen readers.
func stars(v any) (template.HTML, error) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case float64:
		f = x
	case fpr.Rating:
		f, _ = x.Average()
	default:
		return "", fmt.Errorf("stars: want int or float64, got %T", v)
	}
	full := int(math.Round(f))
	full = min(max(full, 0), 5)
	label := strconv.FormatFloat(f, 'f', -1, 64)
	if f != math.Trunc(f) {
		label = strconv.FormatFloat(f, 'f', 1, 64)
	}
	return template.HTML(`<span class="stars" role="img" aria-label="` + label + ` out of 5 stars">` + //nolint:gosec // built from numbers only
		strings.Repeat("★", full) + `<span class="stars-off">` + strings.Repeat("★", 5-full) + `</span></span>`), nil
}

// ago shows t as "3 days ago" in a <time> element carrying the full date.
func ago(t, now time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	var rel string
	switch {
	case d < time.Minute:
		rel = "just now"
	case d < time.Hour:
		rel = unitsAgo(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		rel = unitsAgo(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		rel = unitsAgo(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		rel = unitsAgo(int(d/(30*24*time.Hour)), "month")
	default:
		rel = unitsAgo(int(d/(365*24*time.Hour)), "year")
	}
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `" title="` + //nolint:gosec // built from a time only
		u.Format("2 January 2006, 15:04 UTC") + `">` + rel + `</time>`)
}

func unitsAgo(n int, unit string) string {
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return strconv.Itoa(n) + " " + unit + "s ago"
}

// pct returns part/total as a percentage rounded to 5, for the w-N width
// classes of app.css (w-0 … w-100).
func pct(part, total int) int {
	if total <= 0 || part <= 0 {
		return 0
	}
	p := int(math.Round(float64(part)*20/float64(total))) * 5
	if p == 0 {
		p = 5 // a bar with some reviews stays visible
	}
	return min(p, 100)
}
