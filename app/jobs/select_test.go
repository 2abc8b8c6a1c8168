package jobs

import "testing"

func TestJobSelect(t *testing.T) {
	t.Parallel()
	j := NewRegistry(Config{}).Start(KindHealthCheck, "ollama", 6)
	for i, r := range []string{ResultValid, ResultInvalid, ResultValid, ResultUnknown, ResultInvalid, ResultInvalid} {
		j.Add(Line{Line: i + 1, Result: r})
	}
	notValid := func(l Line) bool { return l.Result != ResultValid }
	for _, tt := range []struct {
		max, first, n, more int
	}{{10, 2, 4, 0}, {2, 2, 2, 2}, {0, 0, 0, 4}} {
		sum, lines, more := j.Select(notValid, tt.max)
		if sum.Done != 6 || len(lines) != tt.n || more != tt.more || (tt.n > 0 && lines[0].Line != tt.first) {
			t.Errorf("Select(max %d): done %d, %d lines %v, %d more; want %d lines from line %d, %d more",
				tt.max, sum.Done, len(lines), lines, more, tt.n, tt.first, tt.more)
		}
	}
}
