package web

import (
	"math"
	"strconv"
	"time"
)

// formatInt writes n with thousands separators: 1234567 → "1,234,567".
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// formatCompact writes large counts short: 1234 → "1.2k", 5600000 → "5.6M".
func formatCompact(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if f >= u.div {
			return strconv.FormatFloat(f/u.div, 'f', 1, 64) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatPercent writes a rate in percent; "–" when there is nothing to rate.
func formatPercent(rate float64, total int64) string {
	if total == 0 {
		return "–"
	}
	return strconv.FormatFloat(rate, 'f', 1, 64) + " %"
}

// formatAgo writes how long ago t was, coarsely; "never" for nil.
func formatAgo(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	d := now.Sub(*t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
}

// formatLeft writes how long until t, coarsely: "12 min", "3 h", "2 days".
func formatLeft(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h " + strconv.Itoa(int(d%time.Hour/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days"
}

// formatBytes writes a size in binary units: "512 bytes", "32 MiB".
func formatBytes(n int) string {
	f := float64(n)
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1 << 30, " GiB"}, {1 << 20, " MiB"}, {1 << 10, " KiB"}} {
		if f >= u.div {
			return strconv.FormatFloat(math.Round(f/u.div*10)/10, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.Itoa(n) + " bytes"
}
