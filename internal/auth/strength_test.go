package auth

import (
	"slices"
	"strings"
	"testing"

	"github.com/trustelem/zxcvbn/frequency"
)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	const (
		email = "ann.baker@example.org"
		name  = "Ann Baker"
	)
	tests := []struct {
		name     string
		password string
		want     string
	}{
		{"Short", "abc123", "Use at least 10 characters."},
		{"TooLong", strings.Repeat("p", 257), "Use at most 256 characters."},
		{"CommonPassword123", "password123", msgPasswordCommon},
		{"CommonKeyboardRow", "qwertyuiop", msgPasswordCommon},
		{"CommonILoveYou", "iloveyou12", msgPasswordCommon},
		{"CommonUppercase", "QWERTYUIOP", msgPasswordCommon},
		{"CommonDigits", "1234567890", msgPasswordCommon},
		{"RepeatedLetter", "aaaaaaaaaaaa", msgPasswordCommon},
		{"ContainsLocalPart", "xx-ann.baker-2024", msgPasswordSimilar},
		{"ContainsDisplayName", "My name is ANN BAKER!", msgPasswordSimilar},
		{"ContainsNameWithoutSpace", "annbaker-rocks-77", msgPasswordSimilar},
		{"IsEmail", "ann.baker@example.org", msgPasswordSimilar},
		{"NameWordsAndYear", "baker.ann.1990", msgPasswordSimilar},
		{"Strong", "Orchard-ladder-42-bramble", ""},
		{"Passphrase", "purple turnip lantern gravel", ""},
		{"RandomShort", "x7#Qp9!zR2", ""},
		{"Unicode", "Grüne-Äpfel-im-Herbst-73", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkPassword(tt.password, email, name); got != tt.want {
				t.Errorf("checkPassword(%q) = %q, want %q", tt.password, got, tt.want)
			}
		})
	}
}

func TestCheckPassword_ShortNamesAllowedInside(t *testing.T) {
	t.Parallel()
	// A two-letter display name or local part is not searched for inside
	// the password: "al" is in too many words.
	if got := checkPassword("Orchard-always-42-bramble", "al@example.org", "Al"); got != "" {
		t.Errorf("checkPassword with name Al = %q, want accepted", got)
	}
}

// FuzzCheckPassword: no input makes the check panic or hang.
func FuzzCheckPassword(f *testing.F) {
	f.Add("password123", "ann@example.org", "Ann")
	f.Add("Orchard-ladder-42", "", "")
	f.Fuzz(func(t *testing.T, password, email, name string) {
		checkPassword(password, email, name)
	})
}

// Every password on zxcvbn's list is found, in any case, and others are
// not: the sorted slice answers as the map it replaced did.
func TestIsCommonPassword(t *testing.T) {
	t.Parallel()
	list := frequency.FrequencyLists["passwords"]
	if len(list) < 10000 {
		t.Fatalf("zxcvbn's list has %d passwords", len(list))
	}
	for _, p := range list {
		if !isCommonPassword(strings.ToLower(p)) {
			t.Fatalf("%q is on the list but not found", p)
		}
	}
	for _, p := range []string{"", "correct horse battery staple", "zzzzzzzzzzzzzzzzzzzzzzzzzz", list[0] + "!", " " + list[len(list)-1]} {
		if isCommonPassword(p) {
			t.Errorf("%q was found", p)
		}
	}
	if len(commonPasswords) > len(list) || !slices.IsSorted(commonPasswords) {
		t.Errorf("the list kept (%d) is longer than zxcvbn's (%d) or not sorted", len(commonPasswords), len(list))
	}
}
