// Package sandbox holds what every fake CRM server shares: serving on
// 127.0.0.1 on a port the OS picks, rate limits per API key and per
// organisation (token buckets, or Close's fixed windows), injected faults
// (latency, 429s, 5xx, timeouts after the work was done) and atomic state
// files. Each system's fake lives in a sub-package and imitates its API as
// documented in shared/seeds.
package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/crmload/crmload/internal/atomicfile"
)

// Server is a sandbox listening on 127.0.0.1.
type Server struct {
	URL string // e.g. http://127.0.0.1:41234
	srv *http.Server
}

// Start serves h on 127.0.0.1 at a port the OS picks (or at addr when given,
// e.g. "127.0.0.1:8080").
func Start(h http.Handler, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listen: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server at once, dropping open connections.
func (s *Server) Close() error { return s.srv.Close() }

// Shutdown stops the server after in-flight requests finish or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// SaveJSON writes v to path atomically (see package atomicfile), piece by
// piece (v's own WriteJSON when it is a JSONWriter, else EncodeStream).
func SaveJSON(path string, v any) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 256<<10)
		var err error
		if jw, ok := v.(JSONWriter); ok {
			err = jw.WriteJSON(bw)
		} else {
			err = EncodeStream(bw, v)
		}
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		if _, err := bw.WriteString("\n"); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	return nil
}

// LoadJSON reads v from path piece by piece (DecodeStream); a missing file
// leaves v untouched and is not an error.
func LoadJSON(path string, v any) error {
	return LoadStream(path, func(r io.Reader) error { return DecodeStream(r, v) })
}

// LoadStream calls read with the content of path, buffered; a missing file
// is not read and is not an error.
func LoadStream(path string, read func(io.Reader) error) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load sandbox state: %w", err)
	}
	defer f.Close()
	if err := read(bufio.NewReaderSize(f, 256<<10)); err != nil {
		return fmt.Errorf("load sandbox state %s: %w", path, err)
	}
	return nil
}
