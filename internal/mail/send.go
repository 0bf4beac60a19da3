// Package mail delivers FPR's mail: it renders the outbox's mails from
// the templates in web/templates/mail (a plain-text and an HTML part), and
// a Worker claims due mails from the outbox (store.DB.ClaimMail), sends
// them over SMTP (or to the log, in development) and records the outcome,
// retrying with backoff. internal/app starts and stops the worker.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is a rendered mail, ready to send.
type Message struct {
	// ID is the outbox ID; it makes the Message-ID, so a mail sent twice
	// (a worker that died after sending, before recording it) can be
	// recognised as one by the receiver.
	ID      string
	To      string
	Subject string
	Text    string
	HTML    string
	// Unsubscribe is the one-click unsubscribe URL of a notification, ""
	// for other mail.
	Unsubscribe string
}

// Sender delivers one message. SMTP and Log are the two.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// SMTP sends mail through an SMTP server.
type SMTP struct {
	// Host and Port of the server.
	Host string
	Port int
	// ImplicitTLS is smtps:// (TLS from the first byte); otherwise
	// STARTTLS is used when the server offers it.
	ImplicitTLS bool
	// Username and Password, when Username is not "", authenticate.
	Username, Password string
	// From is the sender address.
	From string
	// Timeout bounds each send: connect, TLS, every command.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default (tests trust their own CA).
	TLSConfig *tls.Config
	// HELO is the name given in HELO/EHLO; "" picks the host name.
	HELO string
}

// ParseSMTPURL returns an SMTP sender for u: smtp://user:pass@host:port
// (STARTTLS when offered; port 587 by default) or smtps://… (implicit TLS;
// 465 by default), sending as from with a deadline of timeout per mail.
func ParseSMTPURL(u, from string, timeout time.Duration) (*SMTP, error) {
	p, err := url.Parse(u)
	if err != nil {
		return nil, errors.New("FPR_SMTP_URL: not a URL")
	}
	s := &SMTP{Host: p.Hostname(), From: from, Timeout: timeout}
	switch p.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return nil, errors.New("FPR_SMTP_URL: want smtp://user:pass@host:port or smtps://…")
	}
	if s.Host == "" {
		return nil, errors.New("FPR_SMTP_URL: no host")
	}
	if ps := p.Port(); ps != "" {
		if s.Port, err = strconv.Atoi(ps); err != nil || s.Port < 1 || s.Port > 65535 {
			return nil, errors.New("FPR_SMTP_URL: bad port")
		}
	}
	if p.User != nil {
		s.Username = p.User.Username()
		s.Password, _ = p.User.Password()
	}
	return s, nil
}

// Send implements Sender: one connection per mail, within Timeout.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := buildMsg(s.From, m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(s.Timeout)}
	if s.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.TLSConfig))
	}
	if s.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.HELO))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send to %s:%d: %w", s.Host, s.Port, err)
	}
	return nil
}

// buildMsg makes the MIME message of m: multipart/alternative with the
// plain-text and HTML parts, a Message-ID from the outbox ID, and for
// notifications List-Unsubscribe with List-Unsubscribe-Post (RFC 8058).
func buildMsg(from string, m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail from %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@fpr")
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	if m.Unsubscribe != "" {
		if strings.HasPrefix(m.Unsubscribe, "https://") {
			if err := msg.SetListUnsubscribeOneClick(m.Unsubscribe); err != nil {
				return nil, err
			}
		} else {
			// Only a development site runs over http (`fpr check
			// --deploy` wants an https FPR_BASE_URL); its mails carry
			// the same headers so they can be tried locally.
			msg.SetListUnsubscribe(m.Unsubscribe)
			msg.SetListUnsubscribePost()
		}
	}
	return msg, nil
}

// Log "sends" mail by writing it to the log, for development without an
// SMTP server: the links in the text part can be followed from there.
type Log struct {
	Log *slog.Logger
}

// Send implements Sender.
func (l Log) Send(ctx context.Context, m *Message) error {
	l.Log.InfoContext(ctx, "mail (not sent: FPR_SMTP_URL is not set)",
		"mail_id", m.ID, "to", m.To, "subject", m.Subject, "unsubscribe", m.Unsubscribe, "text", m.Text)
	return nil
}
