package sandbox

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

type streamItem struct {
	ID   int               `json:"id"`
	Name string            `json:"name,omitempty"`
	Tags []string          `json:"tags,omitempty"`
	Meta map[string]any    `json:"meta,omitempty"`
	At   time.Time         `json:"at"`
	Ptr  *string           `json:"ptr"`
	Opt  map[string]string `json:"opt,omitempty"`
}

type streamState struct {
	Version int           `json:"version"`
	Items   []streamItem  `json:"items"`
	Refs    []*streamItem `json:"refs,omitempty"`
	Empty   []int         `json:"empty,omitempty"`
	Nil     []int         `json:"nil"`
	Bytes   []byte        `json:"bytes"`
	Plain   string
	Skipped string `json:"-"`
	hidden  int
}

func TestEncodeStreamMatchesMarshal(t *testing.T) {
	s := "x<&>"
	tests := []struct {
		name string
		v    any
	}{
		{"zero", streamState{}},
		{"full", &streamState{Version: 2, Items: []streamItem{{ID: 1, Name: "a", Tags: []string{"t"}, Meta: map[string]any{"k": 1.5}},
			{ID: 2, Ptr: &s, At: time.Unix(5, 0).UTC()}}, Refs: []*streamItem{nil, {ID: 3}}, Empty: []int{},
			Bytes: []byte("hi"), Plain: "p", Skipped: "no", hidden: 1}},
		{"not a struct", map[string]int{"n": 1}},
		{"a slice", []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := EncodeStream(&got, tt.v); err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, got.Bytes()); err != nil {
				t.Fatalf("EncodeStream wrote invalid JSON %s: %v", got.String(), err)
			}
			if compact.String() != string(want) {
				t.Errorf("EncodeStream\n got %s\nwant %s", got.String(), want)
			}
		})
	}
}

func TestDecodeStreamMatchesUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"full", `{"version":2,"items":[{"id":1,"name":"a","tags":["t"]},{"id":2,"ptr":"p"}],"refs":[null,{"id":3}],"bytes":"aGk=","Plain":"p"}`},
		{"case-insensitive keys and unknown ones", `{"VERSION":3,"Items":[{"id":4}],"unknown":{"deep":[1,2,{"x":null}]},"plain":"q"}`},
		{"null arrays", `{"items":null,"refs":null}`},
		{"empty object", `{}`},
		{"null", `null`},
		{"trailing data is not read", `{"version":1} garbage`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Both start from the same filled value: Unmarshal replaces
			// slices and keeps fields the input does not name.
			prefill := func() *streamState {
				return &streamState{Version: 9, Items: []streamItem{{ID: 7}, {ID: 8}}, Plain: "old"}
			}
			want := prefill()
			if err := json.NewDecoder(strings.NewReader(tt.in)).Decode(want); err != nil {
				t.Fatal(err)
			}
			got := prefill()
			if err := DecodeStream(strings.NewReader(tt.in), got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeStream\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// A pointer to a nil pointer is filled only when the file holds an object.
func TestDecodeStreamPointerToPointer(t *testing.T) {
	var st *streamState
	if err := DecodeStream(strings.NewReader(`null`), &st); err != nil || st != nil {
		t.Fatalf("null: %v, %v", st, err)
	}
	if err := DecodeStream(strings.NewReader(`{"version":4}`), &st); err != nil || st == nil || st.Version != 4 {
		t.Fatalf("object: %+v, %v", st, err)
	}
}

func TestDecodeStreamErrors(t *testing.T) {
	for _, in := range []string{``, `{"version":`, `[1]`, `{"items":{}}`, `{"items":[{"id":"x"}]}`, `{"version":1`} {
		var st streamState
		if err := DecodeStream(strings.NewReader(in), &st); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// Saved and loaded back through the streaming path, a state is unchanged.
func FuzzStreamRoundTrip(f *testing.F) {
	f.Add(`{"version":1,"items":[{"id":1,"name":"a"}]}`)
	f.Add(`{"items":[{"tags":["x","y"],"meta":{"a":[1,"b",null]}}],"refs":[null]}`)
	f.Fuzz(func(t *testing.T, in string) {
		var want streamState
		if json.Unmarshal([]byte(in), &want) != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeStream(&buf, want); err != nil {
			return // e.g. a float json cannot write back
		}
		var got streamState
		if err := DecodeStream(&buf, &got); err != nil {
			t.Fatalf("decode %s: %v", buf.String(), err)
		}
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(got)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip of %s\n got %s\nwant %s", in, b, a)
		}
	})
}
