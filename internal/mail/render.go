package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/fpr-team/fpr"
)

// Renderer turns outbox mails into messages from the templates of each
// kind: templates/mail/KIND.txt (text/template) defines "subject" and
// "text"; templates/mail/KIND.html (html/template, so every value is
// escaped for HTML) defines "content", drawn inside _layout.html.
type Renderer struct {
	// BaseURL is the site's public URL; links in mails start with it.
	BaseURL string
	text    map[fpr.MailKind]*texttemplate.Template
	html    map[fpr.MailKind]*htmltemplate.Template
}

// templateData is what the templates of a mail see.
type templateData struct {
	BaseURL string
	To      string
	// Data is the mail's data (fpr.Mail.Data): tokens, names, IDs.
	Data map[string]string
	// Unsubscribe is a notification's one-click unsubscribe URL, else "".
	Unsubscribe string
}

// NewRenderer parses the mail templates under templates/mail in fsys (web.FS)
// for every fpr.MailKinds entry; a missing or broken template is an error.
func NewRenderer(fsys fs.FS, baseURL string) (*Renderer, error) {
	r := &Renderer{BaseURL: strings.TrimRight(baseURL, "/"),
		text: map[fpr.MailKind]*texttemplate.Template{}, html: map[fpr.MailKind]*htmltemplate.Template{}}
	funcs := map[string]any{"link": r.link}
	layout, err := htmltemplate.New("_layout.html").Funcs(funcs).ParseFS(fsys, "templates/mail/_layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	for _, k := range fpr.MailKinds {
		t, err := texttemplate.New(string(k)+".txt").Funcs(funcs).ParseFS(fsys, "templates/mail/"+string(k)+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail templates: %w", err)
		}
		if t.Lookup("subject") == nil || t.Lookup("text") == nil {
			return nil, fmt.Errorf("mail templates: %s.txt must define subject and text", k)
		}
		r.text[k] = t
		h, err := htmltemplate.Must(layout.Clone()).ParseFS(fsys, "templates/mail/"+string(k)+".html")
		if err != nil {
			return nil, fmt.Errorf("mail templates: %w", err)
		}
		if h.Lookup("content") == nil {
			return nil, fmt.Errorf("mail templates: %s.html must define content", k)
		}
		r.html[k] = h
	}
	return r, nil
}

// link returns BaseURL+path with the query key=value pairs.
func (r *Renderer) link(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u := r.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// Render makes the message of m.
func (r *Renderer) Render(m *fpr.Mail) (*Message, error) {
	t, ok := r.text[m.Kind]
	if !ok {
		return nil, fmt.Errorf("render mail %s: no templates for kind %q", m.ID, m.Kind)
	}
	d := templateData{BaseURL: r.BaseURL, To: m.To, Data: m.Data}
	if _, ok := fpr.MailTopic(m.Kind); ok && m.Data["unsubscribe_token"] != "" {
		d.Unsubscribe = r.link("/unsubscribe", "token", m.Data["unsubscribe_token"])
	}
	var subject, text, html bytes.Buffer
	if err := t.ExecuteTemplate(&subject, "subject", d); err != nil {
		return nil, fmt.Errorf("render mail %s subject: %w", m.ID, err)
	}
	if err := t.ExecuteTemplate(&text, "text", d); err != nil {
		return nil, fmt.Errorf("render mail %s text: %w", m.ID, err)
	}
	if err := r.html[m.Kind].ExecuteTemplate(&html, "_layout.html", d); err != nil {
		return nil, fmt.Errorf("render mail %s html: %w", m.ID, err)
	}
	return &Message{
		ID: m.ID, To: m.To,
		// A subject is one header line: names in it cannot add another.
		Subject:     strings.Join(strings.Fields(subject.String()), " "),
		Text:        strings.TrimSpace(text.String()) + "\n",
		HTML:        html.String(),
		Unsubscribe: d.Unsubscribe,
	}, nil
}
