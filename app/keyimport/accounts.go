package keyimport

import (
	"encoding/json"
	"fmt"
	"strings"
)

// account is an object of the original's /admin/import "accounts".
type account struct {
	APIKey   string `json:"api_key"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// Accounts reads the original project's /admin/import "accounts": each a
// line (a bare key, or "----" fields with the username first and the key
// last, at least 4 of them) or an object {"api_key","username"|"email"}.
// Blank lines are skipped.
func Accounts(elems []json.RawMessage) Result {
	r := Result{Invalid: []Invalid{}}
	seen := map[string]bool{}
	for i, raw := range elems {
		it := Item{Line: i + 1}
		var line string
		if err := json.Unmarshal(raw, &line); err == nil {
			line = strings.TrimSpace(line)
			fields := strings.Split(line, "----")
			switch {
			case line == "":
				r.Skipped++
				continue
			case len(fields) == 1:
				it.APIKey = line
			case len(fields) < 4:
				r.Invalid = append(r.Invalid, Invalid{Line: it.Line,
					Reason: fmt.Sprintf("expected a key or email----password----session----api_key, got %d fields", len(fields))})
				continue
			default:
				it.Username, it.APIKey = accountFields(fields)
			}
			r.add(it, seen)
			continue
		}
		var a account
		if err := json.Unmarshal(raw, &a); err != nil || a.APIKey == "" && !hasAPIKey(raw) {
			r.Invalid = append(r.Invalid, Invalid{Line: it.Line, Reason: `not a line or {"api_key":…} object`})
			continue
		}
		it.APIKey, it.Username = strings.TrimSpace(a.APIKey), strings.TrimSpace(a.Username)
		if it.Username == "" {
			it.Username = strings.TrimSpace(a.Email)
		}
		r.add(it, seen)
	}
	return r
}
