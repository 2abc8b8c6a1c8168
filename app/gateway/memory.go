package gateway

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory release: Go gives memory back to the operating system only
// gradually (a background scavenger, and a GC forced every two minutes when
// nothing allocates), so after a burst of thousands of requests hundreds of
// megabytes stayed resident for minutes. Once the gateway is idle, it
// returns what its heap holds free.
const (
	releaseEvery = 10 * time.Second
	// Free resident heap worth a GC cycle to return. At 16 MB, up to
	// 16 MB stayed resident after every burst; a GC of the idle heap
	// (about 5 MB live) costs a few milliseconds.
	releaseAbove = 4 << 20
)

// releaseMemory checks every releaseEvery until ctx ends: when no client
// request came since the last check, none is streaming, and more than
// releaseAbove bytes of heap are free, FreeOSMemory returns them (one GC
// cycle, at a moment when it delays no request).
func (g *Gateway) releaseMemory(ctx context.Context) {
	t := time.NewTicker(releaseEvery)
	defer t.Stop()
	last := g.running.served.Load()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		served := g.running.served.Load()
		idle := served == last && g.proxy.Streams() == 0
		last = served
		if idle {
			releaseFreeHeap(releaseAbove)
		}
	}
}

// releaseFreeHeap returns free heap memory to the operating system when
// more than above bytes of it are resident, and reports whether it did.
// Stack memory counts too: the stacks of goroutines that ended (an idle
// upstream connection's two loops, a client connection's worker) go back
// to the heap only at the next GC, which FreeOSMemory runs first.
func releaseFreeHeap(above uint64) bool {
	if reclaimable() <= above {
		return false
	}
	debug.FreeOSMemory()
	return true
}

// reclaimable is the resident heap memory free now or once a GC has
// collected the stacks of ended goroutines.
func reclaimable() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			n += v.Value.Uint64()
		}
	}
	return n
}
