// Package credential puts a district's route in front of a credential's secret (#19 line 3), so
// a lookup can name the district and, on a database sharded by district (Citus), go to one shard.
//
// A credential is Wrap(route, secret): the route, a small number each district gets when it is
// made (districts.route), written in lower-case base32 (a–z, 2–7, no padding, no leading "a"),
// then the secret unchanged. Secrets of one kind have one fixed length, so whatever precedes them
// is the route: one character for routes 1–31, two up to 1023, and so on. A credential of
// exactly the secret's length has no route (Legacy): it was made before the upgrade and is
// looked up as it was then. The route is not secret — the secret keeps its full entropy and is
// hashed at rest as before; a route only says where to look.
//
// The alphabet is inside both base32 (survey link tokens) and base64url (session cookies, API
// and device tokens), so a wrapped credential is as safe in a URL or a cookie as its secret.
package credential

// Legacy is the route of a credential made before routes existed.
const Legacy = 0

// MaxRouteLen bounds the route part: six characters are 30 bits, far beyond any deployment.
const MaxRouteLen = 6

const alphabet = "abcdefghijklmnopqrstuvwxyz234567"

// Route writes a route (≥ 1) as its prefix; Legacy (or a negative route) writes nothing.
func Route(route int) string {
	if route <= 0 {
		return ""
	}
	var b [MaxRouteLen + 8]byte
	i := len(b)
	for r := route; r > 0; r >>= 5 {
		i--
		b[i] = alphabet[r&31]
	}
	return string(b[i:])
}

// Wrap is the credential of secret in the district of route.
func Wrap(route int, secret string) string { return Route(route) + secret }

// Split takes a credential apart for a secret of secretLen bytes: the route (Legacy when there is
// none) and the secret. ok is false when the credential cannot be one: shorter than a secret, a
// route part longer than MaxRouteLen, or one not written as Route writes it (a leading "a",
// which is zero, or a character outside the alphabet, upper case included — callers lower-case
// what is case-insensitive first). The secret itself is not checked: that is the caller's.
func Split(credential string, secretLen int) (route int, secret string, ok bool) {
	n := len(credential) - secretLen
	if secretLen <= 0 || n < 0 || n > MaxRouteLen {
		return 0, "", false
	}
	prefix := credential[:n]
	if n > 0 && prefix[0] == alphabet[0] {
		return 0, "", false
	}
	for i := 0; i < n; i++ {
		d := digit(prefix[i])
		if d < 0 {
			return 0, "", false
		}
		route = route<<5 | d
	}
	return route, credential[n:], true
}

func digit(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= '2' && c <= '7':
		return int(c-'2') + 26
	}
	return -1
}
