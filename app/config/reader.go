package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // DISPLAY_TIMEZONE resolves in images without /usr/share/zoneinfo
)

// reader parses typed values and keeps the first error, naming the variable.
type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, value, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("config: %s=%q: want %s", name, value, want)
	}
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// oneOf reads one of the allowed words, in any case, as lower case.
func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(strings.TrimSpace(r.getenv(name)))
	if v == "" {
		return def
	}
	if slices.Contains(allowed, v) {
		return v
	}
	last := len(allowed) - 1
	r.fail(name, v, strings.Join(allowed[:last], ", ")+" or "+allowed[last])
	return def
}

// location reads an IANA time zone name (Asia/Shanghai, UTC).
func (r *reader) location(name string, def *time.Location) *time.Location {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		r.fail(name, v, "an IANA time zone name such as UTC or Asia/Shanghai")
		return def
	}
	return loc
}

func (r *reader) boolean(name string, def bool) bool {
	v := strings.ToLower(strings.TrimSpace(r.getenv(name)))
	switch v {
	case "":
		return def
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	r.fail(name, v, "true/false/1/0")
	return def
}

func (r *reader) integer(name string, def, min, max int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.fail(name, v, fmt.Sprintf("an integer in [%d, %d]", min, max))
		return def
	}
	return n
}

// duration accepts Go durations ("2s", "1h") and plain integers as seconds,
// as the original project wrote RATE_LIMIT_WINDOW = "60".
func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.fail(name, v, "a duration such as 30s or 1h, or whole seconds")
		return def
	}
	return d
}

// durationAtLeast reads a duration that must be at least min.
func (r *reader) durationAtLeast(name string, def, min time.Duration) time.Duration {
	d := r.duration(name, def)
	if d < min {
		r.fail(name, r.getenv(name), "a duration of at least "+min.String())
		return def
	}
	return d
}

// proxies reads a list of CIDRs and IPs separated by commas or spaces; an
// IP is a prefix of its full length.
func (r *reader) proxies(name string) []netip.Prefix {
	v := strings.TrimSpace(r.getenv(name))
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if a, aerr := netip.ParseAddr(f); aerr == nil {
			a = a.Unmap()
			p, err = netip.PrefixFrom(a, a.BitLen()), nil
		}
		if err != nil {
			r.fail(name, v, "CIDRs or IPs separated by commas, such as 10.0.0.0/8,127.0.0.1")
			return nil
		}
		out = append(out, p.Masked())
	}
	return out
}
