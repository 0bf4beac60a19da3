package fpr

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text hygiene: the one place that decides which characters a text field
// may hold. Every Validate method, the form reader and the API's query
// reader call these functions, so NUL, control characters and invalid
// UTF-8 are refused with the field named, on both databases alike
// (PostgreSQL refuses NUL and invalid UTF-8 itself, with an error that
// would otherwise be a 500).

// TextKind says which characters beyond printable text a field accepts.
type TextKind int

// Text kinds.
const (
	// SingleLine fields (names, titles, e-mails, query values) accept no
	// control character at all.
	SingleLine TextKind = iota
	// MultiLine fields (bodies, descriptions, notes) accept newline and
	// tab. A carriage return is accepted only as part of CRLF, which
	// NormalizeNewlines turns into a newline.
	MultiLine
)

// Messages of refused text, shown beside the field.
const (
	msgInvalidUTF8 = "This holds bytes that are not valid UTF-8 text."
	msgControl     = "This holds a control character (such as NUL) that text cannot contain."
	msgInvisible   = "This holds an invisible or direction-changing character."
	msgReserved    = "This name is reserved. Choose another."
	msgEmptyParam  = "Give a value, or leave the parameter out."
)

// TextProblem returns a user-facing message when s is not acceptable text
// of kind k (invalid UTF-8, NUL or another control character), else "".
func TextProblem(s string, k TextKind) string {
	if !utf8.ValidString(s) {
		return msgInvalidUTF8
	}
	for i, r := range s {
		if !isControl(r) {
			continue
		}
		if k == MultiLine && (r == '\n' || r == '\t' || (r == '\r' && i+1 < len(s) && s[i+1] == '\n')) {
			continue
		}
		return msgControl
	}
	return ""
}

// isControl reports whether r is a C0 or C1 control character or DEL.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0)
}

// NormalizeNewlines turns CRLF (what browsers send for a textarea) into LF,
// so one text has one stored form.
func NormalizeNewlines(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// Text checks the text field named field: acceptable characters of kind k
// (TextProblem) and a length of minLen to maxLen characters. A problem is
// recorded under field; the first problem of a field wins.
func (f FieldErrors) Text(field, s string, k TextKind, minLen, maxLen int) {
	if msg := TextProblem(s, k); msg != "" {
		f.Add(field, msg)
		return
	}
	checkText(f, field, s, minLen, maxLen)
}

// Invisible reports whether r is a character that changes text direction
// or has no width (bidi controls and marks, zero-width spaces and joiners,
// the byte-order mark, soft hyphen, invisible operators and tag
// characters): a display name with one could pass for another.
func Invisible(r rune) bool {
	switch {
	case r == 0x00ad, r == 0x034f, r == 0x061c, r == 0x115f, r == 0x1160, r == 0x17b4, r == 0x17b5,
		r == 0x180e, r == 0x3164, r == 0xfeff, r == 0xffa0:
		return true
	case r >= 0x200b && r <= 0x200f, // zero-width space, joiners, LRM, RLM
		r >= 0x202a && r <= 0x202e,   // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x206f,   // word joiner, invisible operators, bidi isolates
		r >= 0xfe00 && r <= 0xfe0f,   // variation selectors
		r >= 0xfff9 && r <= 0xfffb,   // interlinear annotations
		r >= 0xe0000 && r <= 0xe007f: // tag characters
		return true
	}
	return unicode.Is(unicode.Cf, r) // any other format character
}

// strongWords make a display name pass for the site or its staff, alone
// or together with weakWords: "Admin", "FPR Support", "The Moderators".
var strongWords = map[string]bool{
	"admin": true, "admins": true, "administrator": true, "administrators": true, "administration": true,
	"moderator": true, "moderators": true, "moderation": true, "mod": true, "mods": true,
	"fpr": true, "fprteam": true, "fpradmin": true, "fprsupport": true, "fprstaff": true,
	"support": true, "staff": true, "official": true, "system": true, "sysop": true,
	"root": true, "superuser": true, "operator": true, "operators": true, "security": true, "helpdesk": true,
	"webmaster": true, "postmaster": true, "hostmaster": true, "abuse": true, "noreply": true,
	"formermember": true,
}

// weakWords are harmless alone ("Team", "Member") but do not make a name
// of strongWords any less official ("The FPR team").
var weakWords = map[string]bool{
	"the": true, "team": true, "member": true, "former": true, "help": true, "service": true,
	"desk": true, "account": true, "official": true, "site": true,
}

// confusables maps Cyrillic and Greek letters that look like Latin ones
// to those letters, for the reserved-name check only.
var confusables = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'х': 'x', 'у': 'y', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'ԁ': 'd', 'ӏ': 'l', 'м': 'm', 'н': 'h', 'т': 't', 'к': 'k', 'в': 'b', 'ո': 'n', 'ս': 'u',
	'α': 'a', 'ε': 'e', 'ο': 'o', 'ρ': 'p', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'ı': 'i', 'ℓ': 'l',
}

// leet maps digits and signs written for letters ("m0derator", "4dmin").
var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s")

// nameWords splits a display name into the words the reserved-name check
// compares: lowercased, full-width forms folded to ASCII, accents and
// look-alike letters folded; anything but letters, digits, "@" and "$"
// separates words.
func nameWords(name string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range strings.ToLower(name) {
		if r >= 0xff01 && r <= 0xff5e { // full-width ASCII
			r = unicode.ToLower(r - 0xff01 + 0x21)
		}
		if c, ok := confusables[r]; ok {
			r = c
		}
		if f, ok := foldLatin[r]; ok {
			b.WriteString(f)
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '@' || r == '$' {
			b.WriteRune(r)
			continue
		}
		flush()
	}
	flush()
	return words
}

// wordClass returns whether w, as written, with trailing digits dropped
// ("admin2") or with digits read as letters ("m0d"), is a strong or a weak
// word.
func wordClass(w string) (strong, weak bool) {
	for _, c := range []string{w, strings.TrimRight(w, "0123456789"), leet.Replace(w)} {
		strong = strong || strongWords[c]
		weak = weak || weakWords[c]
	}
	return strong, weak
}

// ReservedName reports whether name, after folding case, accents,
// full-width forms, look-alike letters and digits, is made only of
// reserved words with at least one strong one ("Admin", "ＦＰＲ", "Аdmin"
// with a Cyrillic А, "FPR-Support Team", "m0derator", "admin2"), or is
// "Former member" (the name of erased accounts). Names that merely contain
// such a word ("Badminton fan", "Ann, farm helper") are fine.
func ReservedName(name string) bool {
	words := nameWords(name)
	if len(words) == 0 {
		return false
	}
	if strings.Join(words, "") == "formermember" {
		return true
	}
	anyStrong := false
	for _, w := range words {
		strong, weak := wordClass(w)
		if !strong && !weak {
			return false
		}
		anyStrong = anyStrong || strong
	}
	return anyStrong
}

// ValidateDisplayName returns a user-facing message when name (already
// trimmed) is not an acceptable display name: empty or over
// MaxDisplayNameLength characters, with control, invisible or bidi
// characters, or reserved (ReservedName); else "".
func ValidateDisplayName(name string) string {
	if msg := TextProblem(name, SingleLine); msg != "" {
		return msg
	}
	for _, r := range name {
		if Invisible(r) {
			return msgInvisible
		}
	}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "Enter a display name."
	case n > MaxDisplayNameLength:
		return "Use at most 60 characters."
	}
	if ReservedName(name) {
		return msgReserved
	}
	return ""
}

// QueryProblems checks every value of a query string: acceptable
// single-line text (TextProblem) and, when strict (the API), not empty: an
// empty ?limit= or ?sort= is a mistake, not "not given". It returns
// validation_failed naming each bad parameter, or nil.
func QueryProblems(q url.Values, strict bool) error {
	fe := FieldErrors{}
	for name, values := range q {
		field := name
		if msg := TextProblem(name, SingleLine); msg != "" {
			field = "query"
			fe.Add(field, msg)
			continue
		}
		for _, v := range values {
			if msg := TextProblem(v, SingleLine); msg != "" {
				fe.Add(field, msg)
			} else if strict && v == "" {
				fe.Add(field, msgEmptyParam)
			}
		}
	}
	return fe.Err()
}

// FormProblems checks every field of a posted form for bytes no text may
// hold: invalid UTF-8 and NUL. Other control characters are left to the
// Validate method of what the form makes, which names them beside the
// field. It returns validation_failed naming each bad field, or nil.
func FormProblems(form url.Values) error {
	fe := FieldErrors{}
	for name, values := range form {
		field := name
		if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
			fe.Add("form", msgInvalidUTF8)
			continue
		}
		for _, v := range values {
			switch {
			case !utf8.ValidString(v):
				fe.Add(field, msgInvalidUTF8)
			case strings.ContainsRune(v, 0):
				fe.Add(field, msgControl)
			}
		}
	}
	return fe.Err()
}
