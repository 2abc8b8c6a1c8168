package operator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keypool/keypool/app/jobs"
)

func newTestService(t *testing.T, cfg Config) *Service {
	t.Helper()
	s := New(cfg, nil, nil)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestNotableLines(t *testing.T) {
	t.Parallel()
	s := newTestService(t, Config{})
	job := s.jobs.Start(jobs.KindHealthCheck, "ollama", 4)
	job.Add(jobs.Line{Line: 1, Key: "sk-fine-0123456789abcdef", Result: jobs.ResultValid, Action: ActionNone})
	job.Add(jobs.Line{Line: 2, Key: "sk-back-0123456789abcdef", Result: jobs.ResultValid, Action: ActionEnabled})
	job.Add(jobs.Line{Line: 3, Key: "sk-dead-0123456789abcdef", Result: jobs.ResultInvalid, Action: ActionMarkedFailed})
	job.Add(jobs.Line{Line: 4, Key: "sk-what-0123456789abcdef", Result: jobs.ResultUnknown})
	job.Finish(&HealthReport{MarkedFailed: 1, Enabled: 1}, nil)
	v, err := s.NotableLines(job.ID(), 2)
	if err != nil || v.State != jobs.Done || len(v.Lines) != 2 || v.Lines[0].Line != 2 || v.Lines[1].Line != 3 || v.More != 1 {
		t.Errorf("job view %+v, %v", v, err)
	}
	if r, ok := v.Report.(*HealthReport); !ok || r.MarkedFailed != 1 {
		t.Errorf("report %#v", v.Report)
	}
	if _, err := s.NotableLines("nope", 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown job: %v, want NotFound", err)
	}
	if _, err := s.DisableKeys(t.Context(), "ollama", []string{"x"}, MaxDisable+time.Hour); !errors.Is(err, ErrInvalid) {
		t.Errorf("a disable longer than MaxDisable: %v, want Invalid", err)
	}
}

func TestJobPanicFailsTheJob(t *testing.T) {
	t.Parallel()
	s := newTestService(t, Config{})
	job := s.jobs.Start(jobs.KindHealthCheck, "ollama", 1)
	s.run(job, func(context.Context) (any, error) { panic("boom") })
	select {
	case <-job.Finished():
	case <-time.After(5 * time.Second):
		t.Fatal("job never finished")
	}
	if sum := job.Summary(); sum.State != jobs.Failed || sum.Error != "internal error" {
		t.Errorf("job after a panic: %+v", sum)
	}
}

func TestStopWaitsForJobs(t *testing.T) {
	t.Parallel()
	s := New(Config{}, nil, nil)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	job := s.jobs.Start(jobs.KindHealthCheck, "ollama", 1)
	ended := make(chan struct{})
	s.run(job, func(ctx context.Context) (any, error) {
		<-ctx.Done() // a job runs until Stop cancels it
		close(ended)
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	default:
		t.Fatal("Stop returned before the job ended")
	}
}
