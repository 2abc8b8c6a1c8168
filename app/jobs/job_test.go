package jobs

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestJobProgress(t *testing.T) {
	t.Parallel()
	r := NewRegistry(Config{})
	j := r.Start(KindImportValidation, "ollama", 4)
	lines := []Line{
		{Line: 1, Key: "sk-valid-0123456789abcdef", Result: ResultValid, Action: "stored"},
		{Line: 2, Key: "sk-bad-0123456789abcdef", Result: ResultInvalid, Reason: "401 unauthorized"},
		{Line: 3, Key: "sk-unsure-0123456789abcdef", Result: ResultUnknown, Reason: "upstream error 503"},
		{Line: 4, Result: ResultInvalid, Reason: "empty key"},
	}
	for _, l := range lines {
		j.Add(l)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"state", j.Summary().State, Running},
		{"counts", fmt.Sprint(j.Summary().Done, j.Summary().Valid, j.Summary().Invalid, j.Summary().Unknown), "4 1 2 1"},
		{"masked key", j.Snapshot(0).Results[0].Key, "sk-val…cdef"},
		{"no key", j.Snapshot(0).Results[3].Key, ""},
		{"since", len(j.Snapshot(2).Results), 2},
		{"since past the end", len(j.Snapshot(99).Results), 0},
		{"since negative", len(j.Snapshot(-1).Results), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	j.Finish(map[string]int{"imported": 1}, nil)
	j.Finish(nil, errors.New("too late")) // ignored
	s := j.Summary()
	if s.State != Done || s.FinishedAt == nil || s.Error != "" || s.Report == nil {
		t.Errorf("finished: %+v", s)
	}
	select {
	case <-j.Finished():
	default:
		t.Error("Finished not closed")
	}
	if got, ok := r.Get(j.ID()); !ok || got != j {
		t.Error("Get does not find the job")
	}
	f := r.Start(KindHealthCheck, "openrouter", 0)
	f.Finish(nil, errors.New("store: down"))
	if s := f.Summary(); s.State != Failed || s.Error != "store: down" {
		t.Errorf("failed job: %+v", s)
	}
	if strings.Contains(fmt.Sprint(j.Snapshot(0)), "0123456789") {
		t.Error("snapshot holds a plaintext key")
	}
}

func TestSubscribers(t *testing.T) {
	t.Parallel()
	j := NewRegistry(Config{}).Start(KindHealthCheck, "ollama", 600)
	j.Add(Line{Line: 1, Result: ResultValid})
	early := j.Subscribe()
	gone := j.Subscribe()
	gone.Close()

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 2; i <= 600; i++ {
			j.Add(Line{Line: i, Result: ResultValid})
		}
		j.Finish(nil, nil)
	})
	lines, events, done := 0, 0, 0
	for done == 0 {
		ev, ok := early.Next()
		if !ok {
			select {
			case <-early.C:
			case <-time.After(5 * time.Second):
				t.Fatal("no signal")
			}
			continue
		}
		events++
		if len(ev.Lines) > maxLinesPerEvent {
			t.Fatalf("event with %d lines", len(ev.Lines))
		}
		for k, l := range ev.Lines {
			if l.Line != lines+k+1 {
				t.Fatalf("line %d out of order after %d", l.Line, lines)
			}
		}
		lines += len(ev.Lines)
		if ev.Type == EventDone {
			done++
			if ev.State != Done || lines != 600 {
				t.Fatalf("done event %+v after %d lines", ev.Summary, lines)
			}
		}
	}
	wg.Wait()
	early.Close()
	if _, ok := early.Next(); ok {
		t.Error("event after done")
	}
	if len(gone.C) != 0 {
		t.Error("a closed subscription was signalled")
	}
	// A late subscriber gets everything, in bounded pieces, then done.
	late := j.Subscribe()
	defer late.Close()
	var types []string
	for ev, ok := late.Next(); ok; ev, ok = late.Next() {
		types = append(types, fmt.Sprintf("%s:%d", ev.Type, len(ev.Lines)))
	}
	if got := strings.Join(types, " "); got != "progress:256 progress:256 progress:88 done:0" {
		t.Errorf("late subscriber: %s", got)
	}
	t.Logf("early subscriber: %d events for 600 lines", events)
}

func TestSubscribeToIdleJob(t *testing.T) {
	t.Parallel()
	j := NewRegistry(Config{}).Start(KindHealthCheck, "ollama", 1)
	s := j.Subscribe()
	defer s.Close()
	if ev, ok := s.Next(); !ok || ev.Type != EventProgress || len(ev.Lines) != 0 || ev.Total != 1 {
		t.Fatalf("first event: %+v %v", ev, ok)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("event without a change")
	}
}
