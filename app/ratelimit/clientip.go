package ratelimit

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Proxies are the peers whose forwarding headers are believed
// (TRUSTED_PROXIES, parsed by app/config).
type Proxies []netip.Prefix

// Trusts says whether a peer is one of the proxies.
func (ps Proxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the address a request is limited by: the peer's own, or —
// when the peer is a trusted proxy — CF-Connecting-IP, else the rightmost
// X-Forwarded-For entry that is not itself a trusted proxy (entries left
// of it were written by the client and prove nothing).
func (ps Proxies) ClientIP(peer netip.Addr, xff, cfConnectingIP string) netip.Addr {
	peer = peer.Unmap()
	if !ps.Trusts(peer) {
		return peer
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(cfConnectingIP)); err == nil {
		return a.Unmap()
	}
	for xff != "" {
		i := strings.LastIndexByte(xff, ',')
		entry := strings.TrimSpace(xff[i+1:])
		xff = xff[:max(i, 0)]
		a, err := netip.ParseAddr(entry)
		if err != nil {
			break
		}
		if a = a.Unmap(); !ps.Trusts(a) {
			return a
		}
		peer = a // a proxy further out: keep walking left
	}
	return peer
}

// RequestIP is ClientIP for a Fiber request: its connection's address and
// its forwarding headers.
func (ps Proxies) RequestIP(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	if len(ps) == 0 {
		return peer.Unmap()
	}
	h := &c.Request().Header
	return ps.ClientIP(peer, string(h.Peek("X-Forwarded-For")), string(h.Peek("CF-Connecting-IP")))
}
