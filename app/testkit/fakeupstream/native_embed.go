package fakeupstream

import (
	"net/http"
	"strconv"
)

// nativeVector is the embedding of every input: small and fixed.
const nativeVector = `[0.0123,-0.0456,0.0789,-0.0012]`

// legacyEmbedding is the answer of the old POST /api/embeddings, which
// reports no counts (so none are counted).
const legacyEmbedding = `{"embedding":` + nativeVector + `}`

// answerEmbed answers POST /api/embed with one vector per input (a string
// is one input, an array one per element) and prompt_eval_count
// PromptTokens(len(body)), counted as prompt tokens.
func answerEmbed(x *exchange) {
	n := x.req.inputs
	if n < 0 {
		x.writeError(http.StatusBadRequest, "invalid input type")
		return
	}
	b := make([]byte, 0, 160+len(x.req.modelJSON)+n*(len(nativeVector)+1))
	b = append(b, `{"model":"`...)
	b = append(b, x.req.modelJSON...)
	b = append(b, `","embeddings":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, nativeVector...)
	}
	b = append(b, `],`...)
	x.prompt = PromptTokens(len(x.body))
	b = appendDurations(b, x.elapsed())
	b = append(b, `,"prompt_eval_count":`...)
	b = strconv.AppendInt(b, x.prompt, 10)
	x.writeJSON(append(b, '}'))
}
