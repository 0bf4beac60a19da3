// Package media turns an uploaded image into the two versions FPR stores:
// it reads the header first and refuses images too large to decode (a
// small file can announce a 20,000 × 20,000 image), decodes JPEG, PNG and
// WebP, scales to fpr.PhotoLargeSize and fpr.PhotoThumbSize with
// Catmull-Rom, and re-encodes. Only pixels survive: EXIF (GPS included),
// XMP, ICC profiles and comments are never copied.
package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder with package image

	"github.com/fpr-team/fpr"
)

// Formats lists the formats Process accepts, as image.DecodeConfig names
// them. GIF, BMP, TIFF and anything else are refused.
var Formats = map[string]bool{"jpeg": true, "png": true, "webp": true}

// JPEGQuality is the quality of re-encoded JPEGs.
const JPEGQuality = 85

// errNotImage is the error of an upload that is not a JPEG, PNG or WebP
// image, whatever its name or declared type says.
func errNotImage() error {
	return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Upload a JPEG, PNG or WebP photo.",
		Fields: map[string]string{"photo": "This file is not a JPEG, PNG or WebP image."}}
}

// decoding bounds how many images are decoded at once: a 40-megapixel
// image takes 160 MB as RGBA, so unbounded concurrent uploads could
// exhaust memory (as unbounded argon2 hashes would).
var decoding = make(chan struct{}, 2)

// Process checks, decodes, scales and re-encodes data, waiting for one of
// the few decoding slots first (unavailable when ctx ends before one is
// free). The dimensions are
// read from the header (image.DecodeConfig) before anything is decoded: an
// image over fpr.MaxPhotoPixels is refused without allocating its pixels.
// validation_failed (field "photo") for anything that is not an accepted
// image, or too large; payload_too_large over fpr.MaxPhotoBytes.
func Process(ctx context.Context, data []byte) (*fpr.PhotoData, error) {
	if len(data) > fpr.MaxPhotoBytes {
		return nil, fpr.Errorf(fpr.CodePayloadTooLarge, "A photo may be at most 8 MB.")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || !Formats[format] {
		return nil, errNotImage()
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > fpr.MaxPhotoPixels {
		return nil, &fpr.Error{Code: fpr.CodeValidationFailed, Message: "This photo has too many pixels.",
			Fields: map[string]string{"photo": fmt.Sprintf("Use a photo of at most %d megapixels.", fpr.MaxPhotoPixels/1_000_000)}}
	}
	select {
	case decoding <- struct{}{}:
		defer func() { <-decoding }()
	case <-ctx.Done():
		return nil, &fpr.Error{Code: fpr.CodeUnavailable, Message: "Too many photos are being processed. Try again in a moment.",
			RetryAfterSeconds: 5}
	}
	img, format2, err := image.Decode(bytes.NewReader(data))
	if err != nil || format2 != format {
		return nil, errNotImage()
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, errNotImage() // the header lied about the pixels
	}
	large := scale(img, fpr.PhotoLargeSize)
	thumb := scale(img, fpr.PhotoThumbSize)
	ct, largeBytes, err := encode(large)
	if err != nil {
		return nil, err
	}
	_, thumbBytes, err := encodeAs(thumb, ct)
	if err != nil {
		return nil, err
	}
	return &fpr.PhotoData{ContentType: ct, Large: largeBytes, Width: large.Bounds().Dx(), Height: large.Bounds().Dy(),
		Thumb: thumbBytes}, nil
}

// scale draws img into a new RGBA image whose longer side is at most
// size, keeping its proportions; a smaller image keeps its size. Drawing
// into a fresh image is what leaves every byte of metadata behind.
func scale(img image.Image, size int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > size || h > size {
		if w >= h {
			h = max(1, h*size/w)
			w = size
		} else {
			w = max(1, w*size/h)
			h = size
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// encode writes img as JPEG when it is opaque (photos), as PNG when it
// has transparency, and returns the content type it wrote.
func encode(img *image.NRGBA) (string, []byte, error) {
	if img.Opaque() {
		return encodeAs(img, "image/jpeg")
	}
	return encodeAs(img, "image/png")
}

func encodeAs(img *image.NRGBA, ct string) (string, []byte, error) {
	var buf bytes.Buffer
	var err error
	if ct == "image/jpeg" {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", ct, err)
	}
	return ct, buf.Bytes(), nil
}
