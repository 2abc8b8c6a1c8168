// Package redact masks secrets (upstream keys, client tokens) for logs,
// errors and admin pages. Public pages show no secret at all, masked or not.
package redact

import "strings"

// Key masks a secret: the first 6 and last 4 characters of a long one,
// and at most a quarter of a short one at each end, so that a masked key
// never reveals the whole key.
func Key(s string) string {
	n := len(s)
	switch {
	case n >= 20:
		return s[:6] + "…" + s[n-4:]
	case n >= 4:
		q := n / 4
		return s[:q] + "…" + s[n-q:]
	}
	return "…"
}

// In replaces every occurrence of secret in text by its masked form.
func In(text, secret string) string {
	if secret == "" || !strings.Contains(text, secret) {
		return text
	}
	return strings.ReplaceAll(text, secret, Key(secret))
}
