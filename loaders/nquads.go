package loaders

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"github.com/chipgraph/chipgraph/graph"
)

// ExportNQuads writes every quad of s (s.Quads, in its stable order) to w as
// N-Quads, one per line. Errors of s are returned as they are; a failure to
// write is CodeInternal.
func ExportNQuads(ctx context.Context, s graph.QuadSource, w io.Writer) error {
	enc := nquads.NewWriter(w)
	var writeErr error
	err := s.Quads(ctx, func(q quad.Quad) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := enc.WriteQuad(q); err != nil {
			writeErr = err
			return err
		}
		return nil
	})
	if err == nil {
		if err = enc.Close(); err != nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		return &graph.Error{Op: "nquads.export", Code: graph.CodeInternal, Msg: "writing N-Quads failed", Err: writeErr}
	}
	return err
}

// ImportNQuads reads N-Quads from r, rebuilds the records they hold with
// graph.BatchFromQuads (only the record quads a Store writes count; the
// derived structural quads are skipped) and applies them to s atomically
// with s.Apply. name is how messages call r, usually its file name.
//
// Malformed lines are all reported together as graph.Errors with paths
// "name:line" and nothing is applied; so are records that are not
// chipgraph's. Errors from s.Apply get paths "name: relations[3].to", the
// index counting the records of that kind in the order they appear.
func ImportNQuads(ctx context.Context, s graph.Writer, r io.Reader, name string) (graph.ApplyResult, error) {
	var (
		quads []quad.Quad
		lines []int // lines[i] is the line of quads[i]
		errs  graph.Errors
	)
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if q, ok, perr := parseQuadLine(line); perr != nil {
				errs = append(errs, &graph.Error{
					Code: graph.CodeInvalid,
					Path: fmt.Sprintf("%s:%d", name, n), Msg: perr.Error(),
				})
			} else if ok {
				quads = append(quads, q)
				lines = append(lines, n)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return graph.ApplyResult{}, &graph.Error{Op: "nquads.import", Code: graph.CodeInternal, Path: name, Msg: "reading failed", Err: err}
		}
		if err := ctx.Err(); err != nil {
			return graph.ApplyResult{}, err
		}
	}
	if len(errs) > 0 {
		return graph.ApplyResult{}, errs
	}
	b, err := graph.BatchFromQuads(quads)
	if err != nil {
		return graph.ApplyResult{}, prefixErrors(err, func(path string) string {
			if m := quadIndex.FindStringSubmatch(path); m != nil {
				if i, err := strconv.Atoi(m[1]); err == nil && i < len(lines) {
					return fmt.Sprintf("%s:%d%s", name, lines[i], m[2])
				}
			}
			return joinPath(name, path)
		})
	}
	res, err := s.Apply(ctx, b)
	return res, prefixErrors(err, func(path string) string { return joinPath(name, path) })
}

var quadIndex = regexp.MustCompile(`^quads\[(\d+)\](.*)$`)

func joinPath(name, path string) string {
	if path == "" {
		return name
	}
	return name + ": " + path
}

// parseQuadLine parses one line of N-Quads; ok is false for blank lines and
// comments.
func parseQuadLine(line []byte) (q quad.Quad, ok bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return quad.Quad{}, false, nil
	}
	q, err = nquads.Parse(string(line))
	if err != nil {
		return quad.Quad{}, false, err // "invalid N-Quad: unexpected rune ..."
	}
	if !q.IsValid() {
		return quad.Quad{}, false, fmt.Errorf("%w: subject, predicate and object are required", quad.ErrInvalid)
	}
	return q, true, nil
}

// prefixErrors rewrites the paths of the graph errors in err with fn.
func prefixErrors(err error, fn func(string) string) error {
	switch e := err.(type) {
	case graph.Errors:
		out := make(graph.Errors, len(e))
		for i, x := range e {
			y := *x
			y.Path = fn(x.Path)
			out[i] = &y
		}
		return out
	case *graph.Error:
		y := *e
		y.Path = fn(e.Path)
		return &y
	}
	return err
}
