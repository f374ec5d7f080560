package schema

import (
	"context"
	"sync"
	"time"
)

// requestContext is the context resolvers get: the caller's, with the
// request's deadline, and the execution as its value (execKey). It lives
// inside the execution, so it costs no allocation of its own, and it
// starts no timer unless something waits on Done: the store's walks poll
// Err, which reads the clock, while database/sql and other waiters call
// Done, which makes the timer then. (context.WithTimeout and the two
// WithValue it replaces were a fifth of a small query's fixed cost.)
type requestContext struct {
	parent context.Context
	// deadline is the request's; zero when the parent's deadline comes
	// first and so is the request's.
	deadline time.Time
	x        *execution

	timerOnce sync.Once
	timed     context.Context // parent with the deadline, made by Done
	stop      context.CancelFunc
}

type execKey struct{}

func (c *requestContext) Deadline() (time.Time, bool) {
	if c.deadline.IsZero() {
		return c.parent.Deadline()
	}
	return c.deadline, true
}

func (c *requestContext) Done() <-chan struct{} {
	if c.deadline.IsZero() {
		return c.parent.Done()
	}
	c.timerOnce.Do(func() { c.timed, c.stop = context.WithDeadline(c.parent, c.deadline) })
	return c.timed.Done()
}

// Err is the parent's error, or DeadlineExceeded once the deadline has
// passed; like WithDeadline's, but read from the clock, so it may turn a
// few microseconds before Done's timer fires.
func (c *requestContext) Err() error {
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !c.deadline.IsZero() && time.Until(c.deadline) <= 0 { // Until reads only the monotonic clock
		return context.DeadlineExceeded
	}
	return nil
}

func (c *requestContext) Value(key any) any {
	if key == (execKey{}) {
		return c.x
	}
	return c.parent.Value(key)
}

// finish stops the timer, if Done made one. Done called later gives the
// parent's channel: the request is over.
func (c *requestContext) finish() {
	c.timerOnce.Do(func() { c.timed = c.parent })
	if c.stop != nil {
		c.stop()
	}
}

// requestOf gives the execution running the resolver whose context is ctx,
// or nil outside the executor.
func requestOf(ctx context.Context) *execution {
	x, _ := ctx.Value(execKey{}).(*execution)
	return x
}
