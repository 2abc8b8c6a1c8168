// Package respcache is the response cache: whole upstream answers to
// repeated non-stream chat requests, kept for CACHE_TTL in memory (an LRU
// bounded in bytes) or in Redis (shared by every instance).
//
// Get and Set never fail a request: a cache that cannot answer is a miss.
package respcache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
)

// Cache is a response cache whose figures and contents are scoped per
// provider. Clearing goes through Clear only, so that an instance can be
// told to clear its cache by another.
type Cache interface {
	// Get returns the answer kept under key and counts a hit or a miss.
	Get(ctx context.Context, key Key) (Entry, bool)
	// Set keeps an answer for the cache's TTL.
	Set(ctx context.Context, key Key, e Entry)
	// Stats reports a provider's entries, bytes, hits and misses.
	Stats(ctx context.Context, provider string) (Stats, error)
	// Clear removes a provider's entries and reports how many it removed.
	Clear(ctx context.Context, provider string) (int, error)
}

// Key names one cached answer: its provider, and a SHA-256 of the
// upstream route, the model and the exact bytes of the request body.
type Key struct {
	Provider string
	Sum      [sha256.Size]byte
}

// NewKey returns the key of a request. route is the upstream URL the
// request goes to, so that one body sent to two APIs (OpenAI-compatible
// and Ollama's native chat) is two entries.
func NewKey(provider, route, model string, body []byte) Key {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, s := range [...]string{provider, route, model} {
		h.Write(binary.AppendUvarint(n[:0], uint64(len(s)))) // length-prefixed: no two splits hash alike
		io.WriteString(h, s)
	}
	h.Write(body)
	k := Key{Provider: provider}
	h.Sum(k.Sum[:0])
	return k
}

// Entry is one cached answer: a 200's Content-Type and body. Its Body is
// shared by every hit and must not be modified.
type Entry struct {
	ContentType string
	Body        []byte
}

// size is what an entry counts for in Stats.Bytes and CACHE_MAX_BYTES:
// its content type, a separator and its body, as Redis stores it.
func (e Entry) size() int64 { return int64(len(e.ContentType) + 1 + len(e.Body)) }

// Stats are one provider's figures.
type Stats struct {
	Entries int64 // answers kept
	Bytes   int64 // their size (content types and bodies)
	Hits    int64 // lookups answered from the cache
	Misses  int64 // lookups that found nothing
}
