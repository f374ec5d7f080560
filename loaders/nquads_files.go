package loaders

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// NQuadsInput is N-Quads from files or standard input ("-"), opened and
// ready to import: every file is open (or read) before anything is written,
// so a missing one fails first.
type NQuadsInput struct {
	r      io.Reader
	name   string
	parts  []nquadsPart // when several inputs were joined
	closer io.Closer
}

// nquadsPart is one input of a joined NQuadsInput.
type nquadsPart struct {
	name  string
	first int // line of the joined input where this part starts
}

const joinedNQuads = "<nquads>"

// OpenNQuads opens paths ("-" is stdin). One input is streamed; several
// are read into memory and joined, and the errors of Import name each
// one's own file and line.
func OpenNQuads(stdin io.Reader, paths ...string) (*NQuadsInput, error) {
	if len(paths) == 1 {
		if paths[0] == "-" {
			return &NQuadsInput{r: stdin, name: "<stdin>"}, nil
		}
		f, err := os.Open(paths[0])
		if err != nil {
			return nil, openError(paths[0], err)
		}
		return &NQuadsInput{r: bufio.NewReader(f), name: paths[0], closer: f}, nil
	}
	in := &NQuadsInput{name: joinedNQuads}
	var joined bytes.Buffer
	line := 1
	for _, p := range paths {
		var b []byte
		var err error
		if p == "-" {
			b, err = io.ReadAll(stdin)
			p = "<stdin>"
		} else {
			b, err = os.ReadFile(p)
		}
		if err != nil {
			return nil, openError(p, err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		in.parts = append(in.parts, nquadsPart{p, line})
		line += bytes.Count(b, []byte{'\n'})
		joined.Write(b)
	}
	in.r = &joined
	return in, nil
}

// Import applies the input to s in one atomic change (ImportNQuads).
func (in *NQuadsInput) Import(ctx context.Context, s graph.Writer) (graph.ApplyResult, error) {
	res, err := ImportNQuads(ctx, s, in.r, in.name)
	return res, in.fixPaths(err)
}

// Close closes the input's file, if it has one.
func (in *NQuadsInput) Close() error {
	if in.closer == nil {
		return nil
	}
	return in.closer.Close()
}

// fixPaths maps the "<nquads>:LINE" of err's paths back to each input's
// own file and line.
func (in *NQuadsInput) fixPaths(err error) error {
	if in.parts == nil {
		return err
	}
	fixOne := func(ge *graph.Error) *graph.Error {
		rest, ok := strings.CutPrefix(ge.Path, joinedNQuads+":")
		if !ok {
			return ge
		}
		numStr, tail, _ := strings.Cut(rest, ":")
		n, convErr := strconv.Atoi(numStr)
		if convErr != nil {
			return ge
		}
		for i := len(in.parts) - 1; i >= 0; i-- {
			if p := in.parts[i]; n >= p.first {
				g := *ge
				g.Path = fmt.Sprintf("%s:%d", p.name, n-p.first+1)
				if tail != "" {
					g.Path += ":" + tail
				}
				return &g
			}
		}
		return ge
	}
	var list graph.Errors
	var one *graph.Error
	switch {
	case errors.As(err, &list):
		out := make(graph.Errors, len(list))
		for i, ge := range list {
			out[i] = fixOne(ge)
		}
		return out
	case errors.As(err, &one):
		return fixOne(one)
	}
	return err
}
