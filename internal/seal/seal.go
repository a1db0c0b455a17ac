// Package seal encrypts small secrets that must wait in the database for a while, such as the
// link token of a queued text or email: AES-256-GCM with a key the database never holds, bound to
// the row it belongs to, so a reader of the database, a backup or its WAL learns nothing usable.
// An outbox seals when it queues and opens just before it sends.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version 1 is: version byte, 4-byte key id, 12-byte nonce, ciphertext with its 16-byte tag.
const (
	version = 1
	idLen   = 4
)

// ErrOpen means a sealed value cannot be opened: sealed with another key (rotated, or a
// per-process key of another instance), for another row, or altered.
var ErrOpen = errors.New("seal: cannot open (other key, other row, or altered)")

// Sealer seals and opens with one key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	id   [idLen]byte
}

// New makes a sealer from a KeySize-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	s := &Sealer{aead: aead}
	// The key id tells "sealed with another key" from "altered" in logs; it reveals nothing
	// about the key (a truncated hash of a 256-bit random value).
	sum := sha256.Sum256(append([]byte("trustpulse seal key id "), key...))
	copy(s.id[:], sum[:idLen])
	return s, nil
}

// Random makes a sealer with a fresh random key that lives only in this process: what a server
// uses when no key is configured. Whatever it seals cannot be opened after a restart or by
// another instance, so callers must have a way to do without (an outbox mints a fresh link).
func Random() *Sealer {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	s, err := New(key)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseKey reads a key as configured: 64 hex digits or base64 (standard or URL alphabet, with or
// without padding) of 32 bytes.
func ParseKey(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if len(v) == 2*KeySize {
		if b, err := hex.DecodeString(v); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key must be %d bytes, got %d (make one with: openssl rand -base64 32)", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("the key must be 64 hex digits or base64 of %d bytes (make one with: openssl rand -base64 32)", KeySize)
}

// Seal encrypts plain, bound to context (e.g. "sms:<district>:<invitation>"): the sealed value
// opens only with the same context, so it cannot be moved to another row.
func (s *Sealer) Seal(plain []byte, context string) []byte {
	out := make([]byte, 1+idLen+s.aead.NonceSize(), 1+idLen+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = version
	copy(out[1:], s.id[:])
	nonce := out[1+idLen:]
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	return s.aead.Seal(out, nonce, plain, []byte(context))
}

// Open decrypts what Seal made with the same key and context; anything else is ErrOpen.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	head := 1 + idLen + s.aead.NonceSize()
	if len(sealed) < head+s.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	if string(sealed[1:1+idLen]) != string(s.id[:]) {
		return nil, fmt.Errorf("%w: sealed with another key", ErrOpen)
	}
	plain, err := s.aead.Open(nil, sealed[1+idLen:head], sealed[head:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
