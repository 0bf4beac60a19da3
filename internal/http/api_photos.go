package http

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/media"
)

// Photos: uploads (multipart, field "photo") for reviews, products and
// farms, deletion, and the /media routes that serve the stored versions.

// photoURL is where a photo's large version (or thumbnail) is served.
func photoURL(id string, thumb bool) string {
	size := "large"
	if thumb {
		size = "thumb"
	}
	return "/media/" + url.PathEscape(id) + "/" + size
}

// maxPhotoForm caps a photo upload's request body: the photo and a little
// for the multipart framing and the form's other fields.
const maxPhotoForm = fpr.MaxPhotoBytes + 64<<10

// readPhoto reads the multipart field "photo" of r, at most
// fpr.MaxPhotoBytes, and processes it (media.Process). Other fields are
// returned in fields. bad_request when the body is not multipart or has no
// photo; payload_too_large over the limit; validation_failed when it is
// not an accepted image.
func (s *Server) readPhoto(w http.ResponseWriter, r *http.Request) (*fpr.PhotoData, url.Values, error) {
	// Both deadlines count from the request's start; an upload may take
	// longer than a form. Where the writer cannot move them (a test's
	// recorder), the server's stand.
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(orDefault(s.UploadTimeout, DefaultUploadTimeout))
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
	r.Body = http.MaxBytesReader(w, r.Body, maxPhotoForm)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, fpr.Errorf(fpr.CodeBadRequest, "Send the photo as multipart/form-data in the field photo.")
	}
	fields := url.Values{}
	var data []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, multipartError(err)
		}
		if part.FormName() == "photo" && data == nil {
			data, err = io.ReadAll(io.LimitReader(part, fpr.MaxPhotoBytes+1))
			if err != nil {
				return nil, nil, multipartError(err)
			}
			if len(data) > fpr.MaxPhotoBytes {
				return nil, nil, fpr.Errorf(fpr.CodePayloadTooLarge, "A photo may be at most 8 MB.")
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 4<<10))
		if err != nil {
			return nil, nil, multipartError(err)
		}
		fields.Add(part.FormName(), string(v))
	}
	if len(data) == 0 {
		return nil, fields, &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Choose a photo to upload.",
			Fields: map[string]string{"photo": "Choose a JPEG, PNG or WebP photo."}}
	}
	d, err := media.Process(r.Context(), data)
	return d, fields, err
}

// photoStoreContext is the context of the store call that follows an
// upload: decoding and scaling a photo is CPU work that may use up the
// request's database deadline (withRequestID), so the store call gets a
// deadline of its own, as long as a request's.
func (s *Server) photoStoreContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), s.requestTimeout())
}

func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fpr.Errorf(fpr.CodePayloadTooLarge, "A photo may be at most 8 MB.")
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return fpr.Errorf(fpr.CodePayloadTooLarge, "The form is too large.")
	}
	return fpr.Errorf(fpr.CodeBadRequest, "The upload could not be read.")
}

type apiPhotoEnvelope struct {
	Photo apiPhotoJSON `json:"photo"`
}

// handleAPIReviewPhotoCreate handles POST /api/v1/reviews/{id}/photos
// (multipart, field photo): the author adds a photo to their review.
func (s *Server) handleAPIReviewPhotoCreate(w http.ResponseWriter, r *http.Request) error {
	return s.apiPhotoUpload(w, r, http.StatusCreated, fpr.PhotoOwner{ReviewID: r.PathValue("id")})
}

// handleAPIProductPhotoSet handles PUT /api/v1/products/{id}/photo
// (multipart, field photo): the farm's producer sets the product's photo.
func (s *Server) handleAPIProductPhotoSet(w http.ResponseWriter, r *http.Request) error {
	return s.apiPhotoUpload(w, r, http.StatusOK, fpr.PhotoOwner{ProductID: r.PathValue("id")})
}

// handleAPIFarmPhotoSet handles PUT /api/v1/farms/{id}/photo (multipart,
// field photo): the farm's producer sets its photo.
func (s *Server) handleAPIFarmPhotoSet(w http.ResponseWriter, r *http.Request) error {
	return s.apiPhotoUpload(w, r, http.StatusOK, fpr.PhotoOwner{FarmID: r.PathValue("id")})
}

func (s *Server) apiPhotoUpload(w http.ResponseWriter, r *http.Request, status int, o fpr.PhotoOwner) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	d, _, err := s.readPhoto(w, r)
	if err != nil {
		return err
	}
	ctx, cancel := s.photoStoreContext(r)
	defer cancel()
	p, err := s.Photos.AddPhoto(ctx, o, d)
	if err != nil {
		return err
	}
	writeJSON(w, status, apiPhotoEnvelope{Photo: apiPhoto(p)})
	return nil
}

// handleAPIPhotoDelete handles DELETE /api/v1/photos/{id}: by the review's
// author or a moderator, or the farm's producer for a product's or farm's.
func (s *Server) handleAPIPhotoDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := s.Photos.DeletePhoto(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMediaShow handles GET /media/{id}/{size}: a photo's large version
// or thumbnail. A photo's bytes never change (a new upload is a new ID), so
// they are cached for a year as immutable; the type is the one the encoder
// wrote, and nosniff stops a browser from guessing another.
func (s *Server) handleMediaShow(w http.ResponseWriter, r *http.Request) error {
	size := r.PathValue("size")
	if size != "large" && size != "thumb" {
		return fpr.Errorf(fpr.CodeNotFound, "There is no such photo.")
	}
	ct, data, err := s.Photos.FindPhotoData(r.Context(), r.PathValue("id"), size == "thumb")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	// The client may have gone; there is nothing to do about it.
	_, _ = w.Write(data) //nolint:gosec // G705: our own re-encoded image, with its encoder's type, nosniff and a sandbox CSP

	return nil
}
