package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Off a terminal: plain lines, no control characters, and nothing after Finish.
func TestLinesOffTerminal(t *testing.T) {
	var buf syncBuffer
	m := New(&buf, 100, "job", 10*time.Millisecond)
	m.Add(40)
	time.Sleep(50 * time.Millisecond)
	m.Finish()
	out := buf.String()
	if !strings.Contains(out, "job: 40/100 rows (") {
		t.Fatalf("output %q", out)
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Fatalf("control characters in a log: %q", out)
	}
	n := len(out)
	time.Sleep(40 * time.Millisecond)
	if len(buf.String()) != n {
		t.Fatal("still printing after Finish")
	}
}
