package main

// Conformance tests against the reference tools, run by node from
// testdata/graphqljs (graphql-js 16 and graphql-http, installed there with
// `npm ci`): a differential test of accept/reject verdicts and responses, the
// introspection queries of every getIntrospectionQuery option, and the
// GraphQL-over-HTTP audit. They need CHIPGRAPH_TEST_NODE (a node binary);
// .ci/run sets it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var graphqlJSDir = filepath.Join("testdata", "graphqljs")

// graphqlJS returns the node binary, skipping when none is configured.
func graphqlJS(t *testing.T) string {
	t.Helper()
	node := os.Getenv("CHIPGRAPH_TEST_NODE")
	if node == "" {
		t.Skip("CHIPGRAPH_TEST_NODE is not set: the graphql-js conformance tests need node, and `npm ci` run in testdata/graphqljs (bash .ci/run does both)")
	}
	for _, pkg := range []string{"graphql", "graphql-http"} {
		if _, err := os.Stat(filepath.Join(graphqlJSDir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("CHIPGRAPH_TEST_NODE is set but %s is not installed: run `npm ci` in %s (%v)", pkg, graphqlJSDir, err)
		}
	}
	return node
}

// runJS runs conformance.mjs with args, input as JSON on stdin, and decodes
// its stdout into out.
func runJS(t *testing.T, node string, input, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, node, append([]string{"conformance.mjs"}, args...)...)
	cmd.Dir = graphqlJSDir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node conformance.mjs %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node conformance.mjs %s: decoding its output: %v", strings.Join(args, " "), err)
	}
}

// serveProcess is a `chipgraph serve` subprocess on a free loopback port,
// restarted on demand after it dies or hangs.
type serveProcess struct {
	t      *testing.T
	args   []string
	env    []string
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *lockedBuffer
	base   string
}

func startServe(t *testing.T, args []string, env ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{t: t, args: append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), env: env}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *serveProcess) start() {
	t := p.t
	t.Helper()
	p.stderr = &lockedBuffer{}
	p.cmd = exec.Command(binary(t), p.args...)
	p.cmd.Env = testEnv(p.env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(p.cmd, p.exited)
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if addr := servingAddr(p.stderr.String()); addr != "" {
			if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					p.base = "http://" + addr
					return
				}
			}
		}
		if !p.alive() {
			t.Fatalf("chipgraph %s exited early:\n%s", strings.Join(p.args, " "), p.stderr.String())
		}
		if time.Now().After(deadline) {
			p.stop()
			t.Fatalf("chipgraph %s: no healthy /healthz within 90s\n%s", strings.Join(p.args, " "), p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *serveProcess) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *serveProcess) stop() {
	if p.cmd != nil && p.alive() {
		_ = p.cmd.Process.Kill()
	}
	if p.exited != nil {
		<-p.exited
	}
}

// restart replaces a dead or hung server with a new one.
func (p *serveProcess) restart() {
	p.stop()
	p.start()
}

// gqlRequest is a GraphQL-over-HTTP request body. Variables stay raw JSON so
// that what graphql-js coerced is exactly what chipgraph receives.
type gqlRequest struct {
	Query         string          `json:"query"`
	Variables     json.RawMessage `json:"variables,omitempty"`
	OperationName string          `json:"operationName,omitempty"`
}

// answer is chipgraph's response to one request.
type answer struct {
	status  int
	raw     []byte
	hasData bool
	data    json.RawMessage
	errors  []answerError
	// failure is set when there was no GraphQL response: the server died,
	// hung or sent something other than a JSON object.
	failure string
}

type answerError struct {
	Message    string          `json:"message"`
	Path       json.RawMessage `json:"path"`
	Extensions map[string]any  `json:"extensions"`
}

func (a answer) verdict() string {
	switch {
	case a.failure != "":
		return "no answer (" + a.failure + ")"
	case a.hasData:
		return "accepted"
	}
	var msgs []string
	for _, e := range a.errors {
		msgs = append(msgs, fmt.Sprintf("%v: %s", e.Extensions["code"], e.Message))
	}
	return fmt.Sprintf("rejected (HTTP %d: %s)", a.status, strings.Join(msgs, "; "))
}

// requestTimeout bounds one request of the conformance tests. The documents
// are small and each is answered in milliseconds; one that takes longer is a
// failure, and the server is restarted: today a fragment cycle sends
// graphql-go's validator into a stack overflow that takes tens of seconds to
// kill the process.
const requestTimeout = 5 * time.Second

// ask sends req to the server with the bearer token and decodes the answer.
// A dead or hung server is restarted, and the answer says what happened.
func (p *serveProcess) ask(req gqlRequest, token string) answer {
	body, err := json.Marshal(req)
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/graphql-response+json")
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(hr)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err != nil {
		time.Sleep(200 * time.Millisecond) // let a dying process finish dying
		what := "no response within " + requestTimeout.String()
		if !p.alive() {
			what = "the server died: " + lastLines(p.stderr.String(), 3)
		} else if !errors.Is(err, context.DeadlineExceeded) {
			what = err.Error()
		}
		p.restart()
		return answer{failure: what}
	}
	a := answer{status: resp.StatusCode, raw: raw}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		a.failure = fmt.Sprintf("HTTP %d, not a JSON object: %.200q", resp.StatusCode, raw)
		return a
	}
	a.data, a.hasData = top["data"]
	if e, ok := top["errors"]; ok {
		if err := json.Unmarshal(e, &a.errors); err != nil {
			a.failure = fmt.Sprintf("errors is not a list of errors: %.200s", e)
		}
	}
	return a
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var keep []string
	for _, l := range lines {
		// the first line of a Go crash says what it was
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 && len(lines) > n {
		keep = lines[len(lines)-n:]
	} else if len(keep) == 0 {
		keep = lines
	}
	if len(keep) > n {
		keep = keep[:n]
	}
	return strings.Join(keep, " | ")
}

// canonicalJSON re-encodes a JSON value keeping the order of object keys
// (and any duplicate keys), with one spelling for strings and numbers, so
// that two encoders' outputs compare equal exactly when they hold the same
// values in the same order.
func canonicalJSON(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b strings.Builder
	if err := writeCanonical(dec, &b); err != nil {
		return "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("trailing data after the JSON value")
	}
	return b.String(), nil
}

func writeCanonical(dec *json.Decoder, b *strings.Builder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		closing := json.Delim('}')
		if v == '[' {
			closing = ']'
		}
		b.WriteRune(rune(v))
		for i := 0; dec.More(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if v == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := json.Marshal(key)
				b.Write(k)
				b.WriteByte(':')
			}
			if err := writeCanonical(dec, b); err != nil {
				return err
			}
		}
		if end, err := dec.Token(); err != nil || end != closing {
			return fmt.Errorf("unbalanced JSON (%v)", err)
		}
		b.WriteRune(rune(closing))
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return err
		}
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		s, _ := json.Marshal(v)
		b.Write(s)
	}
	return nil
}

// errorPaths lists the errors' paths in a canonical, sorted form ("-" for an
// error without a path): the specification leaves the order of errors open.
func errorPaths(paths []json.RawMessage) []string {
	out := []string{}
	for _, p := range paths {
		if len(p) == 0 || string(p) == "null" {
			out = append(out, "-")
			continue
		}
		c, err := canonicalJSON(p)
		if err != nil {
			c = "invalid path " + string(p)
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// introspect runs graphql-js's default introspection query and returns the
// data.
func introspect(t *testing.T, node string, srv *serveProcess, token string) json.RawMessage {
	t.Helper()
	var queries []struct {
		Name  string `json:"name"`
		Query string `json:"query"`
	}
	runJS(t, node, nil, &queries, "introspection-queries")
	for _, q := range queries {
		if q.Name != "default" {
			continue
		}
		a := srv.ask(gqlRequest{Query: q.Query}, token)
		if !a.hasData || len(a.errors) > 0 {
			t.Fatalf("graphql-js's default introspection query: %s\n%.2000s", a.verdict(), a.raw)
		}
		return a.data
	}
	t.Fatal("conformance.mjs gave no default introspection query")
	return nil
}

const conformanceToken = "conformance-token"

// TestGraphQLJSDifferential compares chipgraph with graphql-js 16 on the
// documents conformance.mjs generates from chipgraph's schema (fixed seeds)
// and its hand-written edge cases. For every document: the same verdict
// (graphql-js parse + validate + operation and variable coercion against
// chipgraph's data entry); for accepted ones the same data, byte for byte
// after re-encoding and in the same key order, and the same error paths, as
// graphql-js produces from chipgraph's answer to an augmented copy (see
// conformance.mjs); for cases with sameDataAs, the same data as the
// reference document.
//
// The server runs with its default limits but --max-aliases 10000, for the
// augmented copies' aliases; the generated documents keep within the other
// limits, so a verdict difference is about the specification.
func TestGraphQLJSDifferential(t *testing.T) {
	node := graphqlJS(t)
	// Mostly waiting on a subprocess: run beside the package's other tests.
	t.Parallel()
	srv := startServe(t, []string{"--max-aliases", "10000"}, "CHIPGRAPH_TOKENS="+conformanceToken)
	intro := introspect(t, node, srv, conformanceToken)

	type jsCase struct {
		Name          string          `json:"name"`
		Category      string          `json:"category"`
		Query         string          `json:"query"`
		Variables     json.RawMessage `json:"variables"`
		OperationName string          `json:"operationName"`
		SameDataAs    string          `json:"sameDataAs"`
		Valid         bool            `json:"valid"`
		Errors        []string        `json:"errors"`
		Augmented     string          `json:"augmented"`
	}
	var cases []jsCase
	runJS(t, node, map[string]any{"introspection": intro}, &cases, "prepare")
	if len(cases) < 500 {
		t.Fatalf("conformance.mjs generated %d documents; the test needs at least 500", len(cases))
	}

	type expectIn struct {
		Name              string          `json:"name"`
		Query             string          `json:"query"`
		Variables         json.RawMessage `json:"variables,omitempty"`
		OperationName     string          `json:"operationName,omitempty"`
		AugmentedResponse json.RawMessage `json:"augmentedResponse"`
	}
	type result struct {
		original, augmented, reference answer
	}
	results := make([]result, len(cases))
	var toExpect []expectIn
	started := time.Now()
	for i, c := range cases {
		req := gqlRequest{Query: c.Query, Variables: c.Variables, OperationName: c.OperationName}
		results[i].original = srv.ask(req, conformanceToken)
		if c.Valid && results[i].original.hasData {
			aug := req
			aug.Query = c.Augmented
			results[i].augmented = srv.ask(aug, conformanceToken)
			if results[i].augmented.hasData {
				toExpect = append(toExpect, expectIn{Name: c.Name, Query: c.Query, Variables: c.Variables,
					OperationName: c.OperationName, AugmentedResponse: results[i].augmented.raw})
			}
		}
		if c.SameDataAs != "" {
			results[i].reference = srv.ask(gqlRequest{Query: c.SameDataAs}, conformanceToken)
		}
	}
	t.Logf("%d documents sent in %s", len(cases), time.Since(started).Round(time.Millisecond))

	type expected struct {
		Name   string  `json:"name"`
		Data   *string `json:"data"`
		Errors []struct {
			Path    json.RawMessage `json:"path"`
			Message string          `json:"message"`
		} `json:"errors"`
		OracleError string `json:"oracleError"`
	}
	var expectations []expected
	runJS(t, node, map[string]any{"introspection": intro, "cases": toExpect}, &expectations, "expect")
	want := map[string]expected{}
	for _, e := range expectations {
		want[e.Name] = e
	}

	// Tally by category: documents, graphql-js's valid/invalid, and
	// disagreements by kind.
	type tally struct {
		docs, valid int
		kinds       map[string]int
	}
	tallies := map[string]*tally{}
	total := &tally{kinds: map[string]int{}}
	disagree := func(c jsCase, kind string) {
		tl := tallies[c.Category]
		tl.kinds[kind]++
		total.kinds[kind]++
	}

	for i, c := range cases {
		res := results[i]
		tl := tallies[c.Category]
		if tl == nil {
			tl = &tally{kinds: map[string]int{}}
			tallies[c.Category] = tl
		}
		tl.docs++
		total.docs++
		if c.Valid {
			tl.valid++
			total.valid++
		}
		t.Run(c.Name, func(t *testing.T) {
			describe := func() string {
				s := fmt.Sprintf("document:\n%s", c.Query)
				if len(c.Variables) > 0 {
					s += fmt.Sprintf("\nvariables: %s", c.Variables)
				}
				if c.OperationName != "" {
					s += "\noperationName: " + c.OperationName
				}
				return s
			}
			orig := res.original
			if orig.failure != "" {
				disagree(c, "no answer")
				t.Fatalf("chipgraph gave no GraphQL response: %s\n%s", orig.failure, describe())
			}
			if c.Valid != orig.hasData {
				js := "accepts"
				if !c.Valid {
					js = "rejects (" + strings.Join(c.Errors, "; ") + ")"
				}
				kind := "verdict: chipgraph rejects a valid document"
				if !c.Valid {
					kind = "verdict: chipgraph accepts an invalid document"
				}
				disagree(c, kind)
				t.Fatalf("graphql-js %s; chipgraph %s\n%s", js, orig.verdict(), describe())
			}
			if c.SameDataAs != "" {
				ref := res.reference
				got, err1 := canonicalJSON(orig.data)
				exp, err2 := canonicalJSON(ref.data)
				if !ref.hasData || err1 != nil || err2 != nil || got != exp {
					disagree(c, "data differs from the equivalent document")
					t.Errorf("data differs from that of the equivalent document\n got: %s\nwant: %s (%s)\nequivalent: %s\n%s",
						orig.data, ref.data, ref.verdict(), c.SameDataAs, describe())
				}
			}
			if !c.Valid {
				return
			}
			if aug := res.augmented; !aug.hasData {
				disagree(c, "augmented copy rejected")
				t.Fatalf("chipgraph accepts the document but not its augmented copy: %s\naugmented:\n%s\n%s", aug.verdict(), c.Augmented, describe())
			}
			exp, ok := want[c.Name]
			switch {
			case !ok:
				t.Fatal("graphql-js gave no expected response")
			case exp.OracleError != "":
				disagree(c, "oracle error")
				t.Fatalf("graphql-js could not execute over chipgraph's answer: %s\naugmented answer: %.2000s\n%s", exp.OracleError, res.augmented.raw, describe())
			}
			got, err := canonicalJSON(orig.data)
			if err != nil {
				disagree(c, "data is not JSON")
				t.Fatalf("chipgraph's data is not JSON: %v\n%.2000s", err, orig.raw)
			}
			wantData := "null"
			if exp.Data != nil {
				if wantData, err = canonicalJSON([]byte(*exp.Data)); err != nil {
					t.Fatal(err)
				}
			}
			if got != wantData {
				kind := "data differs"
				if sameMembers(got, wantData) {
					kind = "key order differs"
				}
				disagree(c, kind)
				t.Errorf("%s\nchipgraph: %.3000s\n  want:    %.3000s\n%s", kind, got, wantData, describe())
			}
			var gotPaths, wantPaths []json.RawMessage
			for _, e := range orig.errors {
				gotPaths = append(gotPaths, e.Path)
			}
			for _, e := range exp.Errors {
				wantPaths = append(wantPaths, e.Path)
			}
			if g, w := errorPaths(gotPaths), errorPaths(wantPaths); !slices.Equal(g, w) {
				disagree(c, "error paths differ")
				t.Errorf("error paths differ\nchipgraph: %v\n  want:    %v\nchipgraph's errors: %s\n%s", g, w, jsonOf(orig.errors), describe())
			}
		})
	}

	var lines []string
	cats := make([]string, 0, len(tallies))
	for c := range tallies {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	row := func(name string, tl *tally) string {
		var ks []string
		for k, n := range tl.kinds {
			ks = append(ks, fmt.Sprintf("%s: %d", k, n))
		}
		slices.Sort(ks)
		return fmt.Sprintf("%-40s %4d documents, %4d valid, %4d invalid; disagreements: %s",
			name, tl.docs, tl.valid, tl.docs-tl.valid, strings.Join(ks, ", "))
	}
	for _, c := range cats {
		lines = append(lines, row(c, tallies[c]))
	}
	lines = append(lines, row("TOTAL", total))
	t.Logf("graphql-js differential, by category (valid/invalid is graphql-js's verdict):\n%s", strings.Join(lines, "\n"))
}

// sameMembers tells whether two canonical JSON texts differ only in the
// order of object keys.
func sameMembers(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x) // encoding/json sorts map keys
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestIntrospectionEveryOption sends graphql-js 16's getIntrospectionQuery for
// every combination of its options (descriptions, specifiedByUrl,
// directiveIsRepeatable, schemaDescription, inputValueDeprecation, oneOf) and
// checks that chipgraph answers each without errors and that
// buildClientSchema accepts the answer as a valid schema.
func TestIntrospectionEveryOption(t *testing.T) {
	node := graphqlJS(t)
	// Mostly waiting on a subprocess: run beside the package's other tests.
	t.Parallel()
	srv := startServe(t, nil)
	var queries []struct {
		Name    string          `json:"name"`
		Options json.RawMessage `json:"options"`
		Query   string          `json:"query"`
	}
	runJS(t, node, nil, &queries, "introspection-queries")
	if len(queries) != 65 {
		t.Fatalf("conformance.mjs gave %d introspection queries, want 64 combinations and the default", len(queries))
	}
	type built struct {
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	}
	var toBuild []built
	answered := 0
	for _, q := range queries {
		a := srv.ask(gqlRequest{Query: q.Query}, "")
		if !a.hasData || len(a.errors) > 0 {
			t.Errorf("getIntrospectionQuery(%s): %s", q.Options, a.verdict())
			continue
		}
		answered++
		toBuild = append(toBuild, built{Name: q.Name, Response: a.raw})
	}
	var results []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	runJS(t, node, toBuild, &results, "build-client-schema")
	builtOK := 0
	for _, r := range results {
		if r.OK {
			builtOK++
			continue
		}
		t.Errorf("buildClientSchema(answer to getIntrospectionQuery %s): %s", r.Name, r.Error)
	}
	t.Logf("%d of %d introspection queries answered without errors; buildClientSchema accepted %d", answered, len(queries), builtOK)
}

// TestGraphQLOverHTTPAudit runs graphql-http's auditServer against a real
// `chipgraph serve`. An audit that errs (a MUST of the GraphQL-over-HTTP
// specification) fails the test; warnings (SHOULDs) are listed, and the
// README's GraphQL section explains each one that remains.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node := graphqlJS(t)
	// Mostly waiting on a subprocess: run beside the package's other tests.
	t.Parallel()
	srv := startServe(t, nil)
	var results []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	runJS(t, node, nil, &results, "audit", srv.base+"/graphql")
	count := map[string]int{}
	for _, r := range results {
		count[r.Status]++
		switch r.Status {
		case "ok":
		case "warn":
			t.Logf("warn %s %s: %s", r.ID, r.Name, r.Reason)
		default:
			t.Errorf("%s %s %s: %s", r.Status, r.ID, r.Name, r.Reason)
		}
	}
	if len(results) == 0 {
		t.Fatal("the audit ran no checks")
	}
	t.Logf("graphql-http audit: %d ok, %d warn, %d error", count["ok"], count["warn"], len(results)-count["ok"]-count["warn"])
}
