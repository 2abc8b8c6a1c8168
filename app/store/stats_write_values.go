package store

import (
	"strconv"
	"strings"

	"github.com/keypool/keypool/migrations"
)

// chunk is how many rows one statement of WriteStats carries: one parse
// for all of them instead of one each. On PostgreSQL 500 rows of at most
// 13 parameters (keyCols) stay far below its 65,535 bound parameters (and
// larger statements are no faster). SQLite's driver finds each parameter
// by scanning the argument list, so binding grows with the square of
// their number: there 100 rows (20,000 keys: 270 ms; 360 ms at 500).
func (w *statsWriter) chunk() int {
	if w.s.dialect == migrations.Postgres {
		return 500
	}
	return 100
}

// values renders args, rows of one value per column of types, as the rows
// of a VALUES list with the driver's own placeholders (the rows are the
// only parameters of a statement given to send), and returns the
// arguments left to bind. On PostgreSQL every value is a parameter cast
// to its column's type: a CTE's VALUES carry none. On SQLite integers,
// bools and NULLs are written in the text, the very values binding would
// give, with fewer parameters to bind; text, times and floats stay
// parameters.
func (w *statsWriter) values(types []string, args []any) (string, []any) {
	pg := w.s.dialect == migrations.Postgres
	var b strings.Builder
	b.Grow(len(args) * 8)
	bind := args[:0] // filtered in place: index i is read before written
	for i, a := range args {
		col := i % len(types)
		switch {
		case i == 0:
			b.WriteString("(")
		case col == 0:
			b.WriteString("), (")
		default:
			b.WriteString(", ")
		}
		if pg {
			bind = append(bind, a)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(len(bind)))
			b.WriteString("::")
			b.WriteString(types[col])
		} else if lit, ok := literal(a); ok {
			b.WriteString(lit)
		} else {
			b.WriteString("?")
			bind = append(bind, a)
		}
	}
	b.WriteString(")")
	return b.String(), bind
}

// literal returns the SQL literal of an integer, a bool or NULL. Floats
// stay parameters: SQLite's reading of a decimal need not be Go's.
func literal(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "NULL", true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case bool:
		if v {
			return "1", true // as the driver binds it
		}
		return "0", true
	}
	return "", false
}
