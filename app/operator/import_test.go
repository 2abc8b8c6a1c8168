package operator

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"reflect"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/keyimport"
)

const sampleKeys = "sk-one-0123456789\n" +
	"# a comment\n" +
	"a@example.com----pw----sess----sk-two-0123456789\n" +
	"b@example.com----pw----sess----aid----sk-three-0123456789\n" +
	"too----many----fields\n" +
	"sk-one-0123456789\n"

// multipartBody is a form of name, value pairs, in order; "file" is sent
// as a file.
func multipartBody(t testing.TB, pairs ...string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(pairs); i += 2 {
		name, value := pairs[i], pairs[i+1]
		var err error
		if name == "file" {
			var fw interface{ Write([]byte) (int, error) }
			fw, err = w.CreateFormFile("file", "ollama.txt")
			if err == nil {
				_, err = fw.Write([]byte(value))
			}
		} else {
			err = w.WriteField(name, value)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// Every form an import arrives in reads through ParseImport: the JSON
// routes' and the dashboard's alike (a bare JSON array too, which the
// dashboard took and import-from-txt once refused).
func TestParseImport(t *testing.T) {
	t.Parallel()
	jsonText, _ := json.Marshal(map[string]string{"text": sampleKeys, "provider": "openrouter"})
	formType, form := multipartBody(t, "file", sampleKeys, "provider", "openrouter", "other", "x")
	textFormType, textForm := multipartBody(t, "text", sampleKeys)
	emptyFormType, emptyForm := multipartBody(t, "provider", "ollama")
	tests := []struct {
		name, contentType, body string
		provider                string
		items, invalid, dups    int
		status                  int    // error status, 0 = none
		message                 string // substring of the error
	}{
		{"plain text", "text/plain; charset=utf-8", sampleKeys, "", 3, 1, 1, 0, ""},
		{"no content type", "", sampleKeys, "", 3, 1, 1, 0, ""},
		{"JSON text", "application/json", string(jsonText), "openrouter", 3, 1, 1, 0, ""},
		{"JSON keys", "application/json", `{"keys":["sk-a-0123456789",1,"sk-a-0123456789"]}`, "", 1, 1, 1, 0, ""},
		{"multipart file", formType, string(form), "openrouter", 3, 1, 1, 0, ""},
		{"multipart text field", textFormType, string(textForm), "", 3, 1, 1, 0, ""},
		{"multipart without file", emptyFormType, string(emptyForm), "", 0, 0, 0, 400, `"file"`},
		{"multipart without boundary", "multipart/form-data", "x", "", 0, 0, 0, 400, "boundary"},
		{"multipart cut short", formType, string(form[:len(form)/2]), "", 0, 0, 0, 400, "malformed multipart"},
		{"JSON cut short", "application/json", "{\n  \"text\": \"abc", "", 0, 0, 0, 400, "line 2, column 15 (byte 16)"},
		{"JSON wrong type", "application/json", `{"text": 42}`, "", 0, 0, 0, 400, "line 1, column 12"},
		{"JSON with neither", "application/json", `{"provider":"ollama"}`, "", 0, 0, 0, 400, `"text"`},
		{"JSON bare array", "application/json", `["sk-a-0123456789","a b",{"api_key":"sk-b-0123456789"}]`, "", 2, 1, 0, 0, ""},
		{"JSON empty array", "application/json", ` []`, "", 0, 0, 0, 0, ""},
		{"JSON bare array cut short", "application/json", `["sk-a-0123456789",`, "", 0, 0, 0, 400, "malformed JSON"},
		{"JSON not an object", "application/json", `42`, "", 0, 0, 0, 400, "malformed JSON"},
		{"too large", "text/plain", strings.Repeat("k", 1001), "", 0, 0, 0, 413, "MAX_IMPORT_BYTES"},
		{"original's content", "application/json", `{"content":"a@x----p----s----sk-a-0123456789\nsk-b-0123456789","provider":"openrouter"}`, "openrouter", 2, 0, 0, 0, ""},
		{"original's content as curl -d sends it", "application/x-www-form-urlencoded", `{"content":"sk-a-0123456789"}`, "", 1, 0, 0, 0, ""},
		{"original's content without a type", "", ` {"content":"sk-a-0123456789"}`, "", 1, 0, 0, 0, ""},
		{"original's accounts", "application/json", `{"accounts":["u@x----p----s----aid----sk-a-0123456789",{"api_key":"sk-b-0123456789","email":"e"},"a----b"]}`, "", 2, 1, 0, 0, ""},
	}
	kinds := map[int]Kind{400: KindInvalid, 413: KindTooLarge}
	s := New(Config{MaxImportBytes: 1000}, nil, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := s.ParseImport(Import{ContentType: tt.contentType, Body: []byte(tt.body)})
			if tt.status != 0 {
				e, ok := AsError(err)
				if !ok || e.Kind != kinds[tt.status] || !strings.Contains(e.Message, tt.message) {
					t.Fatalf("error %v, want a %d ~%q", err, tt.status, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := in.Keys
			if in.Provider != tt.provider || len(r.Items) != tt.items || len(r.Invalid) != tt.invalid || r.Duplicates != tt.dups {
				t.Errorf("provider %q, result %+v", in.Provider, r)
			}
		})
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body      string
		offset    int64
		line, col int
	}{
		{"", 0, 1, 1},
		{"abc", 2, 1, 3},
		{"a\nbc", 3, 2, 2},
		{"a\n", 2, 2, 1},
		{"ab", 99, 1, 3},
	}
	for _, tt := range tests {
		if line, col := position([]byte(tt.body), tt.offset); line != tt.line || col != tt.col {
			t.Errorf("position(%q, %d) = %d:%d, want %d:%d", tt.body, tt.offset, line, col, tt.line, tt.col)
		}
	}
}

// FuzzParseImport reads import bodies of every form. It never panics, a
// body built the way clients send it always reads to the same keys as its
// text, and every line (or JSON element) is accounted for: a key, an
// invalid line, a duplicate or a skipped line.
func FuzzParseImport(f *testing.F) {
	f.Add(uint8(0), "application/json", []byte(`{"keys":["a",{"api_key":"b"}]}`))
	f.Add(uint8(0), "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nk1\r\n--x--\r\n"))
	f.Add(uint8(1), "", []byte(sampleKeys))
	f.Add(uint8(2), "", []byte("k1\r\n\ufeffk2\n\n#c"))
	f.Add(uint8(3), "", []byte("a----b----c----d\n\xff\x00"))
	s := New(Config{}, nil, nil)
	f.Fuzz(func(t *testing.T, mode uint8, contentType string, body []byte) {
		want := ""
		switch mode % 4 {
		case 1:
			contentType, want = "text/plain", string(body)
		case 2:
			data, _ := json.Marshal(map[string]string{"text": string(body)})
			var back struct{ Text string }
			_ = json.Unmarshal(data, &back) // invalid UTF-8 comes back as U+FFFD
			contentType, want, body = "application/json", back.Text, data
		case 3:
			want = string(body)
			contentType, body = multipartBody(t, "file", want)
		}
		in, err := s.ParseImport(Import{ContentType: contentType, Body: body})
		if mode%4 != 0 && err != nil {
			t.Fatalf("mode %d: %v", mode%4, err)
		}
		if err != nil {
			return
		}
		r := in.Keys
		accounted := len(r.Items) + len(r.Invalid) + r.Duplicates + r.Skipped
		if mode%4 != 0 {
			if same := keyimport.Text(want); !reflect.DeepEqual(same, r) {
				t.Fatalf("the body reads to %+v, its text to %+v", r, same)
			}
			if lines := strings.Count(want, "\n") + 1; accounted != lines {
				t.Fatalf("%d lines, %d accounted for: %+v", lines, accounted, r)
			}
			return
		}
		var keys struct{ Keys []json.RawMessage }
		if json.Unmarshal(body, &keys) == nil && keys.Keys != nil && strings.HasPrefix(contentType, "application/json") {
			if accounted-r.Skipped != len(keys.Keys) {
				t.Fatalf("%d elements, %d accounted for: %+v", len(keys.Keys), accounted, r)
			}
		}
	})
}
