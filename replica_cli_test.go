package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chipgraph/chipgraph/internal/pgtest"
)

// Replicas as users run them: `chipgraph serve` processes over one
// PostgreSQL schema, written and read over HTTP.

const replicaToken = "replica-test-token"

type replica struct {
	t      *testing.T
	name   string
	dsn    string
	cmd    *exec.Cmd
	addr   string
	stderr *lockedBuffer
	exited chan error
	args   []string // more flags for serve
}

// newReplica starts `chipgraph serve` over dsn.
func newReplica(t *testing.T, name, dsn string) *replica {
	r := &replica{t: t, name: name, dsn: dsn}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// startReplica starts `chipgraph serve` over dsn and waits until it is ready.
func startReplica(t *testing.T, name, dsn string) *replica {
	t.Helper()
	r := newReplica(t, name, dsn)
	r.waitReady(60 * time.Second)
	return r
}

func (r *replica) start() {
	r.cmd = exec.Command(binary(r.t), append([]string{"serve", "--addr", "127.0.0.1:0", "--db", r.dsn, "--max-lag", "1s"}, r.args...)...)
	r.cmd.Env = testEnv("CHIPGRAPH_TOKENS="+replicaToken, "CHIPGRAPH_CACHE_BYTES=0")
	r.stderr = &lockedBuffer{}
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, ch chan error) { ch <- cmd.Wait() }(r.cmd, r.exited)
	r.addr = ""
}

func (r *replica) stop() {
	if r.cmd.ProcessState == nil {
		r.cmd.Process.Kill()
		<-r.exited
	}
}

// waitReady waits for the serving address and a 200 from /readyz.
func (r *replica) waitReady(limit time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if r.addr == "" {
			r.addr = servingAddr(r.stderr.String())
		}
		if r.addr != "" {
			if code, _ := r.readyz(); code == http.StatusOK {
				return
			}
		}
		select {
		case err := <-r.exited:
			r.t.Fatalf("%s exited: %v\n%s", r.name, err, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			code, body := r.readyz()
			r.t.Fatalf("%s not ready after %v: %d %v\n%s", r.name, limit, code, body, r.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var replicaClient = &http.Client{Timeout: 10 * time.Second}

func (r *replica) readyz() (int, map[string]any) {
	resp, err := replicaClient.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// gql posts a query (with the write token) and returns the status, data and
// first error code.
func (r *replica) gql(query string) (int, map[string]any, string) {
	b, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+replicaToken)
	resp, err := replicaClient.Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Data   map[string]any
		Errors []struct{ Extensions struct{ Code string } }
	}
	json.Unmarshal(raw, &out)
	code := ""
	if len(out.Errors) > 0 {
		code = out.Errors[0].Extensions.Code
		if code == "" {
			code = string(raw)
		}
	}
	return resp.StatusCode, out.Data, code
}

func upsertCompany(id, source string) string {
	return fmt.Sprintf(`mutation{upsertEntity(input:{id:%q, kind:COMPANY, name:%q, sources:[%q]}){id}}`, id, "Company "+id, source)
}

// has reports whether r serves entity id.
func (r *replica) has(id string) bool {
	_, data, _ := r.gql(fmt.Sprintf(`{entity(id:%q){id}}`, id))
	e, _ := data["entity"].(map[string]any)
	return e != nil
}

// waitHas waits until r serves every id, returning how long that took.
func (r *replica) waitHas(ids ...string) time.Duration {
	r.t.Helper()
	start := time.Now()
	for _, id := range ids {
		for !r.has(id) {
			if time.Since(start) > 20*time.Second {
				r.t.Fatalf("%s does not serve %s after 20s\n%s", r.name, id, r.stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// state is what a replica serves: its revision and counts.
func (r *replica) state() string {
	_, data, code := r.gql(`{stats{entities relations sources version}}`)
	if code != "" {
		return "error " + code
	}
	b, _ := json.Marshal(data["stats"])
	return string(b)
}

// allAgree waits until every replica serves the same state, and fails if
// they do not within a bound.
func allAgree(t *testing.T, rs ...*replica) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		states := make([]string, len(rs))
		for i, r := range rs {
			states[i] = r.state()
		}
		if strings.HasPrefix(states[0], "error") {
			t.Fatalf("stats: %s", states[0])
		}
		if slices.IndexFunc(states, func(s string) bool { return s != states[0] }) < 0 {
			return states[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas disagree after 20s: %v", states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func replicaDSN(t *testing.T) string {
	pg := os.Getenv("CHIPGRAPH_TEST_POSTGRES")
	if pg == "" {
		t.Skip("CHIPGRAPH_TEST_POSTGRES is not set; .ci/run sets it")
	}
	return pgtest.FreshSchema(t, pg)
}

// TestReplicasOverPostgres runs three replicas over one schema: writes
// through one are read through the others, writes through two run at once,
// and one replica killed with SIGKILL in the middle of writing is restarted
// and catches up; all agree and no acknowledged write is lost.
func TestReplicasOverPostgres(t *testing.T) {
	dsn := replicaDSN(t)
	// Started together: each finds the store empty and seeds it; the
	// seeds serialise on the writers' lock and the later ones change
	// nothing.
	a, b, c := newReplica(t, "A", dsn), newReplica(t, "B", dsn), newReplica(t, "C", dsn)
	for _, r := range []*replica{a, b, c} {
		r.waitReady(60 * time.Second)
	}
	var wg sync.WaitGroup
	seeded := allAgree(t, a, b, c)
	t.Logf("seeded: %s", seeded)

	// Write through A, read through B and C.
	if st, _, code := a.gql(upsertCompany("via-a", "seed-article")); st != 200 || code != "" {
		t.Fatalf("write through A: %d %s", st, code)
	}
	t.Logf("A's write served by B after %v, by C after %v", b.waitHas("via-a"), c.waitHas("via-a"))

	// B validates against the database, not its copy: a source created
	// through A is citable through B at once.
	if st, _, code := a.gql(`mutation{upsertSource(input:{key:"src-via-a", title:"T", url:"https://example.org/a", publisher:"P", published:"2025"}){key}}`); st != 200 || code != "" {
		t.Fatalf("source through A: %d %s", st, code)
	}
	if st, _, code := b.gql(upsertCompany("cites-a", "src-via-a")); st != 200 || code != "" {
		t.Fatalf("write through B citing A's new source: %d %s", st, code)
	}

	// Concurrent writes through A and B.
	const n = 15
	var acked sync.Map
	for i, r := range []*replica{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range n {
				id := fmt.Sprintf("conc-%d-%d", i, j)
				if st, _, code := r.gql(upsertCompany(id, "seed-article")); st == 200 && code == "" {
					acked.Store(id, true)
				} else {
					t.Errorf("write %s through %s: %d %s", id, r.name, st, code)
				}
			}
		}()
	}
	// Meanwhile C writes until it is killed.
	killed := make(chan struct{})
	var viaC atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := 0; ; j++ {
			select {
			case <-killed:
				return
			default:
			}
			id := fmt.Sprintf("via-c-%d", j)
			if st, _, code := c.gql(upsertCompany(id, "seed-article")); st == 200 && code == "" {
				acked.Store(id, true)
				viaC.Add(1)
			}
		}
	}()
	// Kill C while it writes, once a few of its writes were acknowledged.
	for deadline := time.Now().Add(20 * time.Second); viaC.Load() < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
	close(killed)
	wg.Wait()

	// Restarted, C catches up; everyone agrees and holds every write
	// that was acknowledged.
	c.start()
	c.waitReady(60 * time.Second)
	final := allAgree(t, a, b, c)
	var ids []string
	acked.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return true })
	for _, r := range []*replica{a, b, c} {
		for _, id := range ids {
			if !r.has(id) {
				t.Errorf("%s lost acknowledged write %s", r.name, id)
			}
		}
	}
	t.Logf("%d acknowledged writes; final state %s", len(ids), final)
	if viaC.Load() < 3 {
		t.Errorf("C was killed after %d acknowledged writes, want 3", viaC.Load())
	}
}

// TestReplicaDatabaseUnreachable cuts one replica off PostgreSQL (through a
// proxy the test controls): it keeps serving reads, turns unready, refuses
// writes with an error, does not crash, and catches up when the database
// is back.
func TestReplicaDatabaseUnreachable(t *testing.T) {
	dsn := replicaDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	cut := *u
	cut.Host = p.addr
	a := startReplica(t, "A", dsn)
	b := startReplica(t, "B", cut.String())

	p.cut()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := b.readyz()
		if code == http.StatusServiceUnavailable && body["database"] == "unreachable" {
			t.Logf("unready: %v", body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d %v 20s after the database went away", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, data, code := b.gql(`{entity(id:"smic"){id}}`); st != 200 || code != "" || data["entity"] == nil {
		t.Errorf("read while the database is away: %d %s %v", st, code, data)
	}
	if st, _, code := b.gql(upsertCompany("while-cut", "seed-article")); code != "INTERNAL" {
		t.Errorf("write while the database is away: %d %q, want an INTERNAL error", st, code)
	}
	if st, _, code := a.gql(upsertCompany("during-cut", "seed-article")); st != 200 || code != "" {
		t.Fatalf("write through A: %d %s", st, code)
	}
	select {
	case err := <-b.exited:
		t.Fatalf("B exited while the database was away: %v\n%s", err, b.stderr.String())
	default:
	}

	p.restore()
	b.waitReady(30 * time.Second)
	b.waitHas("during-cut")
	allAgree(t, a, b)
	if b.has("while-cut") {
		t.Error("the write refused while the database was away landed")
	}
}

// proxy forwards TCP connections to a target until cut.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// cut closes the listener and every connection: new ones are refused.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() { p.listen(p.addr) }
