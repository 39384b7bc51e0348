package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteJSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b.json")
	if err := WriteJSON(path, map[string]int{"x": 1}); err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if found, err := ReadJSON(path, &got); !found || err != nil || got["x"] != 1 {
		t.Fatalf("read %v %v %v", got, found, err)
	}
	if found, err := ReadJSON(path+".missing", &got); found || err != nil {
		t.Fatalf("missing file: %v %v", found, err)
	}
}

// A failed write leaves the old file whole and no temp file behind.
func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("old"), 0o644)
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("disk on fire")
	})
	if err == nil {
		t.Fatal("want the error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("file is %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}
