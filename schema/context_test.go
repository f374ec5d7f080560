package schema

import (
	"context"
	"errors"
	"testing"
	"time"
)

type otherKey struct{}

// TestRequestContext: the context resolvers get keeps the context
// contract without a timer until Done is called: Err turns at the
// deadline whether or not anyone waits, Done closes at the deadline or
// with the parent, values pass through, and finish stops the timer.
func TestRequestContext(t *testing.T) {
	parent := context.WithValue(context.Background(), otherKey{}, "kept")
	newCtx := func(parent context.Context, d time.Duration) *requestContext {
		x := &execution{}
		x.ctx = requestContext{parent: parent, deadline: time.Now().Add(d), x: x}
		return &x.ctx
	}

	c := newCtx(parent, 30*time.Millisecond)
	if dl, ok := c.Deadline(); !ok || !dl.Equal(c.deadline) {
		t.Errorf("Deadline() = %v, %v; want %v, true", dl, ok, c.deadline)
	}
	if got := c.Value(otherKey{}); got != "kept" {
		t.Errorf("a parent's value: %v", got)
	}
	if requestOf(c) != c.x {
		t.Error("requestOf does not give the execution")
	}
	if c.Err() != nil {
		t.Fatalf("Err before the deadline: %v", c.Err())
	}
	time.Sleep(40 * time.Millisecond) // no one waited on Done: no timer ran
	if c.stop != nil {
		t.Error("a timer was made though no one called Done")
	}
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Err after the deadline, no timer: %v", err)
	}
	select {
	case <-c.Done(): // the deadline has passed: closed at once
	case <-time.After(time.Second):
		t.Error("Done not closed after the deadline")
	}

	c = newCtx(parent, 20*time.Millisecond)
	select {
	case <-c.Done():
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("Err once Done closed at the deadline: %v", c.Err())
		}
	case <-time.After(time.Second):
		t.Error("Done not closed at the deadline")
	}
	c.finish()

	cancellable, cancel := context.WithCancel(parent)
	c = newCtx(cancellable, time.Hour)
	done := c.Done()
	cancel()
	select {
	case <-done:
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err after the parent's cancellation: %v", c.Err())
		}
	case <-time.After(time.Second):
		t.Error("the parent's cancellation did not close Done")
	}
	c.finish()

	c = newCtx(parent, time.Hour)
	c.finish()
	if c.Done() != parent.Done() {
		t.Error("Done after finish is not the parent's")
	}

	// A zero deadline: the parent's deadline is the request's.
	withDeadline, cancel2 := context.WithTimeout(parent, time.Minute)
	defer cancel2()
	x := &execution{}
	x.ctx = requestContext{parent: withDeadline, x: x}
	want, _ := withDeadline.Deadline()
	if dl, ok := x.ctx.Deadline(); !ok || !dl.Equal(want) {
		t.Errorf("Deadline() with the parent's = %v, %v; want %v", dl, ok, want)
	}
	if x.ctx.Done() != withDeadline.Done() {
		t.Error("Done with the parent's deadline is not the parent's")
	}
}
