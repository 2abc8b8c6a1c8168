package fakeupstream

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body            string
		model                 string
		stream, include, fail bool
	}{
		{"chat", `{"model":"gpt-oss:120b","messages":[{"role":"user","content":"hi"}]}`, "gpt-oss:120b", false, false, false},
		{"stream", ` { "stream" : true , "model" : "m" } `, "m", true, false, false},
		{"include usage", `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, "m", true, true, false},
		{"stream not a bool", `{"model":"m","stream":"true"}`, "m", false, false, false},
		{"duplicates: last wins", `{"model":"a","model":"b","stream":true,"stream":false}`, "b", false, false, false},
		{"stream_options replaced", `{"stream_options":{"include_usage":true},"stream_options":null}`, "", false, false, false},
		{"escaped key and value", `{"mod\u0065l":"a\/b\n","stream":true}`, "a/b\n", true, false, false},
		{"model not a string", `{"model":["x"],"other":{"model":"y"}}`, "", false, false, false},
		{"nested values", `{"a":[1,-2.5e+3,0.1,true,false,null,{"b":[]}],"model":"m"}`, "m", false, false, false},
		{"empty object", `{}`, "", false, false, false},
		{"empty", ``, "", false, false, true},
		{"array", `[{"model":"m"}]`, "", false, false, true},
		{"string", `"x"`, "", false, false, true},
		{"truncated", `{"model":"m"`, "", false, false, true},
		{"trailing data", `{"model":"m"} {}`, "", false, false, true},
		{"trailing comma", `{"model":"m",}`, "", false, false, true},
		{"leading zero", `{"n":01}`, "", false, false, true},
		{"bad escape", `{"model":"\x"}`, "", false, false, true},
		{"control char", "{\"model\":\"a\tb\"}", "", false, false, true},
		{"bare word", `{"stream":tru}`, "", false, false, true},
		{"single quotes", `{'model':'m'}`, "", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseRequest([]byte(tt.body))
			if (err != nil) != tt.fail {
				t.Fatalf("err = %v, want failure %v", err, tt.fail)
			}
			if got.model != tt.model || got.stream != tt.stream || got.includeUsage != tt.include {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestParseNativeFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body        string
		stream, streamOff bool
		inputs            int
	}{
		{"stream absent", `{"model":"m"}`, false, false, 0},
		{"stream false", `{"model":"m","stream":false}`, false, true, 0},
		{"stream null", `{"stream":null}`, false, false, 0},
		{"false then true", `{"stream":false,"stream":true}`, true, false, 0},
		{"stream not a bool", `{"stream":"false"}`, false, false, 0},
		{"input string", `{"input":"hello"}`, false, false, 1},
		{"input empty string", `{"input":""}`, false, false, 0},
		{"input array", `{"input":["a","b",["c"]]}`, false, false, 3},
		{"input empty array", `{"input":[]}`, false, false, 0},
		{"input null", `{"input":null}`, false, false, 0},
		{"input number", `{"input":7}`, false, false, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got.stream != tt.stream || got.streamOff != tt.streamOff || got.inputs != tt.inputs {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// FuzzParseRequest checks parseRequest against encoding/json: it accepts
// exactly the JSON objects json.Valid accepts and reads the same values.
func FuzzParseRequest(f *testing.F) {
	seeds := []string{
		`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"a\u00e9\"","messages":[{"role":"user","content":"x"}],"temperature":0.7}`,
		`{"stream":false,"n":-0.0e-1,"x":[[],{}],"y":null}`,
		`{"model":"m","stream":false,"input":["a",1,[]]}`, `{"input":"","stream":null}`, `{"input":{"a":1}}`,
		`[1]`, `"s"`, `{"model":"\ud800"}`, "{\"model\":\"\xff\"}", `{"a":1e}`, `{"a":-}`, ` {} `,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseRequest(body)
		isObject := json.Valid(body) && bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
		if (err == nil) != isObject {
			t.Fatalf("parseRequest err = %v, json object = %v for %q", err, isObject, body)
		}
		if err != nil {
			return
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		model, _ := m["model"].(string)
		opts, _ := m["stream_options"].(map[string]any)
		want := request{model: model, stream: m["stream"] == true, streamOff: m["stream"] == false,
			includeUsage: opts["include_usage"] == true, inputs: -1}
		switch in := m["input"].(type) {
		case string:
			want.inputs = min(len(in), 1)
		case []any:
			want.inputs = len(in)
		case nil:
			want.inputs = 0
		}
		if got.model != want.model || got.stream != want.stream || got.streamOff != want.streamOff ||
			got.includeUsage != want.includeUsage || got.inputs != want.inputs {
			t.Fatalf("got %+v, want %+v for %q", got, want, body)
		}
		var echoed string
		if err := json.Unmarshal([]byte(`"`+string(got.modelJSON)+`"`), &echoed); err != nil || echoed != model {
			t.Fatalf("modelJSON %q does not decode to %q: %v", got.modelJSON, model, err)
		}
	})
}

func BenchmarkParseRequest(b *testing.B) {
	body := []byte(`{"model":"gpt-oss:120b","stream":true,"stream_options":{"include_usage":true},"messages":[` +
		strings.Repeat(`{"role":"user","content":"Hello there, how are you doing today? \"quoted\""},`, 25) +
		`{"role":"user","content":"last"}],"temperature":0.7,"max_tokens":512}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}
