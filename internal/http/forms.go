package http

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/fpr-team/fpr"
)

// Forms: reading a posted form, the state a form shows after a failed
// post, the form-failure helper every form page uses, and the data of the
// "field" and "errors" partials.

// maxFormBody caps posted forms; the longest field (a review) is 5000
// characters.
const maxFormBody = 64 << 10

// parseForm reads a posted form, refusing bodies over maxFormBody.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fpr.Errorf(fpr.CodePayloadTooLarge, "The form is too large.")
		}
		return fpr.Errorf(fpr.CodeBadRequest, "The form could not be read.")
	}
	// Invalid UTF-8 and NUL can be no field's text: 422 naming the field,
	// before any of it reaches a query.
	return fpr.FormProblems(r.PostForm)
}

// formState is what a form shows after a failed post: a message above the
// form and one message per field, from the service's error.
type formState struct {
	Message string
	Errors  map[string]string
}

// State returns f; templates reach an embedded formState through it.
func (f formState) State() formState { return f }

// formFailure reports whether err is one a form shows to its user (invalid
// input or a conflict) and, if so, its status and form state. Other errors
// go to the page adapter.
func formFailure(err error) (int, formState, bool) {
	switch fpr.ErrorCode(err) {
	case fpr.CodeValidationFailed, fpr.CodeConflict, fpr.CodeRateLimited:
		return errorStatus(err), formState{Message: fpr.ErrorMessage(err), Errors: fpr.ErrorFields(err)}, true
	case fpr.CodeUnauthenticated:
		// A wrong password on a form of a signed-in user (change password).
		var e *fpr.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			return errorStatus(err), formState{Message: e.Message, Errors: e.Fields}, true
		}
	}
	return 0, formState{}, false
}

// formFailed answers a form post the service refused with err. When err
// is one a form shows its user (see formFailure), it builds the form's
// page again with page, lets set put the user's input and the form state
// (a message, errors by field) in place, and renders template name with
// the error's status: 422, 409, or 429 with Retry-After. Any other error
// is returned as it is, for the page adapter. Every form page answers a
// failed post through it.
func formFailed[P any](s *Server, w http.ResponseWriter, r *http.Request, err error, name string, page func() (P, error), set func(P, formState)) error {
	status, st, ok := formFailure(err)
	if !ok {
		return err
	}
	p, perr := page()
	if perr != nil {
		return perr
	}
	set(p, st)
	setRetryAfter(w, err)
	return s.render(w, r, status, name, p)
}

// fieldView is what the "field" partial needs to draw one labelled input.
type fieldView struct {
	ID, Name, Label, Value, Error, Hint string
	Type, Autocomplete                  string
	Required                            bool
	Filter                              bool // a search filter: neither required nor marked optional
	Rows, MaxLength                     int
	Options                             []option
}

// option is one choice of a select or radio group.
type option struct {
	Value, Label string
	Selected     bool
}

// fieldError is one line of a form's error summary.
type fieldError struct {
	ID, Label, Message string
}

// field builds a fieldView: name, label, the current value (string or
// fmt.Stringer-like), the form's error map, then options as "key:value"
// strings: id:, type:, autocomplete:, hint:, rows:, maxlength:, and the
// bare words required and filter (a search filter, which is neither
// required nor marked "optional").
func field(name, label string, value any, errs map[string]string, opts ...string) (fieldView, error) {
	f := fieldView{ID: name, Name: name, Label: label, Type: "text", Error: errs[name]}
	switch v := value.(type) {
	case string:
		f.Value = v
	case int:
		if v != 0 {
			f.Value = strconv.Itoa(v)
		}
	case fmt.Stringer:
		f.Value = v.String()
	case nil:
	default:
		f.Value = fmt.Sprint(v)
	}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, ":")
		switch k {
		case "id":
			f.ID = v
		case "type":
			f.Type = v
		case "autocomplete":
			f.Autocomplete = v
		case "hint":
			f.Hint = v
		case "required":
			f.Required = true
		case "filter":
			f.Filter = true
		case "rows":
			f.Rows, _ = strconv.Atoi(v)
		case "maxlength":
			f.MaxLength, _ = strconv.Atoi(v)
		default:
			return f, fmt.Errorf("field %s: unknown option %q", name, o)
		}
	}
	return f, nil
}

// options builds select options from "value=label" pairs, selecting the
// one equal to current.
func options(current string, pairs ...string) []option {
	out := make([]option, 0, len(pairs))
	for _, p := range pairs {
		v, l, ok := strings.Cut(p, "=")
		if !ok {
			l = v
		}
		out = append(out, option{Value: v, Label: l, Selected: v == current})
	}
	return out
}

// errorSummary is the data of the "errors" partial.
type errorSummary struct {
	ID      string
	Message string
	Fields  []fieldError
}

// summary builds a form's error summary with the given element id: the
// form's message, then its field errors in the order of fields, given as
// "name=Label" pairs, or "name=Label=id" when the input's id differs from
// its name. Errors of fields not listed come last, unlinked.
func summary(id string, st formState, fields ...string) errorSummary {
	out := errorSummary{ID: id, Message: st.Message}
	seen := map[string]bool{}
	for _, f := range fields {
		parts := strings.SplitN(f, "=", 3)
		name, label, fid := parts[0], parts[0], parts[0]
		if len(parts) > 1 {
			label = parts[1]
		}
		if len(parts) > 2 {
			fid = parts[2]
		}
		seen[name] = true
		if msg, ok := st.Errors[name]; ok {
			out.Fields = append(out.Fields, fieldError{ID: fid, Label: label, Message: msg})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.Errors)) {
		if !seen[name] {
			out.Fields = append(out.Fields, fieldError{Label: name, Message: st.Errors[name]})
		}
	}
	return out
}
