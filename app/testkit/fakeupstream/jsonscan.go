package fakeupstream

import "errors"

// errSyntax is returned for anything encoding/json's Valid would reject.
var errSyntax = errors.New("syntax error")

// maxDepth is encoding/json's nesting limit, kept so both agree.
const maxDepth = 10000

// scanner walks JSON text in place, without allocating, accepting exactly
// what json.Valid accepts (it does not check UTF-8, like encoding/json).
type scanner struct {
	data  []byte
	pos   int
	depth int
}

// ws skips whitespace.
func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// value skips one JSON value.
func (s *scanner) value() error {
	switch c := s.peek(); {
	case c == '{':
		more, err := s.enter('{', '}')
		for more && err == nil {
			if _, err = s.key(); err == nil {
				if err = s.value(); err == nil {
					more, err = s.next('}')
				}
			}
		}
		return err
	case c == '[':
		more, err := s.enter('[', ']')
		for more && err == nil {
			if err = s.value(); err == nil {
				more, err = s.next(']')
			}
		}
		return err
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return errSyntax
}

// enter consumes the opening bracket of an object or array and reports
// whether a first element follows.
func (s *scanner) enter(open, close byte) (bool, error) {
	if s.peek() != open {
		return false, errSyntax
	}
	s.pos++
	if s.depth++; s.depth > maxDepth {
		return false, errSyntax
	}
	if s.peek() == close {
		s.pos++
		s.depth--
		return false, nil
	}
	return true, nil
}

// next consumes the comma after an element (true) or the closing bracket
// (false).
func (s *scanner) next(close byte) (bool, error) {
	switch s.peek() {
	case ',':
		s.pos++
		return true, nil
	case close:
		s.pos++
		s.depth--
		return false, nil
	}
	return false, errSyntax
}

// key reads an object member's key and its colon; the key is raw (still
// escaped).
func (s *scanner) key() ([]byte, error) {
	if s.peek() != '"' {
		return nil, errSyntax
	}
	k, err := s.str()
	if err != nil {
		return nil, err
	}
	if s.peek() != ':' {
		return nil, errSyntax
	}
	s.pos++
	return k, nil
}

// str reads a string and returns its raw content between the quotes.
func (s *scanner) str() ([]byte, error) {
	start := s.pos + 1
	for i := start; i < len(s.data); {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], nil
		case c < 0x20:
			return nil, errSyntax
		case c != '\\':
			i++
		case i+1 < len(s.data) && isSimpleEscape(s.data[i+1]):
			i += 2
		case i+5 < len(s.data) && s.data[i+1] == 'u' && isHex4(s.data[i+2:i+6]):
			i += 6
		default:
			return nil, errSyntax
		}
	}
	return nil, errSyntax
}

// isSimpleEscape reports whether `\c` is a one-letter JSON escape.
func isSimpleEscape(c byte) bool {
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	}
	return false
}

// isHex4 reports whether b is four hex digits.
func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// literal reads the bare word w (true, false or null).
func (s *scanner) literal(w string) error {
	if len(s.data)-s.pos < len(w) || string(s.data[s.pos:s.pos+len(w)]) != w {
		return errSyntax
	}
	s.pos += len(w)
	return nil
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() error {
	i := s.pos
	if i < len(s.data) && s.data[i] == '-' {
		i++
	}
	switch {
	case i < len(s.data) && s.data[i] == '0':
		i++
	case i < len(s.data) && s.data[i] >= '1' && s.data[i] <= '9':
		i = s.digits(i)
	default:
		return errSyntax
	}
	if i < len(s.data) && s.data[i] == '.' {
		if j := s.digits(i + 1); j > i+1 {
			i = j
		} else {
			return errSyntax
		}
	}
	if i < len(s.data) && (s.data[i] == 'e' || s.data[i] == 'E') {
		i++
		if i < len(s.data) && (s.data[i] == '+' || s.data[i] == '-') {
			i++
		}
		j := s.digits(i)
		if j == i {
			return errSyntax
		}
		i = j
	}
	s.pos = i
	return nil
}

// digits returns the index after the run of digits starting at i.
func (s *scanner) digits(i int) int {
	for i < len(s.data) && s.data[i] >= '0' && s.data[i] <= '9' {
		i++
	}
	return i
}
