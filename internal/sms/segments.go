package sms

import "strings"

// gsmBasic is the GSM 03.38 default alphabet: one septet each.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtended costs two septets each (escape + character).
const gsmExtended = "^{}\\[~]|€\f"

// Segment sizes: a single message, and each part of a concatenated one (the rest is the UDH).
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// Segments is the number of SMS segments text takes. One character outside the GSM 03.38
// alphabet (a curly quote, "á", any CJK or Arabic letter) makes the whole message UCS-2, where
// the limits are 70/67 UTF-16 code units instead of 160/153 septets.
func Segments(text string) int {
	if text == "" {
		return 0
	}
	septets, gsm := 0, true
	units := 0
	for _, r := range text {
		if r > 0xFFFF {
			units += 2
		} else {
			units++
		}
		if !gsm {
			continue
		}
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtended, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return parts(septets, gsmSingle, gsmPart)
	}
	return parts(units, ucs2Single, ucs2Part)
}

// IsGSM reports whether text is sent in the GSM 7-bit alphabet.
func IsGSM(text string) bool {
	for _, r := range text {
		if !strings.ContainsRune(gsmBasic, r) && !strings.ContainsRune(gsmExtended, r) {
			return false
		}
	}
	return true
}

func parts(n, single, part int) int {
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}
