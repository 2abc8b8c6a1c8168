package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/keypool/keypool/migrations"
)

// ErrNoListen means the database cannot deliver notifications: it is
// SQLite, or PostgreSQL behind PgBouncer in transaction mode (a LISTEN
// there would be bound to whichever server connection ran it).
var ErrNoListen = errors.New("store: this database cannot LISTEN (SQLite, or PostgreSQL through PgBouncer)")

// CanListen reports whether Listen can work on this database.
func (db *DB) CanListen() bool { return db.pgConfig != nil && !db.PgBouncer }

// Notify sends payload on a PostgreSQL notification channel, to every
// session listening on it (this one's Listen included).
func (db *DB) Notify(ctx context.Context, channel, payload string) error {
	if db.Dialect != migrations.Postgres {
		return ErrNoListen
	}
	if _, err := db.SQL.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("store: notify: %w", err)
	}
	return nil
}

// Listener is one dedicated connection listening on a channel.
type Listener struct{ conn *pgx.Conn }

// Listen opens a dedicated connection (outside the pool: it is held for as
// long as the listener lives) and LISTENs on channel.
func (db *DB) Listen(ctx context.Context, channel string) (*Listener, error) {
	if !db.CanListen() {
		return nil, ErrNoListen
	}
	conn, err := pgx.ConnectConfig(ctx, db.pgConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("store: listen: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("store: listen: %w", err)
	}
	return &Listener{conn: conn}, nil
}

// Next waits for the next notification's payload. An error means the
// connection is unusable (or ctx ended): close the listener and open another.
func (l *Listener) Next(ctx context.Context) (string, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return "", err
	}
	return n.Payload, nil
}

// Close ends the listener's connection.
func (l *Listener) Close() error { return l.conn.Close(context.Background()) }
