package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestReplicaRestartFromSnapshot kills a replica that keeps a snapshot file
// with SIGKILL while it writes, writes more through another, and restarts
// it: it starts from its file and the change log after it, not by reading
// the whole graph, and serves what the other does, every acknowledged
// write included.
func TestReplicaRestartFromSnapshot(t *testing.T) {
	dsn := replicaDSN(t)
	file := filepath.Join(t.TempDir(), "a.snapshot")
	a := &replica{t: t, name: "A", dsn: dsn, args: []string{"--snapshot", file, "--snapshot-every", "100ms"}}
	a.start()
	t.Cleanup(a.stop)
	a.waitReady(60 * time.Second)
	b := startReplica(t, "B", dsn)
	if _, body := a.readyz(); start(body)["from"] != "database" {
		t.Errorf("A's first start: %v, want from the database (no file yet)", body)
	}

	// A writes until it is killed, once it has written a snapshot file
	// and had writes acknowledged after it.
	var acked []string
	var ackedAfterFile atomic.Int32
	killed := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for j := 0; ; j++ {
			select {
			case <-killed:
				return
			default:
			}
			id := fmt.Sprintf("via-a-%d", j)
			if st, _, code := a.gql(upsertCompany(id, "seed-article")); st == 200 && code == "" {
				acked = append(acked, id)
				if _, body := a.readyz(); body["snapshotRevision"] != nil {
					ackedAfterFile.Add(1)
				}
			}
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ackedAfterFile.Load() < 5 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
	close(killed)
	<-done
	if ackedAfterFile.Load() < 5 {
		t.Fatalf("A wrote no snapshot file, or no write was acknowledged after it, in 30s\n%s", a.stderr.String())
	}

	// B writes on meanwhile.
	const more = 5
	for j := range more {
		id := fmt.Sprintf("via-b-%d", j)
		if st, _, code := b.gql(upsertCompany(id, "seed-article")); st != 200 || code != "" {
			t.Fatalf("write %s through B: %d %s", id, st, code)
		}
		acked = append(acked, id)
	}

	a.start()
	a.waitReady(60 * time.Second)
	_, body := a.readyz()
	st := start(body)
	if st["from"] != "snapshot" {
		t.Fatalf("restarted A: %v, want a start from its snapshot file\n%s", body, a.stderr.String())
	}
	snapRev, applied, rev := st["snapshotRevision"].(float64), st["applied"].(float64), st["revision"].(float64)
	if applied < more || snapRev+applied != rev {
		t.Errorf("restarted A: snapshot at %v + %v applied changes = revision %v; want at least B's %d writes applied", snapRev, applied, rev, more)
	}
	if !strings.Contains(a.stderr.String(), fmt.Sprintf("started from snapshot at revision %v, applied %v logged changes", snapRev, applied)) {
		t.Errorf("restarted A does not log how it started:\n%s", a.stderr.String())
	}
	final := allAgree(t, a, b)
	for _, r := range []*replica{a, b} {
		for _, id := range acked {
			if !r.has(id) {
				t.Errorf("%s lost acknowledged write %s", r.name, id)
			}
		}
	}
	t.Logf("A restarted from its snapshot at revision %v, applied %v logged changes; %d acknowledged writes; both at %s",
		snapRev, applied, len(acked), final)
}

// start is the "start" object of a /readyz answer.
func start(body map[string]any) map[string]any {
	st, _ := body["start"].(map[string]any)
	return st
}

// TestSnapshotFlag: --snapshot is for a replica over PostgreSQL; elsewhere,
// or with a bad --snapshot-every, serve refuses to start, naming the flag.
func TestSnapshotFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--snapshot", filepath.Join(t.TempDir(), "x")}, "--snapshot (or CHIPGRAPH_SNAPSHOT) is for a replica over PostgreSQL"},
		{[]string{"--db", "bolt:" + filepath.Join(t.TempDir(), "g.db"), "--snapshot", "x"}, "is for a replica over PostgreSQL"},
		{[]string{"--snapshot-every", "0s"}, "--snapshot-every 0s: want a positive duration"},
	} {
		r := chipgraph(t, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("serve %v: exit %d, want %d with %q\n%s", tc.args, r.code, exitUsage, tc.want, r.stderr)
		}
	}
}
