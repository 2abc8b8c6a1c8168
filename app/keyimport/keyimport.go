// Package keyimport reads upstream keys from what operators paste or
// upload: JSON arrays of strings or objects, plain text with one key a line,
// or the original project's ollama.txt lines
// (email----password----session----api_key, or with an aid before the key).
// It validates each entry and reports bad lines by number; it never stores
// anything.
package keyimport

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxKeyLen bounds one key; real keys are far shorter.
const MaxKeyLen = 512

// Item is one key read from the input.
type Item struct {
	Line      int // 1-based line (text) or element (JSON) number
	APIKey    string
	Username  string
	ExpiresAt *time.Time
}

// Invalid is one rejected entry.
type Invalid struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Result is what a parse found: keys in input order (duplicates within the
// input removed and counted), rejected entries, and lines skipped as
// comments or blank.
type Result struct {
	Items      []Item
	Invalid    []Invalid
	Duplicates int
	Skipped    int
}

// CheckKey returns why a key is unusable, or "". A key travels in an
// Authorization header, so it must be printable ASCII with no spaces: a
// key with "…" or a control character in it could never be sent, and
// would only fail every request it was picked for.
func CheckKey(key string) string {
	switch {
	case key == "":
		return "empty key"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("key longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "key is not valid UTF-8"
	}
	for _, r := range key {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return "key contains spaces or control characters"
		case r > unicode.MaxASCII:
			return fmt.Sprintf("key contains %q, which is not ASCII: an HTTP header cannot carry it", r)
		}
	}
	return ""
}

// add appends a checked item, or records why it is rejected or a repeat.
func (r *Result) add(it Item, seen map[string]bool) {
	if reason := CheckKey(it.APIKey); reason != "" {
		r.Invalid = append(r.Invalid, Invalid{Line: it.Line, Reason: reason})
		return
	}
	if seen[it.APIKey] {
		r.Duplicates++
		return
	}
	seen[it.APIKey] = true
	r.Items = append(r.Items, it)
}

// Text parses one entry a line: a bare key, or ollama.txt's
// "email----password----session----api_key" (4 fields) or
// "email----password----session----aid----api_key" (5 fields), where the
// email becomes the username. Blank lines and lines starting with # are
// skipped.
func Text(text string) Result {
	r := Result{Invalid: []Invalid{}}
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte order mark from Windows editors
		}
		if line == "" || strings.HasPrefix(line, "#") {
			r.Skipped++
			continue
		}
		it := Item{Line: i + 1}
		fields := strings.Split(line, "----")
		switch len(fields) {
		case 1:
			it.APIKey = line
		case 4, 5:
			it.Username, it.APIKey = accountFields(fields)
		default:
			r.Invalid = append(r.Invalid, Invalid{Line: it.Line,
				Reason: fmt.Sprintf("expected a key or email----password----session----api_key, got %d fields", len(fields))})
			continue
		}
		r.add(it, seen)
	}
	return r
}

// accountFields reads an ollama.txt line split at "----": the username is
// the first field and the key the last, except in a 5-field line whose
// last field is the aid ("aid=…"), where the key is the 4th. (The
// original's txt route always took the 4th field, which in
// email----password----session----aid----api_key is the aid.)
func accountFields(fields []string) (username, key string) {
	username = strings.TrimSpace(fields[0])
	key = strings.TrimSpace(fields[len(fields)-1])
	if len(fields) == 5 && isAid(key) {
		key = strings.TrimSpace(fields[3])
	}
	return username, key
}

// isAid reports whether a field is an aid written as "aid=…" or ";aid=…".
func isAid(field string) bool {
	f := strings.ToLower(strings.TrimPrefix(field, ";"))
	return strings.HasPrefix(f, "aid=")
}

// entry is a key given as an object in JSON.
type entry struct {
	APIKey    string     `json:"api_key"`
	Username  string     `json:"username"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// JSON reads the elements of a "keys" array: strings or objects
// {"api_key","username","expires_at"}.
func JSON(elems []json.RawMessage) Result {
	r := Result{Invalid: []Invalid{}}
	seen := map[string]bool{}
	for i, raw := range elems {
		it := Item{Line: i + 1}
		var e entry
		if err := json.Unmarshal(raw, &it.APIKey); err != nil {
			if err := json.Unmarshal(raw, &e); err != nil || e.APIKey == "" && !hasAPIKey(raw) {
				r.Invalid = append(r.Invalid, Invalid{Line: it.Line, Reason: `not a key string or {"api_key":…} object`})
				continue
			}
			it.APIKey, it.Username, it.ExpiresAt = e.APIKey, e.Username, e.ExpiresAt
		}
		it.APIKey = strings.TrimSpace(it.APIKey)
		r.add(it, seen)
	}
	return r
}

// hasAPIKey reports whether an object names api_key at all (an empty one is
// an empty key, not a shape error).
func hasAPIKey(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m["api_key"]
	return ok
}
