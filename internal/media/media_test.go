package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/media"
)

// pngWithSize is a 1×1 PNG whose IHDR (with a correct CRC) announces w×h:
// a decompression bomb's header, a few dozen bytes.
func pngWithSize(t testing.TB, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestProcess_RefusesBombBeforeDecoding(t *testing.T) {
	bomb := pngWithSize(t, 20000, 20000)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(bomb)); err != nil || cfg.Width != 20000 {
		t.Fatalf("the test bomb's header does not read as 20000 px: %v %+v", err, cfg)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := media.Process(t.Context(), bomb)
	runtime.ReadMemStats(&after)
	if fpr.ErrorCode(err) != fpr.CodeValidationFailed || fpr.ErrorFields(err)["photo"] == "" {
		t.Fatalf("Process(20000×20000) = %v, want validation_failed on photo", err)
	}
	// Decoding would allocate 400 MB (gray) to 1.6 GB (RGBA); refusing
	// from the header allocates almost nothing.
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want under 1 MiB", got)
	}
}

func TestProcess(t *testing.T) {
	opaque := image.NewRGBA(image.Rect(0, 0, 3000, 1000))
	for x := range 3000 {
		opaque.Set(x, x%1000, color.RGBA{200, 10, 10, 255})
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, opaque, nil); err != nil {
		t.Fatal(err)
	}
	d, err := media.Process(t.Context(), jpg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d.ContentType != "image/jpeg" || d.Width != 1600 || d.Height != 533 {
		t.Errorf("Process(3000×1000 jpeg) = %s %dx%d, want image/jpeg 1600x533", d.ContentType, d.Width, d.Height)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(d.Thumb))
	if err != nil || format != "jpeg" || cfg.Width != 400 || cfg.Height != 133 {
		t.Errorf("thumb = %v %s %+v, want a 400x133 jpeg", err, format, cfg)
	}

	small := image.NewNRGBA(image.Rect(0, 0, 20, 10)) // transparent
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, small); err != nil {
		t.Fatal(err)
	}
	d, err = media.Process(t.Context(), pngBuf.Bytes())
	if err != nil || d.ContentType != "image/png" || d.Width != 20 || d.Height != 10 {
		t.Errorf("Process(20×10 transparent png) = %+v, %v: want a png kept at 20x10", d, err)
	}

	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello"),
		"html":      []byte("<!doctype html><svg onload=alert(1)>"),
		"truncated": jpg.Bytes()[:200],
		"zero size": pngWithSize(t, 0, 10),
	} {
		if _, err := media.Process(t.Context(), data); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("Process(%s) = %v, want validation_failed", name, err)
		}
	}
	if _, err := media.Process(t.Context(), make([]byte, fpr.MaxPhotoBytes+1)); fpr.ErrorCode(err) != fpr.CodePayloadTooLarge {
		t.Errorf("Process(8 MB + 1) = %v, want payload_too_large", err)
	}
}

// FuzzProcess: no input panics, and whatever is accepted is a decodable
// image within the size bounds.
func FuzzProcess(f *testing.F) {
	f.Add(pngWithSize(f, 20000, 20000))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := media.Process(context.Background(), data)
		if err != nil {
			return
		}
		if _, _, err := image.DecodeConfig(bytes.NewReader(d.Large)); err != nil || d.Width > fpr.PhotoLargeSize || d.Height > fpr.PhotoLargeSize {
			t.Errorf("accepted %d bytes into %dx%d (%v)", len(data), d.Width, d.Height, err)
		}
	})
}
