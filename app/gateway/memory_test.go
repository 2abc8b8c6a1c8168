package gateway

import (
	"runtime"
	"testing"
)

// sink keeps the burst's allocations reachable until the test drops them.
var sink [][]byte

// After a burst leaves 64 MB of garbage, releaseFreeHeap hands the free
// heap back: the resident free heap falls below the threshold. Below the
// threshold it does nothing.
func TestReleaseFreeHeap(t *testing.T) {
	// Not parallel: it measures this process's heap.
	for range 64 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	runtime.GC() // the burst is garbage now, its pages free but resident
	if before := reclaimable(); before < 32<<20 {
		t.Skipf("only %d MB free after the burst: the runtime returned it already", before>>20)
	}
	if !releaseFreeHeap(16 << 20) {
		t.Fatal("releaseFreeHeap did nothing with more than 32 MB free")
	}
	if after := reclaimable(); after > 16<<20 {
		t.Errorf("%d MB of free heap still resident after the release", after>>20)
	}
	if releaseFreeHeap(1 << 40) {
		t.Error("releaseFreeHeap released below its threshold")
	}
}
