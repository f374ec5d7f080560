package loaders

import (
	"context"
	"os"
	"path/filepath"
	"slices"

	"github.com/chipgraph/chipgraph/data"
	"github.com/chipgraph/chipgraph/graph"
)

// ReadCuratedData reads the curated data: the YAML files of dir, or when dir
// is "" the data embedded in the binary (package data).
func ReadCuratedData(dir string) (*Curated, error) {
	if dir != "" {
		return ReadCuratedOS(dir)
	}
	return ReadCurated(data.FS, ".")
}

// SeedIfEmpty applies the curated data (dir, or the embedded data when dir
// is "") to s when s holds no entity yet, so that every store starts from
// the curated graph. seeded reports whether it did.
func SeedIfEmpty(ctx context.Context, s graph.Store, dir string) (res graph.ApplyResult, seeded bool, err error) {
	st, err := s.Stats(ctx)
	if err != nil || st.Entities > 0 {
		return res, false, err
	}
	c, err := ReadCuratedData(dir)
	if err != nil {
		return res, false, err
	}
	res, err = c.Apply(ctx, s)
	return res, err == nil, err
}

// OpenCurated opens an in-memory store holding the curated data embedded in
// the binary: what `chipgraph serve` starts with by default, and what tests
// and examples query.
func OpenCurated(ctx context.Context) (*graph.CayleyStore, error) {
	s, err := graph.Open(ctx, "memory:")
	if err != nil {
		return nil, err
	}
	if _, _, err := SeedIfEmpty(ctx, s, ""); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// CuratedContext reads what curated files refer to beyond themselves: the
// other YAML files of the directories that hold them (the rest of a data
// directory), or, when there are none, the embedded data. Files the context
// cannot parse are left out of it; their mistakes are not the files'. A
// path that is a directory brings no context: it is the data itself.
func CuratedContext(paths ...string) (*Curated, error) {
	var given, rest []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, ioError(p, err)
		}
		if info.IsDir() {
			return &Curated{}, nil
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, ioError(p, err)
		}
		given = append(given, abs)
	}
	for _, p := range given {
		entries, err := os.ReadDir(filepath.Dir(p))
		if err != nil {
			return nil, ioError(filepath.Dir(p), err)
		}
		for _, e := range entries {
			name := filepath.Join(filepath.Dir(p), e.Name())
			ext := filepath.Ext(name)
			if e.IsDir() || (ext != ".yaml" && ext != ".yml") || slices.Contains(given, name) || slices.Contains(rest, name) {
				continue
			}
			rest = append(rest, name)
		}
	}
	if len(rest) == 0 {
		return ReadCuratedData("")
	}
	var ctx Curated
	for _, name := range rest {
		c, _ := ReadCuratedOS(name) // records that parsed, despite mistakes elsewhere
		if c == nil {
			continue
		}
		ctx.Batch.Entities = append(ctx.Batch.Entities, c.Batch.Entities...)
		ctx.Batch.Sources = append(ctx.Batch.Sources, c.Batch.Sources...)
		ctx.Files = append(ctx.Files, c.Files...)
	}
	return &ctx, nil
}

// Lookup answers graph.Validate's questions from c's records, so that other
// files can be validated against them.
func (c *Curated) Lookup() graph.Lookup {
	l := curatedLookup{kinds: map[string]graph.Kind{}, sources: map[string]bool{}}
	for _, e := range c.Batch.Entities {
		l.kinds[e.ID] = e.Kind
	}
	for _, s := range c.Batch.Sources {
		l.sources[s.Key] = true
	}
	return l
}

type curatedLookup struct {
	kinds   map[string]graph.Kind
	sources map[string]bool
}

func (l curatedLookup) EntityKind(id string) (graph.Kind, bool) {
	k, ok := l.kinds[id]
	return k, ok
}

func (l curatedLookup) HasSource(key string) bool { return l.sources[key] }
