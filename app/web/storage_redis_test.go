package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/redistest"
)

// Two storages on one Redis see each other's tokens; with Redis gone each
// goes on with what it wrote itself.
func TestRedisStorage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := NewRedisStorage(redistest.Client(t, srv.URL()), "keypool:web:test:", nil)
	b := NewRedisStorage(redistest.Client(t, srv.URL()), "keypool:web:test:", nil)
	if err := a.Set("tok", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get("tok"); err != nil || !bytes.Equal(v, []byte("v1")) {
		t.Fatalf("b.Get = %q, %v; want a's v1", v, err)
	}
	if err := b.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.Get("tok"); v != nil {
		t.Errorf("after Delete: %q", v)
	}
	if err := a.Set("short", []byte("x"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(120 * time.Millisecond)
	if v, _ := b.Get("short"); v != nil {
		t.Errorf("expired token still there: %q", v)
	}

	srv.Stop()
	if err := a.Set("offline", []byte("v2"), time.Minute); err != nil {
		t.Fatalf("Set with Redis down: %v", err)
	}
	if v, err := a.Get("offline"); err != nil || !bytes.Equal(v, []byte("v2")) {
		t.Errorf("a.Get with Redis down = %q, %v; want its own v2", v, err)
	}
	if v, _ := b.Get("offline"); v != nil {
		t.Errorf("b sees a's token written while Redis was down: %q", v)
	}
}
