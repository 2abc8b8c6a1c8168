package web

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestWebASCIIJSON(t *testing.T) {
	for _, msg := range []string{"plain", "Key sk-abc…1234 disabled.", "Token “a” 😀 deleted."} {
		b, _ := json.Marshal(map[string]string{"message": msg})
		got := asciiJSON(b)
		var back map[string]string
		for i := 0; i < len(got); i++ {
			if got[i] >= utf8.RuneSelf {
				t.Fatalf("asciiJSON(%s) = %s: not ASCII", b, got)
			}
		}
		if err := json.Unmarshal([]byte(got), &back); err != nil || back["message"] != msg {
			t.Errorf("asciiJSON(%s) = %s, reads back as %q (%v)", b, got, back["message"], err)
		}
	}
}

func TestWebFormatBytes(t *testing.T) {
	for n, want := range map[int]string{512: "512 bytes", 64 << 10: "64 KiB", 32 << 20: "32 MiB", 3 << 29: "1.5 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
