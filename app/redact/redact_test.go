package redact

import (
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"sk-or-v1-0123456789abcdef", "sk-or-…cdef"},
		{"abcdefghijklmnopqrst", "abcdef…qrst"},
		{"abcdefgh", "ab…gh"},
		{"abcd", "a…d"},
		{"abc", "…"},
		{"", "…"},
	}
	for _, tt := range tests {
		if got := Key(tt.in); got != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A masked key must never contain the whole key, whatever its length.
func TestKeyNeverRevealsWhole(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 64; n++ {
		s := strings.Repeat("k", n/2) + strings.Repeat("x", n-n/2)
		if n > 0 && strings.Contains(Key(s), s) {
			t.Fatalf("Key of a %d-character key reveals it: %q", n, Key(s))
		}
	}
}

func TestIn(t *testing.T) {
	t.Parallel()
	key := "sk-0123456789abcdefghij"
	got := In("Incorrect API key provided: "+key+".", key)
	if strings.Contains(got, key) || !strings.Contains(got, Key(key)) {
		t.Fatalf("In = %q", got)
	}
	if In("nothing here", key) != "nothing here" {
		t.Fatal("In changed a text without the secret")
	}
}
