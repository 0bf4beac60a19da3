package http

import (
	"testing"
)

// BenchmarkQRDataURL is the cost the setup page adds: drawing the QR code
// of an otpauth:// URL as a 240×240 PNG data URL.
func BenchmarkQRDataURL(b *testing.B) {
	const u = "otpauth://totp/FPR:ann@example.org?algorithm=SHA1&digits=6&issuer=FPR&period=30&secret=EIRASDRATYGVPYOCFRY6Y32CHNXRIBNA"
	for b.Loop() {
		if _, err := qrDataURL(u); err != nil {
			b.Fatal(err)
		}
	}
}
