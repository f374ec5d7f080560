package graph

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/lib/pq"
)

// follower keeps a store over PostgreSQL up with the writes of the other
// processes over the same database: it listens on the schema's NOTIFY
// channel, and on every notification, and once a second in case one was
// missed or the connection dropped, reads the revision and applies the
// change log after its own.
type follower struct {
	s    *CayleyStore
	be   *pgBackend
	quit chan struct{}
	done chan struct{}

	mu          sync.Mutex
	latest      uint64    // newest revision seen in the database
	behindSince time.Time // when this process first saw a revision it has not applied
	err         error     // last failure to reach the database
	errSince    time.Time
}

// pollInterval is how often a follower checks the revision without a
// notification.
const pollInterval = time.Second

func startFollower(s *CayleyStore, be *pgBackend) *follower {
	f := &follower{s: s, be: be, quit: make(chan struct{}), done: make(chan struct{}), latest: s.Version()}
	go f.run()
	return f
}

func (f *follower) run() {
	defer close(f.done)
	notify := make(chan struct{}, 1)
	l := pq.NewListener(f.be.dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			f.fail(err)
		}
	})
	defer l.Close()
	if err := l.Listen(f.be.channel); err != nil {
		f.fail(err)
	}
	go func() {
		for n := range l.Notify {
			if n != nil {
				if rev, err := strconv.ParseUint(n.Extra, 10, 64); err == nil {
					f.saw(rev)
				}
			}
			// nil after a reconnect: notifications may have been missed.
			select {
			case notify <- struct{}{}:
			default:
			}
		}
	}()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-f.quit:
			return
		case <-notify:
		case <-tick.C:
		}
		f.sync()
	}
}

func (f *follower) stop() {
	close(f.quit)
	<-f.done
}

// sync reads the database's revision and catches up to it.
func (f *follower) sync() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rev uint64
	qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
	err := f.be.db.QueryRowContext(qctx, `SELECT revision FROM chipgraph_revision`).Scan(&rev)
	qcancel()
	if err != nil {
		f.fail(err)
		return
	}
	f.saw(rev)
	if rev <= f.s.Version() {
		f.ok()
		return
	}
	if err := f.s.followLog(ctx, f.be); err != nil {
		f.fail(err)
		return
	}
	f.ok()
}

// saw records that the database has reached rev.
func (f *follower) saw(rev uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rev > f.latest {
		f.latest = rev
	}
	if f.latest > f.s.Version() && f.behindSince.IsZero() {
		f.behindSince = time.Now()
	}
}

func (f *follower) ok() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.errSince = nil, time.Time{}
	if f.s.Version() >= f.latest {
		f.behindSince = time.Time{}
	}
}

func (f *follower) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.errSince = time.Now()
	}
	f.err = err
}

func (f *follower) status() SyncStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	rev := f.s.Version()
	st := SyncStatus{Shared: true, Revision: rev, Latest: max(f.latest, rev), Err: f.err}
	now := time.Now()
	if rev < f.latest && !f.behindSince.IsZero() {
		st.Lag = now.Sub(f.behindSince)
	}
	if f.err != nil {
		st.Lag = max(st.Lag, now.Sub(f.errSince))
	}
	return st
}

// followLog applies the change log after the current revision, or reads
// the whole graph again when the log does not reach back that far.
func (s *CayleyStore) followLog(ctx context.Context, be *pgBackend) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur := s.cur.Load()
	if cur == nil {
		return errClosed
	}
	tx, err := be.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	b := cur.edit()
	tc := s.textChange(cur)
	last := cur.rev
	err = readChanges(ctx, tx, cur.rev, func(rev uint64, c *changeSet) error {
		c = s.own(c, b.p)
		c.applyTo(b)
		tc.add(c)
		last = rev
		return nil
	})
	if errors.Is(err, errLogPruned) {
		snap, err := s.rebuild(ctx)
		if err != nil {
			return err
		}
		if snap.rev > cur.rev {
			s.publish(snap, nil)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if last > cur.rev {
		s.publish(b.finish(last), tc)
	}
	return nil
}
