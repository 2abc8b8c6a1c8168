package main

import (
	"errors"
	"net"
	"net/url"
	"sort"
)

// errorCounts counts failures by a message without the parts that change
// from one request to the next (URLs, local ports).
type errorCounts map[string]int

// maxErrorKinds bounds the distinct messages kept.
const maxErrorKinds = 20

func (e errorCounts) add(err error) {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
		var oe *net.OpError
		if errors.As(ue.Err, &oe) {
			msg = oe.Op + ": " + oe.Err.Error()
		}
	}
	if _, ok := e[msg]; !ok && len(e) >= maxErrorKinds {
		msg = "(other errors)"
	}
	e[msg]++
}

func (e errorCounts) merge(o errorCounts) {
	for msg, n := range o {
		e[msg] += n
	}
}

func (e errorCounts) total() int {
	n := 0
	for _, c := range e {
		n += c
	}
	return n
}

// sorted returns the messages in alphabetical order.
func (e errorCounts) sorted() []string {
	msgs := make([]string, 0, len(e))
	for m := range e {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	return msgs
}
