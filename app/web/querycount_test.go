package web

import (
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// queryCounter counts the statements GORM sends to the database. Once
// armed, the first one waits until gate is closed (entered tells that it
// is waiting), so that a burst of requests can pile up behind it.
type queryCounter struct {
	n       atomic.Int64
	armed   atomic.Bool
	entered chan struct{}
	gate    chan struct{}
	once    sync.Once
}

// countQueries counts every query, row read and write of the app's database.
func countQueries(t *testing.T, a *testApp) *queryCounter {
	t.Helper()
	q := &queryCounter{entered: make(chan struct{}), gate: make(chan struct{})}
	count := func(*gorm.DB) {
		q.n.Add(1)
		if q.armed.Load() {
			q.once.Do(func() { close(q.entered); <-q.gate })
		}
	}
	cb := a.db.Gorm.Callback()
	for name, err := range map[string]error{
		"query":  cb.Query().Before("gorm:query").Register("test:count_query", count),
		"row":    cb.Row().Before("gorm:row").Register("test:count_row", count),
		"raw":    cb.Raw().Before("gorm:raw").Register("test:count_raw", count),
		"create": cb.Create().Before("gorm:create").Register("test:count_create", count),
		"update": cb.Update().Before("gorm:update").Register("test:count_update", count),
		"delete": cb.Delete().Before("gorm:delete").Register("test:count_delete", count),
	} {
		if err != nil {
			t.Fatalf("register the %s counter: %v", name, err)
		}
	}
	return q
}

// arm makes the next query wait for gate.
func (q *queryCounter) arm() { q.armed.Store(true) }
