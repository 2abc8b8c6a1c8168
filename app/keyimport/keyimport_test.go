package keyimport

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	t.Parallel()
	in := "\ufeffsk-one-0123456789\n" +
		"# a comment\n" +
		"\n" +
		"alice@example.com----pw----sess----sk-two-0123456789\r\n" +
		"bob@example.com----pw----sess----aid123----sk-three-0123456789\n" +
		"sk-one-0123456789\n" +
		"a----b\n" +
		"has space inside\n" +
		"   sk-four-0123456789   \n" +
		strings.Repeat("k", 513) + "\n" +
		"carol@example.com----pw----sess----\n"
	r := Text(in)
	want := []Item{
		{Line: 1, APIKey: "sk-one-0123456789"},
		{Line: 4, APIKey: "sk-two-0123456789", Username: "alice@example.com"},
		{Line: 5, APIKey: "sk-three-0123456789", Username: "bob@example.com"},
		{Line: 9, APIKey: "sk-four-0123456789"},
	}
	if len(r.Items) != len(want) {
		t.Fatalf("items %+v", r.Items)
	}
	for i := range want {
		if r.Items[i].Line != want[i].Line || r.Items[i].APIKey != want[i].APIKey || r.Items[i].Username != want[i].Username {
			t.Errorf("item %d = %+v, want %+v", i, r.Items[i], want[i])
		}
	}
	lines := []int{}
	for _, inv := range r.Invalid {
		lines = append(lines, inv.Line)
	}
	if r.Duplicates != 1 || r.Skipped != 3 || len(lines) != 4 || lines[0] != 7 || lines[1] != 8 || lines[2] != 10 || lines[3] != 11 {
		t.Fatalf("duplicates %d skipped %d invalid %+v", r.Duplicates, r.Skipped, r.Invalid)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var elems []json.RawMessage
	json.Unmarshal([]byte(`["sk-a-0123456789", {"api_key":"sk-b-0123456789","username":"u","expires_at":"2030-01-01T00:00:00Z"},
		"sk-a-0123456789", 42, {"key":"x"}, {"api_key":""}, " ", null]`), &elems)
	r := JSON(elems)
	if len(r.Items) != 2 || r.Items[1].Username != "u" || r.Items[1].ExpiresAt == nil || r.Duplicates != 1 || len(r.Invalid) != 5 {
		t.Fatalf("%+v", r)
	}
	if r.Invalid[0].Line != 4 || r.Invalid[2].Reason != "empty key" {
		t.Fatalf("invalid %+v", r.Invalid)
	}
}

// A key must fit in an Authorization header: printable ASCII, no spaces.
func TestCheckKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, want string // want: a part of the reason; "" for a usable key
	}{
		{"sk-or-v1-0123456789abcdef", ""},
		{"sk-a_b.c~d+e/f=g!#$%&'*^`|", ""},
		{"", "empty"},
		{strings.Repeat("k", MaxKeyLen+1), "longer than 512"},
		{"sk-\xff-invalid", "not valid UTF-8"},
		{"sk-or-v1-…", `'…', which is not ASCII`}, // the README's placeholder
		{"sk-ключ-0123456789", `'к', which is not ASCII`},
		{"sk-zero\u200bwidth", "not ASCII"},
		{"sk-\u00a0nbsp", "spaces or control characters"},
		{"sk-has space", "spaces or control characters"},
		{"sk-tab\there", "spaces or control characters"},
		{"sk-new\nline", "spaces or control characters"},
		{"sk-cr\rlf", "spaces or control characters"},
		{"sk-nul\x00", "spaces or control characters"},
		{"sk-bell\x07", "spaces or control characters"},
		{"sk-del\x7f", "spaces or control characters"},
		{"sk-c1\u0085", "spaces or control characters"},
	}
	for _, tt := range tests {
		got := CheckKey(tt.key)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("CheckKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
		if got == "" && !headerSafe(tt.key) {
			t.Errorf("CheckKey(%q) accepts a key an HTTP header cannot carry", tt.key)
		}
	}
}

// headerSafe is what an Authorization header can carry: visible ASCII.
func headerSafe(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] < '!' || key[i] > '~' {
			return false
		}
	}
	return true
}

// The parsers report an unsendable key by its line, and keep nothing of it.
func TestUnsendableKeysByLine(t *testing.T) {
	t.Parallel()
	text := Text("sk-good-0123456789\nsk-or-v1-…\nsk-ctl-\x01-0123456789\n")
	var elems []json.RawMessage
	json.Unmarshal([]byte(`["sk-good-0123456789", "sk-or-v1-…", {"api_key":"sk-in side"}, "sk-ctl-\u0001"]`), &elems)
	js := JSON(elems)
	for name, tt := range map[string]struct {
		r     Result
		lines []int
	}{"Text": {text, []int{2, 3}}, "JSON": {js, []int{2, 3, 4}}} {
		if len(tt.r.Items) != 1 || tt.r.Items[0].APIKey != "sk-good-0123456789" {
			t.Errorf("%s: items %+v, want only the good key", name, tt.r.Items)
		}
		var lines []int
		for _, inv := range tt.r.Invalid {
			lines = append(lines, inv.Line)
		}
		if fmt.Sprint(lines) != fmt.Sprint(tt.lines) {
			t.Errorf("%s: invalid %+v, want lines %v", name, tt.r.Invalid, tt.lines)
		}
	}
}

// FuzzText: any input parses without panicking; every item is a valid,
// unique key from its own line; every line is accounted for once.
func FuzzText(f *testing.F) {
	f.Add("sk-a\n#c\n\na@b----p----s----sk-b\r\n")
	f.Add("x----y----z----w----v\nsk\tbad\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := Text(in)
		lines := strings.Split(in, "\n")
		if len(r.Items)+len(r.Invalid)+r.Duplicates+r.Skipped != len(lines) {
			t.Fatalf("%d lines, accounted %d+%d+%d+%d", len(lines), len(r.Items), len(r.Invalid), r.Duplicates, r.Skipped)
		}
		seen := map[string]bool{}
		for _, it := range r.Items {
			if CheckKey(it.APIKey) != "" || seen[it.APIKey] || !utf8.ValidString(it.APIKey) || !headerSafe(it.APIKey) {
				t.Fatalf("bad item %+v", it)
			}
			if it.Line < 1 || it.Line > len(lines) || !strings.Contains(lines[it.Line-1], it.APIKey) {
				t.Fatalf("item %+v not from its line", it)
			}
			seen[it.APIKey] = true
		}
	})
}

// FuzzJSON: any "keys" array parses without panicking, into valid items.
func FuzzJSON(f *testing.F) {
	f.Add(`["a",{"api_key":"b"},1,null]`)
	f.Fuzz(func(t *testing.T, in string) {
		var elems []json.RawMessage
		if json.Unmarshal([]byte(in), &elems) != nil {
			return
		}
		r := JSON(elems)
		if len(r.Items)+len(r.Invalid)+r.Duplicates != len(elems) {
			t.Fatalf("%d elements, accounted %d+%d+%d", len(elems), len(r.Items), len(r.Invalid), r.Duplicates)
		}
		for _, it := range r.Items {
			if CheckKey(it.APIKey) != "" || !headerSafe(it.APIKey) {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}
