package fakeupstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// errNotObject is returned for a body that is valid JSON but no object.
var errNotObject = errors.New("request body must be a JSON object")

// request is what the fake reads from a request body.
type request struct {
	model        string // "" when missing or not a string
	modelJSON    []byte // model as JSON string content (escaped, no quotes), to echo into answers
	stream       bool   // "stream": true
	streamOff    bool   // "stream": false (Ollama's native routes stream unless told so)
	includeUsage bool   // "stream_options": {"include_usage": true}
	inputs       int    // "input" of /api/embed: 1 for a non-empty string, an array's length, 0 for none, -1 for another type
}

// parseRequest validates body as JSON, like json.Valid, and reads the
// fields the fake uses in the same pass. Later duplicates win and a field
// of the wrong type counts as absent, as with encoding/json.
func parseRequest(body []byte) (request, error) {
	var req request
	s := scanner{data: body}
	if c := s.peek(); c != '{' {
		if s.value() == nil && s.end() {
			return request{}, errNotObject
		}
		return request{}, errSyntax
	}
	more, err := s.enter('{', '}')
	for more && err == nil {
		var k []byte
		if k, err = s.key(); err != nil {
			break
		}
		switch string(unescapeKey(k)) {
		case "model":
			err = req.readModel(&s)
		case "stream":
			req.stream, req.streamOff, err = s.streamFlag()
		case "input":
			req.inputs, err = s.countInputs()
		case "stream_options":
			req.includeUsage, err = s.includeUsage()
		default:
			err = s.value()
		}
		if err == nil {
			more, err = s.next('}')
		}
	}
	if err == nil && !s.end() {
		err = errSyntax
	}
	if err != nil {
		return request{}, err
	}
	return req, nil
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.pos == len(s.data)
}

// boolean reads a value and reports whether it is true.
func (s *scanner) boolean() (bool, error) {
	if s.peek() == 't' {
		return true, s.literal("true")
	}
	return false, s.value()
}

// streamFlag reads the stream value and reports whether it is the literal
// true (on) or the literal false (off); anything else is neither.
func (s *scanner) streamFlag() (on, off bool, err error) {
	switch s.peek() {
	case 't':
		return true, false, s.literal("true")
	case 'f':
		return false, true, s.literal("false")
	}
	return false, false, s.value()
}

// countInputs reads an embed input and returns the number of texts it
// holds (see request.inputs).
func (s *scanner) countInputs() (int, error) {
	switch s.peek() {
	case '"':
		raw, err := s.str()
		return min(len(raw), 1), err
	case '[':
		n := 0
		more, err := s.enter('[', ']')
		for more && err == nil {
			if err = s.value(); err == nil {
				n++
				more, err = s.next(']')
			}
		}
		return n, err
	case 'n':
		return 0, s.literal("null")
	}
	return -1, s.value()
}

// includeUsage reads the stream_options value and reports its
// include_usage.
func (s *scanner) includeUsage() (bool, error) {
	if s.peek() != '{' {
		return false, s.value()
	}
	include := false
	more, err := s.enter('{', '}')
	for more && err == nil {
		var k []byte
		if k, err = s.key(); err != nil {
			break
		}
		if string(unescapeKey(k)) == "include_usage" {
			include, err = s.boolean()
		} else {
			err = s.value()
		}
		if err == nil {
			more, err = s.next('}')
		}
	}
	return include, err
}

// readModel reads the model value.
func (r *request) readModel(s *scanner) error {
	r.model, r.modelJSON = "", nil
	if s.peek() != '"' {
		return s.value()
	}
	raw, err := s.str()
	if err != nil {
		return err
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		r.model, r.modelJSON = string(raw), raw
		return nil
	}
	r.model = decodeString(raw)
	quoted, _ := json.Marshal(r.model)
	r.modelJSON = quoted[1 : len(quoted)-1]
	return nil
}

// unescapeKey returns an object key with its escapes resolved; keys
// without a backslash (all real ones) come back as they are.
func unescapeKey(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	return []byte(decodeString(raw))
}

// decodeString decodes the raw content of a valid JSON string the way
// encoding/json does (invalid UTF-8 becomes U+FFFD).
func decodeString(raw []byte) string {
	var out string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	_ = json.Unmarshal(quoted, &out) // raw was validated by the scanner
	return out
}
