// Package progress shows how a run is going: a progress bar on a terminal,
// and off a terminal (a log file, CI) one plain status line every few
// seconds, since a redrawn bar would fill a log with control characters and
// progressbar fsyncs a file on every redraw.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Meter counts finished rows and shows them.
type Meter interface {
	Add(n int)
	// Finish stops the display (the bar completes its line, the logger
	// prints a last status).
	Finish()
}

// New returns a Meter writing to w: a bar when w is a terminal, else a
// status line every interval. total < 0 means unknown.
func New(w io.Writer, total int, label string, interval time.Duration) Meter {
	if IsTerminal(w) {
		return &bar{b: progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)}
	}
	l := &lines{w: w, label: label, total: total, start: time.Now(), done: make(chan struct{}), exited: make(chan struct{})}
	go l.loop(interval)
	return l
}

// IsTerminal reports whether w is a terminal (where a bar may be drawn).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type bar struct{ b *progressbar.ProgressBar }

func (b *bar) Add(n int) { _ = b.b.Add(n) }
func (b *bar) Finish()   { _ = b.b.Finish() }

// lines prints "label: 1200/5000 rows (240.0 rows/s)" every interval.
type lines struct {
	w     io.Writer
	label string
	total int
	start time.Time

	mu     sync.Mutex
	n      int
	once   sync.Once
	done   chan struct{}
	exited chan struct{} // closed when loop has returned: nothing prints after Finish
}

func (l *lines) Add(n int) {
	l.mu.Lock()
	l.n += n
	l.mu.Unlock()
}

func (l *lines) loop(every time.Duration) {
	defer close(l.exited)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.print()
		case <-l.done:
			return
		}
	}
}

func (l *lines) print() {
	l.mu.Lock()
	n := l.n
	l.mu.Unlock()
	rate := float64(n) / max(time.Since(l.start).Seconds(), 1e-9)
	if l.total >= 0 {
		fmt.Fprintf(l.w, "%s: %d/%d rows (%.1f rows/s)\n", l.label, n, l.total, rate)
		return
	}
	fmt.Fprintf(l.w, "%s: %d rows (%.1f rows/s)\n", l.label, n, rate)
}

// Finish stops the status lines and waits until the last one is written,
// so the caller may print after it without interleaving (or racing).
func (l *lines) Finish() {
	l.once.Do(func() { close(l.done) })
	<-l.exited
}
