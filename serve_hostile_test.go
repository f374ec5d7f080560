package main

// The hostile-request suite (issue 10): every request a stranger can send
// gets an answer within the server's timeout plus one second, a clear 4xx
// error (never a stack trace or a Go internal message), leaves the process
// alive and within 1.5 GB of memory, and leaves no goroutine behind.
//
// It runs the real binary (`chipgraph serve`, memory store, curated data)
// with short timeouts so the suite is quick, sends each reproduction of the
// issue and more of each family at several sizes, one at a time, and checks
// after each one. A case that stalls, crashes the server or pushes it past
// the memory bound fails, and the server is restarted for the next case so
// one failure does not hide the others (or keep burning the machine's cores).
//
// The file sorts after the package's other tests so it runs last: while the
// lead's rewrite of the parser and validator is pending, its failing cases
// take the whole bound each, and it stops (failing the rest) as the test
// binary's -timeout nears rather than let the deadline kill other tests.
//
// The time bounds here are the exception to "no timing thresholds in tests":
// the server's own timeout is what is under test, and the bound is the
// contract the issue sets.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/chipgraph/chipgraph/schema"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

const (
	hostileTimeout     = 2 * time.Second // serve --timeout
	hostileReadTimeout = 2 * time.Second // serve --read-timeout
	// hostileBound is the contract: an answer within the timeout plus 1 s.
	hostileBound = hostileTimeout + time.Second
	// hostileMaxRSS bounds the server's peak resident memory over the suite.
	hostileMaxRSS = 1536 << 20
	// hostileMaxErrorBody bounds an error response: a hostile document must
	// not turn a 1 MiB request into a many-megabyte list of errors.
	hostileMaxErrorBody = 256 << 10
	// hostileGoroutineSlack is how far above its idle count the server's
	// goroutines may be once settled: none, as a request still running
	// after its client left holds just one.
	hostileGoroutineSlack = 0
)

// hostileLeakMarkers must never appear in an answer: they come from stack
// traces, panics and Go's internal errors.
var hostileLeakMarkers = []string{"goroutine ", "runtime.", "panic", ".go:", "fatal error",
	"stack overflow", "github.com/", "invalid memory address", "nil pointer"}

// hostileCase is one hostile request. build makes it (outside the timed
// part); custom replaces the single request with its own exchange.
type hostileCase struct {
	name   string
	build  func(base string) (*http.Request, error)
	status []int // acceptable statuses; nil means any 4xx
	// dropOK allows the server to close the connection without an answer
	// (a request it must refuse before reading it, such as huge headers).
	dropOK bool
	custom func(h *hostileServer) hostileOutcome
}

type hostileFamily struct {
	name  string
	cases []hostileCase
}

// hostileOutcome is what a case observed.
type hostileOutcome struct {
	status   int
	code     string
	elapsed  time.Duration
	size     int
	timedOut bool
	problems []string
}

func (o *hostileOutcome) problem(format string, args ...any) {
	o.problems = append(o.problems, fmt.Sprintf(format, args...))
}

func TestHostileRequests(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the hostile-request suite reads the server's memory from /proc (Linux only)")
	}
	h := startHostile(t)
	defer h.stop()
	suiteStart := time.Now()
	var rows []string
	for _, fam := range hostileFamilies() {
		t.Run(fam.name, func(t *testing.T) {
			for _, c := range fam.cases {
				t.Run(c.name, func(t *testing.T) {
					// Failing cases each take the whole bound; rather than
					// let the test binary's deadline kill the package's
					// output, fail the cases there is no time left for.
					if d, ok := t.Deadline(); ok && time.Until(d) < 30*time.Second {
						t.Errorf("not run: the test binary's -timeout is %v away", time.Until(d).Round(time.Second))
						rows = append(rows, fmt.Sprintf("%-60s not run (no time left)", fam.name+"/"+c.name))
						return
					}
					rows = append(rows, h.run(t, fam.name, c))
				})
			}
			if err := h.goroutinesSettle(); err != nil {
				t.Errorf("after the %s family: %v", fam.name, err)
			}
		})
	}
	if err := h.goroutinesSettle(); err != nil {
		t.Errorf("after the suite: %v", err)
	}
	if peak := h.suitePeak.Load(); peak >= hostileMaxRSS {
		t.Errorf("peak RSS over the suite %s; the bound is %s", mib(peak), mib(hostileMaxRSS))
	}
	t.Logf("hostile suite: %d cases in %v, %d server restarts, peak RSS %s\n%-60s %-7s %-30s %9s %10s  %s\n%s",
		len(rows), time.Since(suiteStart).Round(100*time.Millisecond), h.restarts, mib(h.suitePeak.Load()),
		"case", "status", "code", "time", "peak RSS", "verdict", strings.Join(rows, "\n"))
}

// ---- the server under test ----

type hostileServer struct {
	t        *testing.T
	bin      string
	client   *http.Client
	restarts int

	*hostileProc                   // the server under test
	spare        chan hostileSpare // the next one, started ahead

	stopMonitor chan struct{}
	monitorDone chan struct{}
	casePeak    atomic.Int64 // highest RSS sampled during the current case
	suitePeak   atomic.Int64 // highest VmHWM of any server process
	rssKilled   atomic.Bool
}

// hostileProc is one `chipgraph serve` process.
type hostileProc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
	addr   string
	base   string
	idle   int // goroutines when idle, measured at start
}

type hostileSpare struct {
	p   *hostileProc
	err error
}

func startHostile(t *testing.T) *hostileServer {
	h := &hostileServer{t: t, bin: binary(t), client: &http.Client{
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4,
			MaxResponseHeaderBytes: 1 << 20},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	h.startSpare()
	h.promote()
	return h
}

// startSpare starts the next server in the background: a case that stalls
// or kills the server is followed by a restart, and a ready spare makes it
// cost nothing but the swap.
func (h *hostileServer) startSpare() {
	h.spare = make(chan hostileSpare, 1)
	go func() {
		p, err := h.launch()
		h.spare <- hostileSpare{p, err}
	}()
}

// promote makes the spare the server under test and starts another spare.
func (h *hostileServer) promote() {
	sp := <-h.spare
	if sp.err != nil {
		h.t.Fatal(sp.err)
	}
	h.hostileProc = sp.p
	h.rssKilled.Store(false)
	h.stopMonitor, h.monitorDone = make(chan struct{}), make(chan struct{})
	go h.monitor(h.cmd.Process.Pid, h.stopMonitor, h.monitorDone)
	h.startSpare()
}

// launch starts a server and waits for it to be healthy and idle.
func (h *hostileServer) launch() (*hostileProc, error) {
	cmd := exec.Command(h.bin, "serve", "--addr", "127.0.0.1:0", "--db", "memory:",
		"--timeout", hostileTimeout.String(), "--read-timeout", hostileReadTimeout.String())
	cmd.Env = testEnv()
	p := &hostileProc{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.addr == "" {
			p.addr = servingAddr(p.stderr.String())
			p.base = "http://" + p.addr
		}
		if p.addr != "" && h.healthyAt(p) == nil {
			break
		}
		if !p.running() {
			return nil, fmt.Errorf("serve exited at start:\n%s", p.stderr.String())
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("no healthy /healthz (addr %q) within 60s\n%s", p.addr, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Warm up what a server builds once, on first use, and keeps: the
	// full-text index (its own goroutines stay for the index's life).
	if err := h.warmUp(p); err != nil {
		p.kill()
		return nil, fmt.Errorf("warming up a fresh server: %v", err)
	}
	// Idle: the most of a few samples. A scrape counts its own connection's
	// goroutines, or not yet all of them, so samples vary by one or two
	// downwards; a request left running adds one.
	for range 5 {
		n, _, err := h.goroutinesAt(p)
		if err != nil {
			p.kill()
			return nil, fmt.Errorf("goroutines of a fresh server: %v", err)
		}
		p.idle = max(p.idle, n)
		time.Sleep(50 * time.Millisecond)
	}
	return p, nil
}

// monitor samples the server's memory; beyond the bound it kills the
// server, so a runaway request cannot take the machine's memory with it.
func (h *hostileServer) monitor(pid int, stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		rss, hwm, err := procMemory(pid)
		if err != nil {
			continue
		}
		atomicMax(&h.casePeak, rss)
		atomicMax(&h.suitePeak, hwm)
		if rss >= hostileMaxRSS {
			h.rssKilled.Store(true)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return
		}
	}
}

func atomicMax(v *atomic.Int64, x int64) {
	for {
		old := v.Load()
		if x <= old || v.CompareAndSwap(old, x) {
			return
		}
	}
}

// procMemory returns VmRSS and VmHWM of pid in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	return rss, hwm, nil
}

func (p *hostileProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *hostileProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (h *hostileServer) stopMonitoring() {
	if h.stopMonitor != nil {
		close(h.stopMonitor)
		<-h.monitorDone
		h.stopMonitor = nil
	}
}

func (h *hostileServer) restart() {
	h.stopMonitoring()
	h.kill()
	h.client.CloseIdleConnections()
	h.restarts++
	h.promote()
}

// stop ends the server gracefully, as an operator would, and the spare.
func (h *hostileServer) stop() {
	h.stopMonitoring()
	if sp := <-h.spare; sp.p != nil {
		sp.p.kill()
	}
	if !h.running() {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		h.t.Errorf("serve did not stop within 15s of SIGTERM")
		h.kill()
	}
}

func (h *hostileServer) healthy() error { return h.healthyAt(h.hostileProc) }

// warmUp sends one search, which builds the full-text index.
func (h *hostileServer) warmUp(p *hostileProc) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/graphql", strings.NewReader(`{"query":"{search(text:\"SMIC\"){id}}"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("search: %d", resp.StatusCode)
	}
	return nil
}

func (h *hostileServer) healthyAt(p *hostileProc) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/healthz", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %d", resp.StatusCode)
	}
	return nil
}

// goroutines reads go_goroutines and chipgraph_http_requests_in_flight
// (which counts the scrape itself) from /metrics, over a connection of its
// own that is closed after.
func (h *hostileServer) goroutines() (goroutines, inFlight int, err error) {
	return h.goroutinesAt(h.hostileProc)
}

func (h *hostileServer) goroutinesAt(p *hostileProc) (goroutines, inFlight int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/metrics", nil)
	req.Close = true
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	found := 0
	for sc.Scan() {
		for name, v := range map[string]*int{"go_goroutines ": &goroutines, "chipgraph_http_requests_in_flight ": &inFlight} {
			if x, ok := strings.CutPrefix(sc.Text(), name); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
				if err != nil {
					return 0, 0, err
				}
				*v = int(f)
				found++
			}
		}
	}
	if found != 2 {
		return 0, 0, errors.New("/metrics lacks go_goroutines or chipgraph_http_requests_in_flight")
	}
	return goroutines, inFlight, nil
}

// goroutinesSettle waits up to the bound for the server to be idle again:
// no request in flight but the scrape asking, and its goroutines back at
// their idle count (so no goroutine outlives its request either).
func (h *hostileServer) goroutinesSettle() error {
	if !h.running() {
		return nil // a crash is reported by the case that caused it
	}
	h.client.CloseIdleConnections()
	deadline := time.Now().Add(hostileBound)
	settled := 0 // samples in a row at or below idle: one could be a dip
	for {
		n, inFlight, err := h.goroutines()
		if err != nil {
			return fmt.Errorf("reading /metrics: %v", err)
		}
		if n <= h.idle+hostileGoroutineSlack && inFlight <= 1 {
			if settled++; settled == 2 {
				return nil
			}
		} else {
			settled = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%v after the last request, %d requests in flight besides the scrape and %d goroutines (%d when idle): requests outlive their answer",
				hostileBound, inFlight-1, n, h.idle)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// run sends one case and checks its answer, the server's health and
// memory; it returns the case's row of the summary.
func (h *hostileServer) run(t *testing.T, family string, c hostileCase) string {
	if !h.running() {
		h.restart()
	}
	rss0, hwm0, _ := procMemory(h.cmd.Process.Pid)
	h.casePeak.Store(rss0)
	var o hostileOutcome
	if c.custom != nil {
		o = c.custom(h)
	} else {
		o = h.send(c)
	}
	// Memory: the highest sample, or the high-water mark if it rose during
	// the case (a spike between two samples).
	if _, hwm, err := procMemory(h.cmd.Process.Pid); err == nil && hwm > hwm0 {
		atomicMax(&h.casePeak, hwm)
	}
	peak := h.casePeak.Load()
	restart := false
	switch {
	case h.rssKilled.Load():
		o.problem("server RSS reached %s (bound %s): killed by the suite", mib(hostileMaxRSS), mib(hostileMaxRSS))
		restart = true
	case !h.running():
		o.problem("the server died: %s", lastFatal(h.stderr.String()))
		restart = true
	default:
		if err := h.healthy(); err != nil {
			o.problem("server not healthy afterwards: %v", err)
			restart = true
		}
	}
	if o.timedOut {
		restart = true // it may still be working: start the next case clean
	}
	if peak >= hostileMaxRSS {
		o.problem("peak RSS %s during the case; the bound is %s", mib(peak), mib(hostileMaxRSS))
	}
	verdict := "ok"
	if len(o.problems) > 0 {
		verdict = "FAIL: " + strings.Join(o.problems, "; ")
		for _, p := range o.problems {
			t.Error(p)
		}
	}
	elapsed := o.elapsed.Round(time.Millisecond).String()
	if o.timedOut {
		elapsed = ">" + hostileBound.String()
	}
	t.Logf("status %d %s in %s, %d bytes, peak RSS %s", o.status, o.code, elapsed, o.size, mib(peak))
	if restart {
		h.restart()
	}
	return fmt.Sprintf("%-60s %-7d %-30s %9s %10s  %s", family+"/"+c.name, o.status, o.code, elapsed, mib(peak), verdict)
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// lastFatal picks the line of the server's stderr that says why it died.
func lastFatal(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") ||
			strings.HasPrefix(l, "runtime:") {
			return l
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			return lines[i]
		}
	}
	return "no output"
}

// send makes c's request and checks the answer.
func (h *hostileServer) send(c hostileCase) hostileOutcome {
	var o hostileOutcome
	req, err := c.build(h.base)
	if err != nil {
		o.problem("building the request: %v", err)
		return o
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
	defer cancel()
	start := time.Now()
	resp, err := h.client.Do(req.WithContext(ctx))
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
	}
	o.elapsed = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			o.timedOut = true
			o.problem("no answer within %v", hostileBound)
		} else if !c.dropOK {
			o.problem("no answer: the connection ended (%v)", err)
		}
		return o
	}
	checkAnswer(&o, resp.StatusCode, resp.Header, body, c.status)
	return o
}

// checkAnswer checks status, time, size and content of an answer.
func checkAnswer(o *hostileOutcome, status int, hdr http.Header, body []byte, want []int) {
	o.status, o.size = status, len(body)
	if o.elapsed > hostileBound {
		o.problem("answered in %v; the bound is %v", o.elapsed.Round(time.Millisecond), hostileBound)
	}
	switch {
	case status >= 500:
		o.problem("status %d: a hostile request is the client's error, not the server's", status)
	case want == nil && (status < 400 || status > 499):
		o.problem("status %d, want a 4xx", status)
	case want != nil && !containsInt(want, status):
		o.problem("status %d, want one of %v", status, want)
	}
	lower := strings.ToLower(string(body))
	for _, m := range hostileLeakMarkers {
		if strings.Contains(lower, strings.ToLower(m)) {
			o.problem("the answer leaks %q: %.200s", m, body)
			break
		}
	}
	if status >= 400 && len(body) > hostileMaxErrorBody {
		o.problem("a %d-byte error answer; at most %d", len(body), hostileMaxErrorBody)
	}
	if mt, _, _ := mime.ParseMediaType(hdr.Get("Content-Type")); (mt != "application/json" && mt != gqlMedia) || len(body) == 0 {
		return
	}
	var res struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		o.problem("the JSON answer does not parse: %v", err)
		return
	}
	if len(res.Errors) > 0 {
		o.code, _ = res.Errors[0].Extensions["code"].(string)
		if res.Errors[0].Message == "" || o.code == "" {
			o.problem("an error without message or extensions.code: %.200s", body)
		}
	}
	if status >= 400 && len(res.Errors) == 0 {
		o.problem("status %d without errors: %.200s", status, body)
	}
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// ---- building requests ----

const gqlMedia = "application/graphql-response+json"

// rawPost is a POST of body to path as JSON.
func rawPost(path string, body []byte, hdr ...string) func(string) (*http.Request, error) {
	return func(base string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", gqlMedia)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return req, nil
	}
}

// gqlBody is the JSON body of a GraphQL request. The strings are escaped
// by hand: json.Marshal of megabytes is slow under the race detector.
func gqlBody(query string, vars map[string]any, opName string) []byte {
	var b strings.Builder
	b.WriteString(`{"query":`)
	b.WriteString(jsonString(query))
	if vars != nil {
		v, err := json.Marshal(vars)
		if err != nil {
			panic(err)
		}
		b.WriteString(`,"variables":`)
		b.Write(v)
	}
	if opName != "" {
		b.WriteString(`,"operationName":`)
		b.WriteString(jsonString(opName))
	}
	b.WriteString("}")
	return []byte(b.String())
}

var jsonEscaper = func() *strings.Replacer {
	pairs := []string{`"`, `\"`, `\`, `\\`}
	for c := range 0x20 {
		pairs = append(pairs, string(rune(c)), fmt.Sprintf(`\u%04x`, c))
	}
	return strings.NewReplacer(pairs...)
}()

// jsonString quotes s as a JSON string (invalid UTF-8 is left as it is).
func jsonString(s string) string { return `"` + jsonEscaper.Replace(s) + `"` }

// postQ builds a POST of query, made lazily so the suite holds one large
// document at a time.
func postQ(query func() string) func(string) (*http.Request, error) {
	return func(base string) (*http.Request, error) {
		return rawPost("/graphql", gqlBody(query(), nil, ""))(base)
	}
}

// getQ builds a GET of /graphql with the query string params.
func getQ(params func() url.Values) func(string) (*http.Request, error) {
	return rawGet(func() string { return "/graphql?" + params().Encode() })
}

func rawGet(path func() string, hdr ...string) func(string) (*http.Request, error) {
	return rawMethod(http.MethodGet, path, hdr...)
}

func rawMethod(method string, path func() string, hdr ...string) func(string) (*http.Request, error) {
	return func(base string) (*http.Request, error) {
		req, err := http.NewRequest(method, base+path(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", gqlMedia)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return req, nil
	}
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

// repf joins format(i) for i in [0, n).
func repf(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// q makes a case posting the query query() returns; status nil means 4xx.
func q(name string, query func() string, status ...int) hostileCase {
	return hostileCase{name: name, build: postQ(query), status: nilIfEmpty(status)}
}

func nilIfEmpty(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	return s
}

// bigButValid accepts what okOr4xx does and a timeout: a valid document
// whose work is large may run out of time, as long as the answer comes
// within the bound.
var bigButValid = append([]int{http.StatusGatewayTimeout}, okOr4xx...)

// okOr4xx accepts 200 or any client error: documents the spec allows (1 MB
// of commas around a valid query) may be answered, as long as they are
// answered in time.
var okOr4xx = func() []int {
	s := []int{200}
	for c := 400; c < 500; c++ {
		s = append(s, c)
	}
	return s
}()

// ---- the families ----

func hostileFamilies() []hostileFamily {
	return []hostileFamily{
		{"fragment-cycles", fragmentCycleCases()},
		{"nested-literals", nestedLiteralCases()},
		{"nested-variables", nestedVariableCases()},
		{"deep-selections", deepSelectionCases()},
		{"introspection", introspectionCases()},
		{"duplication", duplicationCases()},
		{"strings", stringCases()},
		{"variables", variableCases()},
		{"operations", operationCases()},
		{"directives", directiveCases()},
		{"tokens", tokenCases()},
		{"unterminated", unterminatedCases()},
		{"utf8", utf8Cases()},
		{"operation-name", operationNameCases()},
		{"json-shape", jsonShapeCases()},
		{"headers", headerCases()},
		{"methods", methodCases()},
		{"export", exportCases()},
		{"metrics", metricsCases()},
		{"slow-clients", slowClientCases()},
		{"disconnects", disconnectCases()},
		{"load", loadCases()},
	}
}

func fragmentCycleCases() []hostileCase {
	const direct = `{ __typename ...A } fragment A on Query { ...A }` // issue 10, item 1
	chain := func(n int) func() string {
		return func() string {
			var b strings.Builder
			b.WriteString("{ ...F0 } ")
			for i := range n {
				fmt.Fprintf(&b, "fragment F%d on Query { __typename ...F%d } ", i, (i+1)%n)
			}
			return b.String()
		}
	}
	dense := func(n int) func() string { // every fragment spreads every other
		return func() string {
			var b strings.Builder
			b.WriteString("{ ...F0 } ")
			for i := range n {
				fmt.Fprintf(&b, "fragment F%d on Query { %s} ", i, repf(n, "...F%d "))
			}
			return b.String()
		}
	}
	return []hostileCase{
		q("direct", func() string { return direct }),
		{name: "direct over GET", build: getQ(func() url.Values { return url.Values{"query": {direct}} })},
		q("indirect A-B-A", func() string {
			return `{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }`
		}),
		q("through inline fragments", func() string {
			return `{ ...A } fragment A on Query { ... on Query { ... on Query { ...A } } }`
		}),
		q("through a field", func() string {
			return `{ entity(id:"smic") { ...E } } fragment E on Entity { id ... on Company { parent { ...E } } }`
		}),
		q("unused self-spread", func() string { return `{ __typename } fragment A on Query { ...A }` }),
		q("chain of 100", chain(100)),
		q("chain of 5000", chain(5000)),
		q("150 fragments each spreading all", dense(150)),
		{name: "indirect over GET", build: getQ(func() url.Values { return url.Values{"query": {chain(50)()}} })},
	}
}

func nestedLiteralCases() []hostileCase {
	list := func(d int) func() string { // issue 10, item 2
		return func() string { return `{ search(text:"a", kinds: ` + rep("[", d) + "CHIP" + rep("]", d) + `) { id } }` }
	}
	object := func(d int) func() string {
		return func() string { return `{ search(text:"a", kinds: ` + rep("{a:", d) + "1" + rep("}", d) + `) { id } }` }
	}
	return []hostileCase{
		q("list depth 100", list(100)),
		q("list depth 800", list(800)),
		q("list depth 5000", list(5000)),
		q("list depth 100k", list(100_000)),
		q("object depth 100", object(100)),
		q("object depth 10k", object(10_000)),
		q("object depth 100k", object(100_000)),
		q("directive argument list depth 10k", func() string {
			return `{ __typename @include(if: ` + rep("[", 10_000) + "true" + rep("]", 10_000) + `) }`
		}),
		q("variable default list depth 10k", func() string {
			return `query($k: [EntityKind!] = ` + rep("[", 10_000) + "CHIP" + rep("]", 10_000) + `) { search(text:"a", kinds:$k) { id } }`
		}),
		q("mixed list/object depth 50k", func() string {
			return `{ search(text:"a", kinds: ` + rep("[{a:", 25_000) + "1" + rep("}]", 25_000) + `) { id } }`
		}),
		{name: "list depth 800 over GET", build: getQ(func() url.Values { return url.Values{"query": {list(800)()}} })},
		{name: "list of 100k kinds", build: postQ(func() string {
			return `{ search(text:"a", kinds: [` + rep("CHIP,", 100_000) + `]) { id } }`
		}), status: bigButValid},
	}
}

func nestedVariableCases() []hostileCase {
	const kindsQ = `query($k: [EntityKind!]) { search(text:"a", kinds: $k) { id } }`
	const textQ = `query($t: String!) { search(text: $t) { id } }`
	body := func(query, vars string) func(string) (*http.Request, error) {
		return func(base string) (*http.Request, error) {
			q, _ := json.Marshal(query)
			return rawPost("/graphql", []byte(`{"query":`+string(q)+`,"variables":`+vars+`}`))(base)
		}
	}
	listVar := func(d int) string { return `{"k":` + rep("[", d) + `"CHIP"` + rep("]", d) + `}` }
	return []hostileCase{
		{name: "list depth 1000", build: body(kindsQ, listVar(1000))},
		{name: "list depth 9000", build: body(kindsQ, listVar(9000))},
		{name: "list depth 100k", build: body(kindsQ, listVar(100_000))},
		{name: "object depth 9000 for a String", build: body(textQ, `{"t":`+rep(`{"a":`, 9000)+"1"+rep("}", 9000)+`}`)},
		{name: "object depth 100k for a String", build: body(textQ, `{"t":`+rep(`{"a":`, 100_000)+"1"+rep("}", 100_000)+`}`)},
		{name: "list of 120k kinds", build: body(kindsQ, `{"k":[`+strings.TrimSuffix(rep(`"CHIP",`, 120_000), ",")+`]}`),
			status: bigButValid},
		{name: "list depth 5000 over GET", build: getQ(func() url.Values {
			return url.Values{"query": {kindsQ}, "variables": {listVar(5000)}}
		})},
	}
}

func deepSelectionCases() []hostileCase {
	parents := func(d int) func() string {
		return func() string {
			return `{ entity(id:"smic") { ` + rep("... on Company { parent { ", d) + "id" + rep(" } }", d) + ` } }`
		}
	}
	return []hostileCase{
		// entity, the parents and id: one field deeper than the default limit.
		q("parent chain one past the depth limit", parents(schema.DefaultConfig().MaxDepth-1)),
		q("parent chain depth 1000", parents(1000)),
		q("parent chain depth 25k", parents(25_000)),
		q("unknown fields depth 100k", func() string { return rep("{a", 100_000) + rep("}", 100_000) }),
		q("inline fragments depth 40k", func() string {
			return "{" + rep("... on Query {", 40_000) + "__typename" + rep("}", 40_000) + "}"
		}),
		q("fragment chain depth 2000", func() string {
			var b strings.Builder
			b.WriteString(`{ entity(id:"smic") { ...F0 } } `)
			for i := range 2000 {
				fmt.Fprintf(&b, "fragment F%d on Entity { ... on Company { parent { ...F%d } } } ", i, i+1)
			}
			b.WriteString("fragment F2000 on Entity { id }")
			return b.String()
		}),
	}
}

func introspectionCases() []hostileCase {
	possible := func(levels int) func() string { // issue 10, item 3
		return func() string {
			var open, close strings.Builder
			for i := range levels {
				if i%2 == 0 {
					open.WriteString("possibleTypes { ")
				} else {
					open.WriteString("interfaces { ")
				}
				close.WriteString(" }")
			}
			return `{ __type(name:"Entity") { ` + open.String() + "name" + close.String() + ` } }`
		}
	}
	fieldsTypes := func(levels int) func() string {
		return func() string {
			return `{ __schema { types { ` + rep("fields { type { ", levels) + "name" + rep(" } }", levels) + ` } } }`
		}
	}
	ofType := func(d int) func() string {
		return func() string {
			return `{ __schema { types { fields { type { ` + rep("ofType { ", d) + "name" + rep(" }", d) + ` } } } } }`
		}
	}
	return []hostileCase{
		q("possibleTypes/interfaces 2 levels", possible(2), okOr4xx...),
		q("possibleTypes/interfaces 6 levels", possible(6)),
		q("possibleTypes/interfaces 12 levels", possible(12)),
		q("fields/type 3 levels", fieldsTypes(3), okOr4xx...),
		q("fields/type 6 levels", fieldsTypes(6)),
		q("ofType depth 100", ofType(100)),
		q("ofType depth 3000", ofType(3000)),
		q("30 aliased __schema", func() string {
			return "{ " + repf(30, "a%d: __schema { types { fields { args { type { name } } type { name } } } } ") + "}"
		}, bigButValid...),
		q("__schema repeated 10k", func() string { return "{ " + rep("__schema { types { name } } ", 10_000) + "}" }, okOr4xx...),
	}
}

func duplicationCases() []hostileCase {
	ids := func(n int) func() string { // issue 10, item 4
		return func() string { return `{ entity(id:"smic") { ` + rep("id ", n) + `} }` }
	}
	laughs := func(levels int, base string) func() string {
		return func() string {
			var b strings.Builder
			fmt.Fprintf(&b, `{ entity(id:"smic") { ...F%d } } fragment F0 on Entity { %s } `, levels, base)
			for i := 1; i <= levels; i++ {
				fmt.Fprintf(&b, "fragment F%d on Entity { ...F%d ...F%d } ", i, i-1, i-1)
			}
			return b.String()
		}
	}
	return []hostileCase{
		q("id ×1000", ids(1000), okOr4xx...),
		q("id ×10k", ids(10_000)),
		q("id ×99k", ids(99_000)),
		q("__typename ×80k", func() string { return "{ " + rep("__typename ", 80_000) + "}" }),
		q("aliases ×10k", func() string { return `{ entity(id:"smic") { ` + repf(10_000, "a%d: id ") + `} }` }),
		q("same key, 5000 different arguments", func() string { return "{ " + repf(5000, `entity(id:"s%d") { id } `) + "}" }),
		q("fragment spread ×100k", func() string {
			return `{ entity(id:"smic") { ` + rep("...F ", 100_000) + `} } fragment F on Entity { id name }`
		}),
		q("fragments doubling 10 levels", laughs(10, "id name"), okOr4xx...),
		q("fragments doubling 20 levels", laughs(20, "id name")),
		q("fragments doubling 40 levels", laughs(40, "id name")),
		q("fragments doubling 30 levels over a list", laughs(30, "sources { title url } attributes { name value }")),
	}
}

func stringCases() []hostileCase {
	long := func(n int) string { return rep("a", n) }
	return []hostileCase{
		q("search text 100 KB", func() string { return `{ search(text:"` + long(100_000) + `") { id } }` }),
		q("search text 900 KB", func() string { return `{ search(text:"` + long(900_000) + `") { id } }` }), // issue 10, item 5
		q("entity name 900 KB", func() string { return `{ entity(name:"` + long(900_000) + `") { id } }` }),
		q("search text of 120k escapes", func() string { return `{ search(text:"` + rep(`\u0041`, 120_000) + `") { id } }` }),
		q("block string 900 KB", func() string { return `{ search(text:"""` + long(900_000) + `""") { id } }` }),
		q("block string of 170k lines", func() string { return `{ search(text:"""` + rep("  a\n", 170_000) + `""") { id } }` }),
		q("search text 800 KB of emoji", func() string { return `{ search(text:"` + rep("😀", 200_000) + `") { id } }` }),
		{name: "search text variable 900 KB", build: func(base string) (*http.Request, error) {
			return rawPost("/graphql", []byte(`{"query":"query($t: String!) { search(text: $t) { id } }","variables":{"t":"`+
				long(900_000)+`"}}`))(base)
		}},
		q("paths from 900 KB", func() string { return `{ paths(from:"` + long(900_000) + `", to:"smic") { length } }` }),
		q("relations category 900 KB", func() string {
			return `{ relations(category:"` + long(900_000) + `") { totalCount } }`
		}),
		q("asOf 900 KB", func() string { return `{ relations(asOf:"` + long(900_000) + `") { totalCount } }` }),
		q("neighborhood of 80k ids", func() string {
			return `{ neighborhood(ids: [` + repf(80_000, `"x%05d",`) + `]) { nodes { id } } }`
		}),
	}
}

func variableCases() []hostileCase {
	defs := func(n int) func() string {
		return func() string { return "query(" + repf(n, "$v%d: Int ") + ") { __typename }" }
	}
	return []hostileCase{
		q("10k unused variables", defs(10_000)),
		q("50k unused variables", defs(50_000)),
		q("50k copies of one variable", func() string { return "query(" + rep("$v: Int ", 50_000) + ") { __typename }" }),
		{name: "20k variables used in a list", build: func(base string) (*http.Request, error) {
			query := "query(" + repf(20_000, "$v%d: EntityKind ") + `) { search(text:\"a\", kinds: [` + repf(20_000, "$v%d ") + "]) { id } }"
			vars := "{" + strings.TrimSuffix(repf(20_000, `"v%d":"CHIP",`), ",") + "}"
			return rawPost("/graphql", []byte(`{"query":"`+query+`","variables":`+vars+`}`))(base)
		}, status: bigButValid},
		{name: "100k undeclared variables in JSON", build: func(base string) (*http.Request, error) {
			vars := "{" + strings.TrimSuffix(repf(100_000, `"k%d":1,`), ",") + "}"
			return rawPost("/graphql", []byte(`{"query":"{ __typename }","variables":`+vars+`}`))(base)
		}, status: okOr4xx},
	}
}

func operationCases() []hostileCase {
	return []hostileCase{
		{name: "10k named, the last chosen", build: func(base string) (*http.Request, error) {
			return rawPost("/graphql", gqlBody(repf(10_000, "query Q%d { __typename } "), nil, "Q9999"))(base)
		}},
		q("50k anonymous", func() string { return rep("{ __typename } ", 50_000) }),
		q("10k sharing one fragment", func() string {
			return repf(10_000, "query Q%d { ...F } ") + "fragment F on Query { __typename }"
		}),
		q("10k mutations", func() string { return repf(10_000, "mutation M%d { __typename } ") }),
		{name: "10k named, a missing one chosen", build: func(base string) (*http.Request, error) {
			return rawPost("/graphql", gqlBody(repf(10_000, "query Q%d { __typename } "), nil, "Nope"))(base)
		}},
	}
}

func directiveCases() []hostileCase {
	return []hostileCase{
		q("@include ×10", func() string { return "{ __typename" + rep(" @include(if: true)", 10) + " }" }),
		q("@include ×10k", func() string { return "{ __typename" + rep(" @include(if: true)", 10_000) + " }" }),
		q("@skip ×45k", func() string { return "{ __typename" + rep(" @skip(if: false)", 45_000) + " }" }),
		q("unknown directive ×100k", func() string { return "{ __typename" + rep(" @x", 100_000) + " }" }),
		q("one @include with 50k arguments", func() string { return "{ __typename @include(" + rep("if: true ", 50_000) + ") }" }),
		q("one field with 50k arguments", func() string { return `{ entity(` + rep(`id:"a" `, 50_000) + `) { id } }` }),
		q("spread with @skip ×20k", func() string {
			return "{ " + rep("...F @skip(if: false) ", 20_000) + "} fragment F on Query { __typename }"
		}, okOr4xx...),
		q("20k directive definitions", func() string { return "{ __typename } " + repf(20_000, "directive @d%d on FIELD ") }),
	}
}

func tokenCases() []hostileCase {
	return []hostileCase{
		q("900 KB of commas", func() string { return "{ __typename" + rep(",", 900_000) + " }" }, okOr4xx...),
		q("880 KB of comments", func() string { return "{ __typename\n" + rep("#"+rep("c", 60)+"\n", 14_000) + "}" }, okOr4xx...),
		q("400k newlines", func() string { return rep("\n", 400_000) + "{ __typename }" }, okOr4xx...),
		q("100k distinct unknown fields", func() string { return "{ " + repf(100_000, "f%d ") + "}" }),
		q("20k type definitions", func() string { return "{ __typename } " + repf(20_000, "type T%d { a: Int } ") }),
		q("a 900 KB integer", func() string { return `{ search(text:"a", first: ` + rep("9", 900_000) + `) { id } }` }),
		q("a float with a huge exponent", func() string { return `{ search(text:"a", first: 1e999999999) { id } }` }),
	}
}

func unterminatedCases() []hostileCase {
	return []hostileCase{
		q("string of 900 KB", func() string { return `{ search(text:"` + rep("a", 900_000) }),
		q("block string of 900 KB", func() string { return `{ search(text:"""` + rep("a", 900_000) }),
		q("500k open braces", func() string { return rep("{", 500_000) }),
		q("500k open lists", func() string { return `{ search(text:"a", kinds:` + rep("[", 500_000) }),
		q("selection", func() string { return `{ entity(id:"smic") { id` }),
		q("variable definitions", func() string { return `query($` }),
		q("fragment", func() string { return `fragment` }),
		q("spread", func() string { return `{ ...` }),
		q("lone quote", func() string { return `"` }),
	}
}

func utf8Cases() []hostileCase {
	return []hostileCase{
		{name: "invalid bytes in the JSON body", build: rawPost("/graphql",
			[]byte("{\"query\":\"{ search(text:\\\""+rep("\xff\xfe", 10)+"\\\") { id } }\"}")), status: okOr4xx},
		{name: "overlong encoding in the JSON body", build: rawPost("/graphql",
			[]byte("{\"query\":\"{ search(text:\\\"\xc0\xaf\\\") { id } }\"}")), status: okOr4xx},
		{name: "invalid bytes over GET", build: rawGet(func() string { return "/graphql?query=%FF%FE%7B" })},
		{name: "lone surrogate in JSON", build: rawPost("/graphql",
			[]byte(`{"query":"{ search(text:\"\ud800\") { id } }"}`)), status: okOr4xx},
		q("lone surrogate in a GraphQL string", func() string { return `{ search(text:"\uD800") { id } }` }, okOr4xx...),
		q("NUL in the document", func() string { return "{ __typename \x00 }" }),
		q("byte-order mark", func() string { return "\ufeff{ __typename }" }, okOr4xx...),
		{name: "invalid bytes in a variable name", build: rawPost("/graphql",
			[]byte("{\"query\":\"{ __typename }\",\"variables\":{\"\xff\":1}}")), status: okOr4xx},
	}
}

func operationNameCases() []hostileCase {
	long := rep("A", 900_000)
	return []hostileCase{
		{name: "900 KB, no such operation", build: func(base string) (*http.Request, error) {
			return rawPost("/graphql", gqlBody("{ __typename }", nil, long))(base)
		}},
		{name: "900 KB, naming a 900 KB operation", build: func(base string) (*http.Request, error) {
			return rawPost("/graphql", gqlBody("query "+long[:450_000]+" { __typename }", nil, long[:450_000]))(base)
		}, status: okOr4xx},
		{name: "a number", build: rawPost("/graphql", []byte(`{"query":"{ __typename }","operationName":123}`))},
		{name: "900 KB over GET", build: getQ(func() url.Values {
			return url.Values{"query": {"{ __typename }"}, "operationName": {long}}
		}), dropOK: true},
	}
}

func jsonShapeCases() []hostileCase {
	body := func(name, b string, status ...int) hostileCase {
		return hostileCase{name: name, build: rawPost("/graphql", []byte(b)), status: nilIfEmpty(status)}
	}
	return []hostileCase{
		body("batch of 1", `[{"query":"{ __typename }"}]`, okOr4xx...),
		body("batch of 20k", "["+strings.TrimSuffix(rep(`{"query":"{ __typename }"},`, 20_000), ",")+"]", okOr4xx...),
		body("null", `null`),
		body("a string", `"{ __typename }"`),
		body("a number", `123`),
		body("empty object", `{}`),
		body("query null", `{"query":null}`),
		body("query an object", `{"query":{"a":1}}`),
		body("variables a list", `{"query":"{ __typename }","variables":[]}`),
		body("variables a string", `{"query":"{ __typename }","variables":"x"}`),
		body("extensions depth 9000", `{"query":"{ __typename }","extensions":`+rep(`{"a":`, 9000)+"1"+rep("}", 9000)+`}`, okOr4xx...),
		body("extensions depth 100k", `{"query":"{ __typename }","extensions":`+rep(`{"a":`, 100_000)+"1"+rep("}", 100_000)+`}`),
		body("extensions of 100k keys", `{"query":"{ __typename }","extensions":{`+strings.TrimSuffix(repf(100_000, `"k%d":1,`), ",")+`}}`, okOr4xx...),
		body("query key ×50k", "{"+rep(`"query":"{ __typename }",`, 50_000)+`"x":1}`, okOr4xx...),
		body("900 KB of whitespace", rep(" ", 900_000)+`{"query":"{ __typename }"}`, okOr4xx...),
		body("a body over the limit", `{"query":"`+rep("a", 1<<20)+`"}`, http.StatusRequestEntityTooLarge),
		{name: "an endless chunked body", build: func(base string) (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, base+"/graphql", io.LimitReader(endless{}, 1<<30))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/json")
			return req, nil
		}, status: []int{http.StatusRequestEntityTooLarge}, dropOK: false},
		{name: "a gzip body", build: func(base string) (*http.Request, error) {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
			_, _ = zw.Write(bytes.Repeat([]byte(" "), 16<<20))
			_ = zw.Close()
			return rawPost("/graphql", b.Bytes(), "Content-Encoding", "gzip")(base)
		}},
		{name: "text/plain", build: rawPost("/graphql", []byte(`{"query":"{ __typename }"}`), "Content-Type", "text/plain")},
		{name: "a form", build: rawPost("/graphql", []byte(`query=%7B__typename%7D`), "Content-Type", "application/x-www-form-urlencoded")},
	}
}

// endless is an endless stream of spaces.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func headerCases() []hostileCase {
	return []hostileCase{
		{name: "a 2 MB header", build: rawGet(func() string { return "/healthz" }, "X-Big", rep("a", 2<<20)),
			status: []int{http.StatusRequestHeaderFieldsTooLarge}, dropOK: true},
		{name: "5000 headers", build: func(base string) (*http.Request, error) {
			req, err := rawGet(func() string { return "/graphql?query=%7B__typename%7D" })(base)
			for i := range 5000 {
				req.Header.Set("X-H"+strconv.Itoa(i), rep("v", 100))
			}
			return req, err
		}, status: okOr4xx, dropOK: true},
		{name: "Accept of 50k media types", build: rawPost("/graphql", gqlBody("{ __typename }", nil, ""),
			"Accept", repf(50_000, "application/x%d, "))},
		{name: "X-Request-Id of 900 KB", build: rawPost("/graphql", gqlBody("{ __typename }", nil, ""),
			"X-Request-Id", rep("a", 900_000)), status: []int{200, 431}},
		{name: "Authorization of 900 KB", build: rawPost("/graphql", gqlBody("{ __typename }", nil, ""),
			"Authorization", "Bearer "+rep("a", 900_000)), status: []int{401, 431}},
		{name: "Content-Type with 10k parameters", build: rawPost("/graphql", gqlBody("{ __typename }", nil, ""),
			"Content-Type", "application/json"+repf(10_000, "; p%d=v")), status: okOr4xx},
		{name: "a 1 MB GET query", build: getQ(func() url.Values {
			return url.Values{"query": {"{ __typename " + rep("a ", 500_000) + "}"}}
		}), dropOK: true},
		{name: "query= ×20k over GET", build: rawGet(func() string {
			return "/graphql?" + rep("query=%7B__typename%7D&", 20_000)
		}), status: okOr4xx},
	}
}

func methodCases() []hostileCase {
	m := func(method, path string, status ...int) hostileCase {
		return hostileCase{name: method + " " + path, build: rawMethod(method, func() string { return path }), status: nilIfEmpty(status)}
	}
	return []hostileCase{
		m(http.MethodHead, "/graphql"),
		m(http.MethodOptions, "/graphql", 200, 204, 405),
		m(http.MethodPut, "/graphql"),
		m(http.MethodDelete, "/graphql"),
		m(http.MethodPatch, "/graphql"),
		m(http.MethodTrace, "/graphql"),
		m("FOO", "/graphql"),
		m("PROPFIND", "/"),
		m(http.MethodHead, "/healthz", 200),
		m(http.MethodHead, "/export"),
		m(http.MethodOptions, "/metrics", 200, 204, 405),
		m(http.MethodDelete, "/healthz"),
		m(http.MethodGet, "/graphiql/../../../../etc/passwd", 200, 301, 302, 404),
		m(http.MethodGet, "/explore/%2e%2e/%2e%2e/etc/passwd", 301, 302, 404),
		m(http.MethodGet, "/graphiql/%00", 301, 302, 400, 404),
		{name: "GET a 900 KB path", build: rawGet(func() string { return "/" + rep("a", 900_000) }), status: []int{404, 414, 431}, dropOK: true},
	}
}

func exportCases() []hostileCase {
	e := func(name string, params func() string, status ...int) hostileCase {
		return hostileCase{name: name, build: rawGet(func() string { return "/export?" + params() }), status: nilIfEmpty(status)}
	}
	c := func(s string) func() string { return func() string { return s } }
	cases := []hostileCase{
		e("unknown format", c("format=nope")),
		e("huge hops", c("format=graphml&seed=smic&hops=99999999999999999999")),
		e("negative hops", c("format=graphml&seed=smic&hops=-1")),
		e("limit 0", c("format=graphml&limit=0")),
		e("limit 1e9", c("format=graphml&limit=1000000000")),
		e("limit not a number", c("format=graphml&limit=abc")),
		e("asOf of 900 KB", func() string { return "format=graphml&asOf=" + rep("9", 900_000) }),
		e("asOf 9999-99-99", c("format=graphml&asOf=9999-99-99")),
		e("direction sideways", c("format=graphml&seed=smic&direction=SIDEWAYS")),
		e("links nope", c("format=nodelink&links=nope")),
		e("20k unknown seeds", func() string { return "format=graphml&" + strings.TrimSuffix(repf(20_000, "seed=s%05d&"), "&") }, okOr4xx...),
		e("50k unknown types", func() string { return "format=graphml&types=" + strings.TrimSuffix(repf(50_000, "T%d,"), ",") }),
		e("50k kinds", func() string { return "format=graphml&kinds=" + strings.TrimSuffix(rep("CHIP,", 50_000), ",") }, okOr4xx...),
		e("format ×10k", func() string { return rep("format=graphml&", 10_000) }, okOr4xx...),
	}
	for _, f := range []string{"graphml", "gexf", "cytoscape", "nodelink", "csv", "nquads", "ftm"} {
		cases = append(cases, e("whole graph as "+f, c("format="+f+"&limit=2000"), 200))
		cases = append(cases, e("6 hops of huawei as "+f, c("format="+f+"&seed=huawei&hops=6&limit=2000"), 200))
	}
	return cases
}

func metricsCases() []hostileCase {
	scrape := func(name string, hdr ...string) hostileCase {
		return hostileCase{name: name, custom: func(h *hostileServer) hostileOutcome {
			return h.scrape(hdr...)
		}}
	}
	return []hostileCase{
		scrape("Prometheus' scrape (Accept-Encoding: gzip)", // issue 10, item 7
			"Accept-Encoding", "gzip",
			"Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
		scrape("gzip, deflate, br", "Accept-Encoding", "gzip, deflate, br"),
		scrape("identity", "Accept-Encoding", "identity"),
		scrape("gzip;q=0", "Accept-Encoding", "gzip;q=0"),
	}
}

// scrape fetches /metrics as a Prometheus server does and parses it:
// decompressed once if the answer says gzip, then decoded as the format
// it names.
func (h *hostileServer) scrape(hdr ...string) hostileOutcome {
	var o hostileOutcome
	req, _ := rawGet(func() string { return "/metrics" }, hdr...)(h.base)
	req.Header.Del("Accept")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
	defer cancel()
	start := time.Now()
	resp, err := h.client.Do(req.WithContext(ctx))
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	o.elapsed = time.Since(start)
	if err != nil {
		o.timedOut = ctx.Err() != nil
		o.problem("no answer: %v", err)
		return o
	}
	o.status, o.size = resp.StatusCode, len(body)
	if resp.StatusCode != http.StatusOK {
		o.problem("status %d", resp.StatusCode)
		return o
	}
	text := body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			o.problem("Content-Encoding gzip but not gzip: %v", err)
			return o
		}
		if text, err = io.ReadAll(zr); err != nil {
			o.problem("gunzip: %v", err)
			return o
		}
	}
	dec := expfmt.NewDecoder(bytes.NewReader(text), expfmt.ResponseFormat(resp.Header))
	families := 0
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if !errors.Is(err, io.EOF) {
				o.problem("a Prometheus client cannot parse the scrape (Content-Encoding %q): %v",
					resp.Header.Get("Content-Encoding"), err)
			}
			break
		}
		families++
	}
	if len(o.problems) == 0 && families < 10 {
		o.problem("only %d metric families in the scrape", families)
	}
	if o.elapsed > hostileBound {
		o.problem("answered in %v; the bound is %v", o.elapsed, hostileBound)
	}
	return o
}

func slowClientCases() []hostileCase {
	return []hostileCase{
		{name: "200 bodies at 1 byte/s", custom: func(h *hostileServer) hostileOutcome { // issue 10, item 6
			return h.slowConns(200, hostileReadTimeout, func(c net.Conn, i int) (string, string) {
				head := "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
				return head, `{"query":"{ __typename }"` + rep(" ", 1000)
			})
		}},
		{name: "200 headers at 1 byte/s", custom: func(h *hostileServer) hostileOutcome {
			return h.slowConns(200, hostileReadTimeout, func(c net.Conn, i int) (string, string) {
				return "", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + rep("a", 1000)
			})
		}},
		{name: "200 silent connections", custom: func(h *hostileServer) hostileOutcome {
			return h.slowConns(200, hostileReadTimeout, func(c net.Conn, i int) (string, string) { return "", "" })
		}},
		{name: "a Content-Length the body never reaches", custom: func(h *hostileServer) hostileOutcome {
			return h.slowConns(1, hostileReadTimeout, func(c net.Conn, i int) (string, string) {
				return "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"query\":", ""
			})
		}},
	}
}

// slowConns opens n connections; each sends head at once, then trickle one
// byte a second. Every connection must be answered or closed by the server
// within limit + 1 s, and meanwhile a normal query must be answered within
// the bound.
func (h *hostileServer) slowConns(n int, limit time.Duration, script func(net.Conn, int) (head, trickle string)) hostileOutcome {
	var o hostileOutcome
	bound := limit + time.Second
	start := time.Now()
	var wg sync.WaitGroup
	var open atomic.Int32
	var mu sync.Mutex
	var slowest time.Duration
	stop := make(chan struct{})
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := net.DialTimeout("tcp", h.addr, time.Second)
		if err != nil {
			o.problem("dial %d: %v", i, err)
			break
		}
		conns = append(conns, c)
		head, trickle := script(c, i)
		open.Add(1)
		wg.Add(2)
		connStart := time.Now()
		go func() { // the slow writer
			defer wg.Done()
			if head != "" {
				if _, err := io.WriteString(c, head); err != nil {
					return
				}
			}
			for j := 0; j < len(trickle); j++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				if _, err := c.Write([]byte{trickle[j]}); err != nil {
					return
				}
			}
		}()
		go func() { // the reader: the server's answer or close ends it
			defer wg.Done()
			_, _ = io.Copy(io.Discard, c)
			open.Add(-1)
			d := time.Since(connStart)
			mu.Lock()
			slowest = max(slowest, d)
			mu.Unlock()
		}()
	}
	// A normal query while they hang on.
	time.Sleep(200 * time.Millisecond)
	normal := h.send(q("normal", func() string { return `{ entity(id:"smic") { name } }` }, 200))
	for _, p := range normal.problems {
		o.problem("a normal query meanwhile: %s", p)
	}
	for time.Since(start) < bound+500*time.Millisecond && open.Load() > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	o.elapsed = time.Since(start)
	if left := open.Load(); left > 0 {
		o.problem("%d of %d connections still open after %v; the server must cut them within %v",
			left, len(conns), o.elapsed.Round(time.Millisecond), bound)
		o.elapsed = bound + 500*time.Millisecond
	}
	close(stop)
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	if slowest > bound && len(o.problems) == 0 {
		o.problem("the last connection was closed after %v; the bound is %v", slowest.Round(time.Millisecond), bound)
	}
	return o
}

func disconnectCases() []hostileCase {
	return []hostileCase{
		{name: "half a body, then gone", custom: func(h *hostileServer) hostileOutcome {
			return h.abandon(1, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"+rep(" ", 500))
		}},
		{name: "an expensive query, then gone", custom: func(h *hostileServer) hostileOutcome {
			return h.abandon(1, httpPost(gqlBody(`{ search(text:"a", kinds: `+rep("[", 800)+"CHIP"+rep("]", 800)+`) { id } }`, nil, "")))
		}},
		{name: "20 expensive queries, then gone", custom: func(h *hostileServer) hostileOutcome {
			return h.abandon(20, httpPost(gqlBody(`{ entity(id:"smic") { `+rep("id ", 20_000)+`} }`, nil, "")))
		}},
	}
}

func httpPost(body []byte) string {
	return fmt.Sprintf("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// abandon sends msg on n connections and closes them 200 ms later; within
// the bound the server must have let go of them (its goroutines back near
// idle).
func (h *hostileServer) abandon(n int, msg string) hostileOutcome {
	var o hostileOutcome
	start := time.Now()
	for i := range n {
		c, err := net.DialTimeout("tcp", h.addr, time.Second)
		if err != nil {
			o.problem("dial %d: %v", i, err)
			continue
		}
		go func() {
			_, _ = io.WriteString(c, msg)
			time.Sleep(200 * time.Millisecond)
			c.Close()
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := h.goroutinesSettle(); err != nil {
		o.problem("%v", err)
		o.timedOut = true // the server is still working for nobody: restart it
	}
	o.elapsed = time.Since(start)
	return o
}

// busyOK accepts an answer, a client error or 503: under a flood, "busy,
// retry" within the bound is a sensible answer.
var busyOK = append([]int{http.StatusServiceUnavailable}, bigButValid...)

func loadCases() []hostileCase {
	return []hostileCase{
		{name: "64 concurrent 900 KB searches", custom: func(h *hostileServer) hostileOutcome {
			return h.concurrent(64, func(i int) []byte {
				return gqlBody(`{ search(text:"`+rep(string(rune('a'+i%26)), 900_000-i)+`") { id } }`, nil, "")
			}, append([]int{http.StatusServiceUnavailable}, okOr4xx[1:]...), true)
		}},
		{name: "64 concurrent 6-hop neighbourhoods", custom: func(h *hostileServer) hostileOutcome {
			return h.concurrent(64, func(i int) []byte {
				return gqlBody(fmt.Sprintf(`{ neighborhood(ids:["huawei"], hops:6, limit:%d) { truncated nodes { id } } }`, 1000+i), nil, "")
			}, busyOK, false)
		}},
	}
}

// concurrent posts n bodies at once; each must be answered within the
// bound. dropOK: a server refusing an upload midway (408, 413) may close
// the connection before the client, still writing, reads the answer.
func (h *hostileServer) concurrent(n int, body func(i int) []byte, status []int, dropOK bool) hostileOutcome {
	var o hostileOutcome
	outcomes := make([]hostileOutcome, n)
	reqs := make([]*http.Request, n)
	for i := range n {
		reqs[i], _ = rawPost("/graphql", body(i))(h.base)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = h.send(hostileCase{build: func(string) (*http.Request, error) { return reqs[i], nil },
				status: status, dropOK: dropOK})
		}()
	}
	wg.Wait()
	o.elapsed = time.Since(start)
	failed := 0
	for i, r := range outcomes {
		o.status, o.code = max(o.status, r.status), r.code
		o.timedOut = o.timedOut || r.timedOut
		if len(r.problems) > 0 {
			if failed < 3 {
				o.problem("request %d: %s", i, strings.Join(r.problems, "; "))
			}
			failed++
		}
	}
	if failed > 3 {
		o.problem("and %d more", failed-3)
	}
	return o
}
