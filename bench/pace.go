package main

import (
	"context"
	"time"
)

// pacer hands out tickets at a fixed rate over the whole pass (open loop:
// the rate does not slow down when answers do).
type pacer struct {
	missed int // tickets of the window not taken because every client was busy
}

func (p *pacer) run(ctx context.Context, rate float64, win window, tickets chan<- struct{}) {
	defer close(tickets)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	begin, sent := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !now.Before(win.end) {
				return
			}
			for due := int(rate*now.Sub(begin).Seconds()) - sent; due > 0; due-- {
				sent++
				select {
				case tickets <- struct{}{}:
				default:
					if win.holds(now) {
						p.missed++
					}
				}
			}
		}
	}
}
