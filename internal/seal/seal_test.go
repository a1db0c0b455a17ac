package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
)

func TestSealOpens(t *testing.T) {
	s := Random()
	sealed := s.Seal([]byte("abcdefghijklmnopqrstuvwxyz234567"), "sms:1:2")
	if bytes.Contains(sealed, []byte("abcdef")) {
		t.Fatal("sealed value holds the plain text")
	}
	got, err := s.Open(sealed, "sms:1:2")
	if err != nil || string(got) != "abcdefghijklmnopqrstuvwxyz234567" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if again := s.Seal([]byte("abcdefghijklmnopqrstuvwxyz234567"), "sms:1:2"); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
}

func TestOpenRefuses(t *testing.T) {
	s, other := Random(), Random()
	sealed := s.Seal([]byte("token"), "sms:1:2")
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, c := range map[string]struct {
		s       *Sealer
		v       []byte
		context string
	}{
		"other row":   {s, sealed, "sms:1:3"},
		"other key":   {other, sealed, "sms:1:2"},
		"altered":     {s, tampered, "sms:1:2"},
		"truncated":   {s, sealed[:10], "sms:1:2"},
		"empty":       {s, nil, "sms:1:2"},
		"bad version": {s, append([]byte{9}, sealed[1:]...), "sms:1:2"},
	} {
		if _, err := c.s.Open(c.v, c.context); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	for _, v := range []string{hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key) + "\n"} {
		got, err := ParseKey(v)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v", v, got, err)
		}
	}
	for _, v := range []string{"", "short", base64.StdEncoding.EncodeToString(key[:16])} {
		if _, err := ParseKey(v); err == nil {
			t.Errorf("ParseKey(%q) accepted", v)
		}
	}
}
