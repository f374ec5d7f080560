package main

import (
	"fmt"
	"time"
)

// progress shows a spinner with a phase and elapsed time on a terminal's
// stderr; elsewhere it does nothing.
type progress struct {
	phase chan string
	done  chan struct{}
	quit  chan struct{}
}

func startProgress(e *env, phase string) *progress {
	p := &progress{}
	if !e.tty {
		return p
	}
	p.phase = make(chan string, 1)
	p.done = make(chan struct{})
	p.quit = make(chan struct{})
	go func() {
		defer close(p.done)
		frames := `|/-\`
		start := time.Now()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case phase = <-p.phase:
			case <-t.C:
			case <-p.quit:
				fmt.Fprint(e.stderr, "\r\033[K")
				return
			}
			fmt.Fprintf(e.stderr, "\r\033[K%c %s… %.1fs", frames[i%len(frames)], phase, time.Since(start).Seconds())
		}
	}()
	return p
}

func (p *progress) set(phase string) {
	if p.phase == nil {
		return
	}
	select {
	case p.phase <- phase:
	default:
	}
}

func (p *progress) stop() {
	if p.quit == nil {
		return
	}
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}
