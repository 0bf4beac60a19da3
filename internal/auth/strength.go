package auth

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fpr-team/fpr"
	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/frequency"
)

// The messages of password rules, shown beside the password field on the
// API and the pages alike.
const (
	msgPasswordCommon  = "This password is too common or too easy to guess. Try a few unrelated words or a longer phrase."
	msgPasswordSimilar = "This password is too close to your e-mail address or display name."
	msgPasswordSame    = "Choose a password different from your current one."
	msgPasswordWrong   = "This is not your current password."
)

// minScore is the lowest zxcvbn score (0–4) accepted: 2 means about a
// million guesses or more, beyond a throttled online attacker's reach.
const minScore = 2

// maxScored bounds the runes zxcvbn looks at: its matching grows faster
// than linearly with length, and a password of 64 characters is strong
// enough that the rest does not change the verdict.
const maxScored = 64

// commonPasswords holds zxcvbn's list of common passwords (about 30,000),
// lowercased and sorted, for isCommonPassword. A sorted slice shares the
// list's strings and takes 0.5 MB of live heap where a map took 2.6 MB,
// which the collector's target doubles in every instance.
var commonPasswords = func() []string {
	list := frequency.FrequencyLists["passwords"]
	s := make([]string, 0, len(list))
	for _, p := range list {
		s = append(s, strings.ToLower(p))
	}
	slices.Sort(s)
	return slices.Compact(s)
}()

// isCommonPassword reports whether lower (a lowercased password) is on
// zxcvbn's list of common passwords.
func isCommonPassword(lower string) bool {
	_, found := slices.BinarySearch(commonPasswords, lower)
	return found
}

// checkPassword returns the message for a password that breaks a rule, or
// "": length, then closeness to the e-mail or display name, then
// commonness.
func checkPassword(password, email, displayName string) string {
	if msg := fpr.ValidatePasswordLength(password); msg != "" {
		return msg
	}
	lower := strings.ToLower(password)
	for _, in := range forbiddenParts(email, displayName) {
		if strings.Contains(lower, in) {
			return msgPasswordSimilar
		}
	}
	inputs := userInputs(email, displayName)
	if builtFrom(lower, inputs) {
		return msgPasswordSimilar
	}
	if isCommonPassword(lower) {
		return msgPasswordCommon
	}
	scored := password
	if utf8.RuneCountInString(scored) > maxScored {
		scored = string([]rune(scored)[:maxScored])
	}
	res := zxcvbn.PasswordStrength(scored, inputs)
	if res.Score >= minScore {
		return ""
	}
	for _, m := range res.Sequence {
		if m.DictionaryName == "user_inputs" {
			return msgPasswordSimilar
		}
	}
	return msgPasswordCommon
}

// minPartLen is the shortest e-mail local part or display name that a
// password may not contain: shorter ones ("al") occur inside too many
// unrelated words. zxcvbn still weighs them as user inputs.
const minPartLen = 4

// forbiddenParts returns the lowercased strings a password must not
// contain: the e-mail's local part and the display name, with and without
// spaces, when at least minPartLen runes long.
func forbiddenParts(email, displayName string) []string {
	var out []string
	local, _, _ := strings.Cut(fpr.NormalizeEmail(email), "@")
	name := strings.ToLower(strings.TrimSpace(displayName))
	for _, s := range []string{local, name, strings.Join(strings.Fields(name), "")} {
		if utf8.RuneCountInString(s) >= minPartLen {
			out = append(out, s)
		}
	}
	return out
}

// builtFrom reports whether password (lowercased) is made of words of
// inputs with only digits and symbols besides, such as "baker.ann.1990"
// for Ann Baker: fewer than minPartLen letters are left once those words
// are removed.
func builtFrom(password string, inputs []string) bool {
	rest, removed := password, false
	for _, in := range inputs {
		if utf8.RuneCountInString(in) >= 3 && strings.Contains(rest, in) {
			rest = strings.ReplaceAll(rest, in, " ")
			removed = true
		}
	}
	if !removed {
		return false
	}
	letters := 0
	for _, r := range rest {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters < minPartLen
}

// userInputs returns the lowercased words a password must not be built
// from: the e-mail, its local part and its parts, and the display name
// with and without spaces and its words.
func userInputs(email, displayName string) []string {
	var out []string
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	email = fpr.NormalizeEmail(email)
	if email != "" {
		add(email)
		local, _, _ := strings.Cut(email, "@")
		add(local)
		for _, w := range split(local) {
			add(w)
		}
	}
	if displayName != "" {
		add(displayName)
		add(strings.Join(strings.Fields(displayName), ""))
		for _, w := range split(displayName) {
			add(w)
		}
	}
	return out
}
