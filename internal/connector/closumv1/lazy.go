package closumv1

import (
	"context"
	"sync"
)

// flight is one load in progress; done closes when val and err are set.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// lazy loads a value once, on first use, sharing one load among concurrent
// callers. A failed load is not kept: the next call tries again.
type lazy[T any] struct {
	mu     sync.Mutex
	done   bool
	val    T
	flight *flight[T]
}

// get returns the value, loading it with load when it is not loaded yet.
// A caller waiting on another's load stops waiting when its ctx ends, and
// starts a load of its own when the other's ended only by its ctx.
func (l *lazy[T]) get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	for {
		l.mu.Lock()
		if l.done {
			v := l.val
			l.mu.Unlock()
			return v, nil
		}
		if f := l.flight; f != nil {
			l.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
			if f.err != nil && isContextErr(f.err) && ctx.Err() == nil {
				continue
			}
			return f.val, f.err
		}
		f := &flight[T]{done: make(chan struct{})}
		l.flight = f
		l.mu.Unlock()
		l.run(ctx, f, load)
		return f.val, f.err
	}
}

// run performs one load and publishes it, even if load panics.
func (l *lazy[T]) run(ctx context.Context, f *flight[T], load func(context.Context) (T, error)) {
	defer func() {
		l.mu.Lock()
		l.flight = nil
		if f.err == nil {
			l.done, l.val = true, f.val
		}
		l.mu.Unlock()
		close(f.done)
	}()
	f.err = panicked{} // replaced unless load panics
	f.val, f.err = load(ctx)
}

// loaded reports whether the value is there, without loading it.
func (l *lazy[T]) loaded() (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.val, l.done
}

// panicked is the outcome waiters see when a load panicked.
type panicked struct{}

func (panicked) Error() string { return "closum-v1: load panicked" }

// started reports whether the value is loaded or being loaded.
func (l *lazy[T]) started() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done || l.flight != nil
}
