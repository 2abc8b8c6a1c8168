package admin

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/keypool/keypool/app/jobs"
)

func TestPagesParseImport(t *testing.T) {
	t.Parallel()
	h := New(Config{MaxImportBytes: 200}, nil, slog.New(slog.DiscardHandler))
	pg := NewPages(h)
	t.Cleanup(func() { h.Close(context.Background()) })
	for _, tt := range []struct {
		name          string
		in            ImportInput
		items, bad    int
		wantErrStatus int
	}{
		{"text", ImportInput{Text: "sk-a-0123456789\n\nbad key\na@b----pw----s----sk-b-0123456789"}, 2, 1, 0},
		{"JSON object", ImportInput{Text: `{"keys":["sk-a-0123456789",{"api_key":"sk-b-0123456789"},7]}`, JSON: true}, 2, 1, 0},
		{"JSON array", ImportInput{Text: ` ["sk-a-0123456789","sk-a-0123456789"]`, JSON: true}, 1, 0, 0},
		{"JSON text", ImportInput{Text: `{"text":"sk-a-0123456789\nsk-b-0123456789"}`, JSON: true}, 2, 0, 0},
		{"malformed JSON", ImportInput{Text: `{"keys":[`, JSON: true}, 0, 0, 400},
		{"JSON without keys", ImportInput{Text: `{"other":1}`, JSON: true}, 0, 0, 400},
		{"too large", ImportInput{Text: string(make([]byte, 201))}, 0, 0, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := pg.parse(tt.in)
			if tt.wantErrStatus != 0 {
				if ae, ok := err.(*Error); !ok || ae.Status != tt.wantErrStatus {
					t.Fatalf("err %v, want a %d", err, tt.wantErrStatus)
				}
				return
			}
			if err != nil || len(r.Items) != tt.items || len(r.Invalid) != tt.bad {
				t.Errorf("%d items, %d invalid (%v), want %d and %d", len(r.Items), len(r.Invalid), err, tt.items, tt.bad)
			}
		})
	}
}

func TestPagesKeysJob(t *testing.T) {
	t.Parallel()
	h := New(Config{}, nil, slog.New(slog.DiscardHandler))
	pg := NewPages(h)
	t.Cleanup(func() { h.Close(context.Background()) })
	job := pg.jobs.jobs.Start(jobs.KindHealthCheck, "ollama", 4)
	job.Add(jobs.Line{Line: 1, Key: "sk-fine-0123456789abcdef", Result: jobs.ResultValid, Action: actionNone})
	job.Add(jobs.Line{Line: 2, Key: "sk-back-0123456789abcdef", Result: jobs.ResultValid, Action: actionEnabled})
	job.Add(jobs.Line{Line: 3, Key: "sk-dead-0123456789abcdef", Result: jobs.ResultInvalid, Action: actionMarkedFailed})
	job.Add(jobs.Line{Line: 4, Key: "sk-what-0123456789abcdef", Result: jobs.ResultUnknown})
	job.Finish(&HealthReport{MarkedFailed: 1, Enabled: 1}, nil)
	v, ok := pg.Job(job.ID(), 2)
	if !ok || v.State != jobs.Done || len(v.Lines) != 2 || v.Lines[0].Line != 2 || v.Lines[1].Line != 3 || v.More != 1 {
		t.Errorf("job view %+v", v)
	}
	if r, ok := v.Report.(*HealthReport); !ok || r.MarkedFailed != 1 {
		t.Errorf("report %#v", v.Report)
	}
	if _, ok := pg.Job("nope", 2); ok {
		t.Error("an unknown job was found")
	}
	if _, err := pg.DisableKeys(nil, "ollama", []string{"x"}, maxDisable+time.Hour); err == nil {
		t.Error("a disable longer than maxDisable was taken")
	}
}
