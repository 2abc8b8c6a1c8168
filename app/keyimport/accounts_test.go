package keyimport

import (
	"encoding/json"
	"testing"
)

// The original's /admin/import accounts: for "----" lines the key is the
// last field and the username the first; objects name api_key and
// username or email.
func TestAccounts(t *testing.T) {
	t.Parallel()
	var elems []json.RawMessage
	json.Unmarshal([]byte(`[
		"alice@example.com----pw----sess----sk-a-0123456789",
		"bob@example.com----pw----sess----aid42----sk-b-0123456789",
		"carol@example.com----pw----sess;aid=7----sk-c-0123456789",
		"dan@example.com----pw----sess----sk-d-0123456789----aid=9",
		"sk-bare-0123456789",
		{"api_key":"sk-e-0123456789","email":"erin@example.com"},
		{"api_key":"sk-f-0123456789","username":"frank","email":"f@example.com"},
		"a----b",
		"   ",
		{"key":"x"},
		"sk-a-0123456789"]`), &elems)
	r := Accounts(elems)
	want := []Item{
		{Line: 1, APIKey: "sk-a-0123456789", Username: "alice@example.com"},
		{Line: 2, APIKey: "sk-b-0123456789", Username: "bob@example.com"},
		{Line: 3, APIKey: "sk-c-0123456789", Username: "carol@example.com"},
		{Line: 4, APIKey: "sk-d-0123456789", Username: "dan@example.com"},
		{Line: 5, APIKey: "sk-bare-0123456789"},
		{Line: 6, APIKey: "sk-e-0123456789", Username: "erin@example.com"},
		{Line: 7, APIKey: "sk-f-0123456789", Username: "frank"},
	}
	if len(r.Items) != len(want) {
		t.Fatalf("items %+v", r.Items)
	}
	for i := range want {
		if g := r.Items[i]; g.Line != want[i].Line || g.APIKey != want[i].APIKey || g.Username != want[i].Username {
			t.Errorf("item %d = %+v, want %+v", i, g, want[i])
		}
	}
	if len(r.Invalid) != 2 || r.Invalid[0].Line != 8 || r.Invalid[1].Line != 10 || r.Skipped != 1 || r.Duplicates != 1 {
		t.Fatalf("invalid %+v skipped %d duplicates %d", r.Invalid, r.Skipped, r.Duplicates)
	}
}

// The txt route's 4- and 5-field lines, the aid in the session field or a
// field of its own: the key is taken, never the aid.
func TestTextAid(t *testing.T) {
	t.Parallel()
	r := Text("a@x----pw----sess;aid=1----sk-a-0123456789\n" +
		"b@x----pw----sess----aid2----sk-b-0123456789\n" +
		"c@x----pw----sess----sk-c-0123456789----aid=3\n" +
		"d@x----pw----sess----sk-d-0123456789----;AID=4\n")
	keys := []string{"sk-a-0123456789", "sk-b-0123456789", "sk-c-0123456789", "sk-d-0123456789"}
	if len(r.Items) != len(keys) || len(r.Invalid) != 0 {
		t.Fatalf("%+v", r)
	}
	for i, k := range keys {
		if r.Items[i].APIKey != k || r.Items[i].Username != string(rune('a'+i))+"@x" {
			t.Errorf("line %d: %+v, want key %s", i+1, r.Items[i], k)
		}
	}
}

// FuzzAccounts: any accounts array parses without panicking, into valid
// items, every element accounted for once.
func FuzzAccounts(f *testing.F) {
	f.Add(`["a@b----p----s----sk-k",{"api_key":"b","email":"e"},1,null,""]`)
	f.Fuzz(func(t *testing.T, in string) {
		var elems []json.RawMessage
		if json.Unmarshal([]byte(in), &elems) != nil {
			return
		}
		r := Accounts(elems)
		if len(r.Items)+len(r.Invalid)+r.Duplicates+r.Skipped != len(elems) {
			t.Fatalf("%d elements, accounted %d+%d+%d+%d", len(elems), len(r.Items), len(r.Invalid), r.Duplicates, r.Skipped)
		}
		for _, it := range r.Items {
			if CheckKey(it.APIKey) != "" || !headerSafe(it.APIKey) {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}
