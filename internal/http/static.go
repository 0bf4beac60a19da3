package http

import (
	"bytes"
	"net/http"
	"time"
)

// Static files. Files under web/static are served at
// /static/<hash>/<name>, where hash is the start of the file's SHA-256:
// the template function `static` ("{{static "app.css"}}") gives the URL,
// and responses carry Cache-Control: public, max-age=31536000, immutable.
// A request with an outdated hash (a page from the previous release during
// a deploy) still gets the current file, with a short cache lifetime.

// staticFile is one file of web/static with its fingerprint.
type staticFile struct {
	hash        string
	body        []byte
	contentType string
}

// handleStaticFileShow serves GET /static/{hash}/{name}.
func (s *Server) handleStaticFileShow(w http.ResponseWriter, r *http.Request) error {
	f, ok := s.web.static[r.PathValue("name")]
	if !ok {
		return errNoPage
	}
	if r.PathValue("hash") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=60")
	}
	w.Header().Set("Content-Type", f.contentType)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	return nil
}
