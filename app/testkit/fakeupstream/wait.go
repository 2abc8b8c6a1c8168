package fakeupstream

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds request bodies; larger ones are answered 413.
const maxBody = 32 << 20

// sleep waits d and reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// readBody reads the whole body in one allocation when its length is
// known. Reading to the end also lets net/http watch the connection, so
// r.Context() ends when the client leaves.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, &http.MaxBytesError{Limit: maxBody}
	}
	if r.ContentLength >= 0 {
		b := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, b)
		return b, err
	}
	return io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
}

// bearerKey returns the key of an "Authorization: Bearer <key>" header, or
// "" when there is none.
func bearerKey(auth string) string {
	const prefix = "Bearer "
	if len(auth) < len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(auth[len(prefix):])
}
