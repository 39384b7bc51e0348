package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSamplesUpToDate regenerates the samples and compares them with the
// committed ones, so a change to the generator cannot leave them stale and
// a source of non-determinism shows up as a diff.
func TestSamplesUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hubspot-contacts.csv", "hubspot-contacts.xlsx", "README.md"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("..", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("samples/data/%s is stale: run go run ./samples/gen from the repository root", name)
		}
	}
}
