package gateway_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// The official OpenAI Go SDK works against the gateway, streaming and not,
// for both providers, and sees errors in the shape it expects.
func TestOpenAIGoClient(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", nil)
	bases := map[string]string{"ollama": e.url + "/v1", "openrouter": e.url + "/openrouter/v1"}
	for provider, base := range bases {
		e.importKeys(provider, "sk-sdk-"+provider+"-0123456789")
		client := openai.NewClient(option.WithBaseURL(base), option.WithAPIKey(e.createToken(provider)), option.WithMaxRetries(0))
		params := openai.ChatCompletionNewParams{
			Model:    "gpt-oss:120b",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")},
		}
		ctx := context.Background()

		got, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatalf("%s: %v", provider, err)
		}
		if got.Choices[0].Message.Content != fakeupstream.Content(5) || got.Usage.CompletionTokens != 5 {
			t.Errorf("%s: content %q usage %+v", provider, got.Choices[0].Message.Content, got.Usage)
		}

		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		stream := client.Chat.Completions.NewStreaming(ctx, params)
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("%s stream: %v", provider, err)
		}
		if acc.Choices[0].Message.Content != fakeupstream.Content(5) || acc.Usage.CompletionTokens != 5 {
			t.Errorf("%s stream: content %q usage %+v", provider, acc.Choices[0].Message.Content, acc.Usage)
		}

		models, err := client.Models.List(ctx)
		if err != nil || len(models.Data) == 0 {
			t.Errorf("%s models: %v", provider, err)
		}
	}

	bad := openai.NewClient(option.WithBaseURL(bases["ollama"]), option.WithAPIKey("sk-wrong"), option.WithMaxRetries(0))
	_, err := bad.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
		t.Fatalf("wrong token: %v", err)
	}
}
