package gateway_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request the server cannot parse is answered 400 without the request
// in the answer: fasthttp's parse errors quote what they read, Authorization
// header included, and that text must reach neither the client (nor a
// proxy's log in between) nor the gateway's log.
func TestMalformedRequestNotEchoed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"READ_TIMEOUT": "1s"})
	const secret = "sk-kp-malformed-secret-0123456789"
	auth := "Authorization: Bearer " + secret + "\r\n"
	requests := []struct {
		name, raw string
		status    int
	}{
		{"header without a colon", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + "no colon here\r\nAccept: */*\r\n\r\n", 400},
		{"admin path", "GET /admin/keys HTTP/1.1\r\nHost: x\r\n" + auth + "no colon here\r\nAccept: */*\r\n\r\n", 400},
		{"space in a header name", "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth + "bad header: y\r\n\r\n", 400},
		{"no method", " /v1/models HTTP/1.1\r\n" + auth + "\r\n", 400},
		{"bad content length", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: x" + secret + "\r\n\r\n", 400},
		// fasthttp waits for more after a last line without a colon, and
		// gives up when READ_TIMEOUT ends.
		{"last header without a colon", "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth + "no colon here\r\n\r\n", 408},
	}
	for _, tt := range requests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			answer, err := io.ReadAll(conn) // the server closes after an error
			if err != nil {
				t.Fatalf("read the answer: %v", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(answer)), nil)
			if err != nil {
				t.Fatalf("not an HTTP answer: %v\n%s", err, answer)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, tt.status, answer)
			}
			if bytes.Contains(answer, []byte(secret)) {
				t.Errorf("the answer echoes the request:\n%s", answer)
			}
		})
	}
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("the log holds the caller's token:\n%s", e.logs.String())
		}
	})
}
