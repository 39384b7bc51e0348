package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/systems"
	"github.com/crmload/crmload/mapping"
)

// served is a system's fake on 127.0.0.1 for one test, behind a handler
// that counts GETs and can fail them.
type served struct {
	fake sandbox.Fake
	url  string // connector base URL
	gets atomic.Int32
	// fail, when set, answers a GET instead of the fake (true: handled).
	fail atomic.Pointer[func(n int, w http.ResponseWriter, r *http.Request) bool]
}

func serveFake(t *testing.T, system string, opt sandbox.Options) *served {
	t.Helper()
	fake, err := systems.New().NewFake(system, opt)
	if err != nil {
		t.Fatal(err)
	}
	s := &served{fake: fake}
	srv, err := sandbox.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			n := int(s.gets.Add(1))
			if f := s.fail.Load(); f != nil && (*f)(n, w, r) {
				return
			}
		}
		fake.ServeHTTP(w, r)
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); fake.Close() })
	s.url = srv.URL + fake.BasePath()
	return s
}

// conn builds the system's connector against the fake, with its default
// credentials, for seeding.
func (s *served) conn(t *testing.T, system string) connector.Connector {
	t.Helper()
	c, err := systems.New().Connector(system, connector.Config{BaseURL: s.url, APIKey: sandbox.DefaultKey,
		Username: sandbox.DefaultUser, Password: sandbox.DefaultKey, HTTP: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seed writes records through the system's own connector (create mode).
func (s *served) seed(t *testing.T, system string, obj connector.Object, recs []mapping.Record) {
	t.Helper()
	c := s.conn(t, system)
	ctx := context.Background()
	if err := c.Prepare(ctx, obj, recs[0].Keys()); err != nil {
		t.Fatalf("prepare %s: %v", system, err)
	}
	for _, r := range recs {
		if _, err := c.Write(ctx, obj, r, connector.WriteOptions{Mode: connector.Create}); err != nil {
			t.Fatalf("seed %s: %v", system, err)
		}
	}
}

// exportJobFile writes an export job listing system's obj from url; extra
// is appended (mapping, run…) and may override nothing else.
func exportJobFile(t *testing.T, dir, system string, obj connector.Object, url, target, sourceExtra, extra string) string {
	t.Helper()
	text := fmt.Sprintf(`name: exp
source:
  system: %s
  object: %s
  base_url: %s
  auth: { api_key: "${KEY}", username: "${USER}", password: "${KEY}" }
%starget:
  file: %s
%s`, system, obj, url, sourceExtra, target, extra)
	path := filepath.Join(dir, "export.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func exportCLI(t *testing.T) *cli {
	c := newCLI(t)
	c.env["KEY"] = sandbox.DefaultKey
	c.env["USER"] = sandbox.DefaultUser
	return c
}

// readCSVRows reads a whole CSV file.
func readCSVRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// column returns the index of name in header, failing the test without it.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %q", name, header)
	return -1
}

// dirNames lists a directory, to catch partial files left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	return out
}
