package config

import (
	"net/url"
	"strings"
)

// origins reads CORS_ORIGINS: "*" (the default, as the original answered
// every browser) or origins separated by commas or spaces, each
// scheme://host[:port] with no path, "*." allowed before the host for its
// subdomains. They come back lower case, as browsers send them.
func (r *reader) origins(name string) []string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" || v == "*" {
		return []string{"*"}
	}
	var out []string
	for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' }) {
		o, ok := normalizeOrigin(f)
		if !ok {
			r.fail(name, v, `"*" or origins such as https://chat.example.com,http://localhost:3000 (scheme and host, no path)`)
			return []string{"*"}
		}
		out = append(out, o)
	}
	return out
}

// normalizeOrigin checks one origin the way a browser writes it in the
// Origin header, allowing a "*." subdomain wildcard.
func normalizeOrigin(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(s, "/"))
	scheme, host, ok := strings.Cut(s, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return "", false
	}
	check := strings.TrimPrefix(host, "*.")
	u, err := url.Parse(scheme + "://" + check)
	if err != nil || u.Host != check || check == "" || strings.Contains(check, "*") || u.User != nil {
		return "", false
	}
	return scheme + "://" + host, true
}
