package gateway_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// 500 half-open connections trickling their headers do not stop normal
// traffic, and READ_TIMEOUT closes them.
func TestSlowClientsDoNotBlockOthers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"READ_TIMEOUT": "2s"})
	e.importKeys("ollama", "sk-slowloris-0123456789")
	token := e.createToken("ollama")
	addr := strings.TrimPrefix(e.url, "http://")

	slow := make([]net.Conn, 0, 500)
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	for i := 0; i < 500; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		c.Write([]byte("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")) // and never the end of the headers
		slow = append(slow, c)
	}
	start := time.Now()
	for i := 0; i < 20; i++ {
		status, body, _ := e.do("POST", "/v1/chat/completions", token, chatBody(false))
		if status != http.StatusOK {
			t.Fatalf("request %d among slow clients: %d %s", i, status, body)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20 requests took %v with 500 slow clients connected", d)
	}
	// READ_TIMEOUT answers the trickling connections 408 and closes them.
	time.Sleep(2500 * time.Millisecond)
	closed := 0
	buf := make([]byte, 64)
	for _, c := range slow {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := c.Read(buf)
		if strings.HasPrefix(string(buf[:n]), "HTTP/1.1 408") || err != nil && !isTimeout(err) {
			closed++
		}
	}
	if closed < 490 {
		t.Errorf("%d of 500 slow connections closed after READ_TIMEOUT", closed)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
