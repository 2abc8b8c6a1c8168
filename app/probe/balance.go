package probe

import (
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// Balance is Ollama's answer to GET /api/balance, in US dollars. A figure
// the answer did not carry is nil (a time, zero).
type Balance struct {
	IncludedUSD  *float64  `json:"included_usd,omitempty"`  // included.balance_usd: left of the plan's allowance this period
	AllowanceUSD *float64  `json:"allowance_usd,omitempty"` // included.allowance_usd: the plan's allowance per period
	PurchasedUSD *float64  `json:"purchased_usd,omitempty"` // purchased.balance_usd: extra usage bought and not spent
	PeriodFrom   time.Time `json:"period_from,omitzero"`    // included.period.from
	PeriodUntil  time.Time `json:"period_until,omitzero"`   // included.period.until: when the allowance resets
}

// readBalance reads Ollama's GET /api/balance answer field by field, so
// one odd field does not lose the others; nil when it carries neither
// "included" nor "purchased".
func readBalance(body []byte) *Balance {
	if !gjson.ValidBytes(body) {
		return nil
	}
	root := gjson.ParseBytes(body)
	inc, pur := root.Get("included"), root.Get("purchased")
	if !inc.IsObject() && !pur.IsObject() {
		return nil
	}
	return &Balance{
		IncludedUSD:  number(inc.Get("balance_usd")),
		AllowanceUSD: number(inc.Get("allowance_usd")),
		PurchasedUSD: number(pur.Get("balance_usd")),
		PeriodFrom:   instant(inc.Get("period.from")),
		PeriodUntil:  instant(inc.Get("period.until")),
	}
}

// number is v as a float when it is a JSON number or a numeric string.
func number(v gjson.Result) *float64 {
	switch v.Type {
	case gjson.Number:
		f := v.Num
		return &f
	case gjson.String:
		if f, err := strconv.ParseFloat(v.Str, 64); err == nil {
			return &f
		}
	}
	return nil
}

// instant is v as an RFC 3339 time, or zero.
func instant(v gjson.Result) time.Time {
	t, err := time.Parse(time.RFC3339, v.Str)
	if err != nil {
		return time.Time{}
	}
	return t
}
