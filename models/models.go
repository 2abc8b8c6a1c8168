// Package models holds the plain data rows of Keypool's tables. The structs
// carry no table names: every provider has its own set of tables
// ({prefix}_keys, …), and app/store scopes each query to one of them.
package models

import "time"

// Key statuses, as stored in {prefix}_keys.status.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
	StatusFailed   = "failed"
	StatusExpired  = "expired"
)

// Key is one upstream API key ({prefix}_keys).
type Key struct {
	APIKey              string     `gorm:"column:api_key;primaryKey"`
	Username            string     `gorm:"column:username"`
	Status              string     `gorm:"column:status"`
	CreatedAt           time.Time  `gorm:"column:created_at"`
	ExpiresAt           *time.Time `gorm:"column:expires_at"`
	FailedUntil         *time.Time `gorm:"column:failed_until"`
	DisabledUntil       *time.Time `gorm:"column:disabled_until"`
	ConsecutiveFailures int        `gorm:"column:consecutive_failures"`
	// RPMLimit is the requests per minute the key may take (a free tier's
	// limit); nil means none.
	RPMLimit *int `gorm:"column:rpm_limit"`
}

// KeyStats is the usage of one key ({prefix}_key_stats).
type KeyStats struct {
	APIKey              string     `gorm:"column:api_key;primaryKey"`
	TotalRequests       int64      `gorm:"column:total_requests"`
	SuccessCount        int64      `gorm:"column:success_count"`
	FailureCount        int64      `gorm:"column:failure_count"`
	SuccessRate         float64    `gorm:"column:success_rate"`
	LastUsed            *time.Time `gorm:"column:last_used"`
	LastSuccess         *time.Time `gorm:"column:last_success"`
	LastFailure         *time.Time `gorm:"column:last_failure"`
	ConsecutiveFailures int        `gorm:"column:consecutive_failures"`
}

// ClientToken is a credential a chat client sends ({prefix}_client_tokens).
// Token holds "sha256:<hex>" of the plaintext; rows the original project
// wrote in plaintext are still accepted.
type ClientToken struct {
	Token        string     `gorm:"column:token;primaryKey"`
	Name         string     `gorm:"column:name"`
	CreatedAt    time.Time  `gorm:"column:created_at"`
	ExpiresAt    *time.Time `gorm:"column:expires_at"`
	RequestCount int64      `gorm:"column:request_count"`
	// RPMLimit and TPMLimit cap the token's requests and tokens (prompt +
	// completion) per minute; nil means none.
	RPMLimit *int `gorm:"column:rpm_limit"`
	TPMLimit *int `gorm:"column:tpm_limit"`
}

// GlobalStats is the provider-wide counter row ({prefix}_global_stats, id 'global').
type GlobalStats struct {
	ID            string    `gorm:"column:id;primaryKey"`
	TotalRequests int64     `gorm:"column:total_requests"`
	SuccessCount  int64     `gorm:"column:success_count"`
	FailureCount  int64     `gorm:"column:failure_count"`
	UpdatedAt     time.Time `gorm:"column:updated_at"`
}

// ModelStats counts requests per model ({prefix}_model_stats).
type ModelStats struct {
	ID            int64      `gorm:"column:id;primaryKey"`
	Provider      string     `gorm:"column:provider"`
	Model         string     `gorm:"column:model"`
	TotalRequests int64      `gorm:"column:total_requests"`
	SuccessCount  int64      `gorm:"column:success_count"`
	FailureCount  int64      `gorm:"column:failure_count"`
	LastUsed      *time.Time `gorm:"column:last_used"`
}

// ModelHourly counts requests per model and UTC hour ({prefix}_model_hourly).
type ModelHourly struct {
	ID       int64     `gorm:"column:id;primaryKey"`
	Provider string    `gorm:"column:provider"`
	Model    string    `gorm:"column:model"`
	Hour     time.Time `gorm:"column:hour"`
	Requests int64     `gorm:"column:requests"`
	Success  int64     `gorm:"column:success"`
	Failure  int64     `gorm:"column:failure"`
}
