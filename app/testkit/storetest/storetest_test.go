package storetest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/migrations"
)

// outcome records how a helper ended a test, without ending this one.
type outcome struct {
	testing.TB
	skipped, failed string
}

func (o *outcome) Helper() {}

func (o *outcome) Skipf(format string, args ...any) {
	o.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (o *outcome) Fatalf(format string, args ...any) {
	o.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn on a recorder in a goroutine of its own, as the testing
// package runs a test, so that Skipf and Fatalf can stop it.
func run(t *testing.T, fn func(testing.TB)) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(o)
	}()
	<-done
	return o
}

// Without TEST_DATABASE_URL a test asking for PostgreSQL is skipped with a
// message naming the variable, and failed in CI, so that a clean clone's
// go test ./... passes and CI cannot lose the PostgreSQL tests unnoticed.
func TestPostgresWithoutURL(t *testing.T) {
	helpers := map[string]func(testing.TB){
		"Open":        func(tb testing.TB) { storetest.Open(tb, migrations.Postgres) },
		"URL":         func(tb testing.TB) { storetest.URL(tb, migrations.Postgres) },
		"PostgresURL": func(tb testing.TB) { storetest.PostgresURL(tb) },
	}
	for name, fn := range helpers {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TEST_DATABASE_URL", "")

			t.Setenv("CI", "")
			o := run(t, fn)
			if o.failed != "" || !strings.Contains(o.skipped, "TEST_DATABASE_URL") {
				t.Errorf("outside CI: skipped %q, failed %q; want a skip naming TEST_DATABASE_URL", o.skipped, o.failed)
			}

			t.Setenv("CI", "true")
			o = run(t, fn)
			if o.skipped != "" || !strings.Contains(o.failed, "TEST_DATABASE_URL") {
				t.Errorf("CI=true: skipped %q, failed %q; want a failure naming TEST_DATABASE_URL", o.skipped, o.failed)
			}
		})
	}
}
