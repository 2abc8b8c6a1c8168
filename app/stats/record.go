package stats

import "time"

// UnknownModel is counted for requests that named no model (GET /models).
const UnknownModel = "unknown"

// add counts one outcome into the batch.
func (b *Batch) add(o *Outcome) {
	at := o.At.UTC()
	if at.IsZero() {
		at = time.Now().UTC()
	}
	c := Counter{Requests: 1, PromptTokens: o.PromptTokens, CompletionTokens: o.CompletionTokens,
		LatencyMs: o.Latency.Milliseconds()}
	if o.Success {
		c.Success = 1
	} else {
		c.Failure = 1
	}
	b.Global.add(&c)

	model := o.Model
	if model == "" {
		model = UnknownModel
	}
	md := b.Models[model]
	if md == nil {
		md = &ModelDelta{}
		b.Models[model] = md
	}
	md.Counter.add(&c)
	md.LastUsed = later(md.LastUsed, at)

	hk := HourKey{Model: model, Hour: at.Truncate(time.Hour)}
	hd := b.Hourly[hk]
	if hd == nil {
		hd = &Counter{}
		b.Hourly[hk] = hd
	}
	hd.add(&c)

	if o.Token != "" {
		td := b.Tokens[o.Token]
		if td == nil {
			td = &TokenDelta{}
			b.Tokens[o.Token] = td
		}
		td.Requests++
		td.LastUsed = later(td.LastUsed, at)
	}

	for _, k := range o.FailedKeys {
		b.key(k).then(&KeyDelta{Counter: Counter{Requests: 1, Failure: 1}, LastUsed: at, LastFailure: at, Trailing: 1})
	}
	if o.Key != "" {
		d := &KeyDelta{Counter: c, LastUsed: at}
		if o.Success {
			d.LastSuccess, d.SawSuccess = at, true
		} else {
			d.LastFailure, d.Trailing = at, 1
		}
		b.key(o.Key).then(d)
	}
}

func (b *Batch) key(apiKey string) *KeyDelta {
	d := b.Keys[apiKey]
	if d == nil {
		d = &KeyDelta{}
		b.Keys[apiKey] = d
	}
	return d
}
