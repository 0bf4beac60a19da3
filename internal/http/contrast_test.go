package http

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/fpr-team/fpr/web"
)

// TestContrast checks the colour pairs of app.css against WCAG 2 contrast:
// 4.5:1 for text, 3:1 for the focus outline and input borders.
func TestContrast(t *testing.T) {
	css, err := fs.ReadFile(web.FS, "static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"white": "#ffffff", "staging-bg": "#ffd24d", "staging-fg": "#1d1a00", "pending": "#6b4e00", "input-border": "#767262", "bar-bg": "#e9e6dc"}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, tc := range []struct {
		fg, bg string
		min    float64
	}{
		{"text", "bg", 4.5}, {"text", "surface", 4.5}, {"muted", "bg", 4.5}, {"muted", "surface", 4.5},
		{"accent", "bg", 4.5}, {"accent", "surface", 4.5}, {"accent", "accent-soft", 4.5}, {"text", "accent-soft", 4.5},
		{"white", "accent", 4.5}, {"white", "accent-dark", 4.5}, {"accent-dark", "accent-soft", 4.5}, {"white", "error", 4.5},
		{"error", "bg", 4.5}, {"error", "surface", 4.5}, {"star", "surface", 4.5}, {"star", "bg", 4.5},
		{"pending", "surface", 4.5}, {"staging-fg", "staging-bg", 4.5},
		{"focus", "bg", 3}, {"focus", "surface", 3}, {"input-border", "surface", 3}, {"star-off", "surface", 2},
	} {
		fg, bg := vars[tc.fg], vars[tc.bg]
		if fg == "" || bg == "" {
			t.Errorf("colour %s or %s is not defined in app.css", tc.fg, tc.bg)
			continue
		}
		if got := contrast(fg, bg); got < tc.min {
			t.Errorf("contrast(%s %s, %s %s) = %.2f, want at least %.1f", tc.fg, fg, tc.bg, bg, got, tc.min)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}
