package graph

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/chipgraph/chipgraph/graph/fulltext"
)

// Full-text search. Store.Search is answered by a full-text index of every
// entity (graph/fulltext, over bleve): names and aliases, description,
// attribute notes and the titles of cited sources, ranked by BM25, with
// typos and CJK text handled by the index. Entities whose id, name or an
// alias equals the whole text (after Normalize) come first.
//
// The index is derived from the projection: built on the first search (so
// commands that never search never pay for it) and from then on updated by
// every write before Apply returns. Both happen under the store's writer
// lock, so the index never misses a write.

// MaxSearchText and MaxSearchTerms bound a search's text, in bytes and
// words; longer text is CodeInvalid.
const (
	MaxSearchText  = fulltext.MaxQueryBytes
	MaxSearchTerms = fulltext.MaxQueryTerms
)

// exactScore is the Score of an entity whose id, name or alias is the
// whole search text.
const exactScore = 1000

// textIndex is what the store needs of a full-text index.
type textIndex interface {
	Update(put []fulltext.Doc, del []string) error
	Search(ctx context.Context, q fulltext.Query) ([]fulltext.Hit, error)
	Close() error
}

// rebuildAfter is how many writes the index follows before it is rebuilt:
// each write adds a segment that every search then visits, and an
// in-memory index never merges them.
const rebuildAfter = 128

// textSearch holds the store's index once built.
type textSearch struct {
	idx atomic.Pointer[textIndex] // nil until the first search
	// use is held (read) by searches while they use the index, so that a
	// rebuild closes the old one only when none does.
	use    sync.RWMutex
	writes int // writes followed since the index was built; under the writer lock
	// failed remembers a build error so that every search reports it
	// rather than rebuilding on each request.
	mu     sync.Mutex
	failed error
}

// textIndexFor builds the index on first use. It takes the writer lock, so
// callers must not hold the read lock.
func (s *CayleyStore) textIndexFor(ctx context.Context) (textIndex, error) {
	if p := s.text.idx.Load(); p != nil {
		return *p, nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if p := s.text.idx.Load(); p != nil {
		return *p, nil
	}
	s.text.mu.Lock()
	defer s.text.mu.Unlock()
	if s.text.failed != nil {
		return nil, s.text.failed
	}
	if s.closed {
		return nil, &Error{Op: "store.Search", Code: CodeInternal, Msg: "store is closed"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	idx, err := buildTextIndex(s.proj)
	if err != nil {
		s.text.failed = &Error{Op: "store.Search", Code: CodeInternal, Msg: "cannot build the full-text index", Err: err}
		return nil, s.text.failed
	}
	s.text.idx.Store(&idx)
	return idx, nil
}

// buildTextIndex indexes every entity of p.
func buildTextIndex(p *projection) (textIndex, error) {
	idx, err := fulltext.New()
	if err != nil {
		return nil, err
	}
	docs := make([]fulltext.Doc, 0, len(p.nodes))
	for _, n := range p.nodes {
		docs = append(docs, textDoc(p, n.entity))
	}
	if err := idx.Update(docs, nil); err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}

// BuildTextIndex builds the full-text index now rather than on the first
// search (for servers, so that no request waits for it, and benchmarks).
func (s *CayleyStore) BuildTextIndex(ctx context.Context) error {
	_, err := s.textIndexFor(ctx)
	return err
}

// textDoc is what the index holds of e.
func textDoc(p *projection, e *Entity) fulltext.Doc {
	d := fulltext.Doc{
		Roles:       roles(p.nodes[e.ID]),
		ID:          e.ID,
		Kind:        string(e.Kind),
		Names:       append([]string{e.Name}, e.Aliases...),
		Keys:        nameKeys(e),
		Description: e.Description,
	}
	var keys []string
	keys = append(keys, e.Sources...)
	for _, a := range e.Attributes {
		if a.Note != "" {
			d.Notes = append(d.Notes, a.Note)
		}
		keys = append(keys, a.Sources...)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if src, ok := p.sources[k]; ok && src.Title != "" {
			d.Sources = append(d.Sources, src.Title)
		}
	}
	return d
}

// roles describes n's part in its supply relations, in words a searcher
// might use: "memory supplier of HBM2E to Huawei Technologies Co., Ltd.".
func roles(n *node) []string {
	if n == nil {
		return nil
	}
	var out []string
	say := func(parts ...string) {
		out = append(out, strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " "))
	}
	for _, e := range n.out {
		r, other := e.rel, e.to.entity.Name
		switch r.Type {
		case Supplies:
			say(r.Category, "supplier of", r.Product, "to", other)
		case Fabricates:
			say("foundry making", other)
		case Designs:
			say("designer of", other)
		case UsesComponent:
			say("uses", other)
		}
	}
	for _, e := range n.in {
		r, other := e.rel, e.from.entity.Name
		switch r.Type {
		case Supplies:
			say("customer of", other, "for", r.Category, r.Product)
		case Fabricates:
			say("made by", other)
		case Designs:
			say("designed by", other)
		case UsesComponent:
			say("component of", other)
		}
	}
	return out
}

// textTouched returns the entities whose documents a plan about to be
// applied to p changes (nil when the index is not built): those it
// upserts, the ends of the relations it adds, changes or deletes (their
// roles), and those citing a source it changes (their source titles). The
// caller holds the writer lock.
func (s *CayleyStore) textTouched(p *projection, pl *plan) map[string]bool {
	if s.text.idx.Load() == nil {
		return nil
	}
	put := map[string]bool{}
	for _, e := range pl.entities {
		put[e.ID] = true
	}
	rel := func(id string) {
		if e, ok := p.edges[id]; ok {
			put[e.rel.From] = true
			put[e.rel.To] = true
		}
	}
	for _, r := range pl.relations {
		rel(r.ID)
		put[r.From] = true
		put[r.To] = true
	}
	for _, id := range pl.delRels {
		rel(id)
	}
	if len(pl.sources) > 0 {
		// A new title changes the documents of every entity citing it.
		changed := map[string]bool{}
		for _, src := range pl.sources {
			changed[src.Key] = true
		}
		for id, n := range p.nodes {
			if cites(n.entity, changed) {
				put[id] = true
			}
		}
	}
	return put
}

// followWrite brings the index, if built, up to date with a plan just
// applied to p: touched is textTouched before the plan was applied. The
// caller holds the writer lock.
func (s *CayleyStore) followWrite(p *projection, touched map[string]bool, pl *plan) error {
	ip := s.text.idx.Load()
	if ip == nil || (len(touched) == 0 && len(pl.delEnts) == 0) {
		return nil
	}
	if s.text.writes++; s.text.writes >= rebuildAfter {
		idx, err := buildTextIndex(p)
		if err != nil {
			return err
		}
		s.text.use.Lock()
		s.text.idx.Store(&idx)
		s.text.use.Unlock()
		s.text.writes = 0
		return (*ip).Close()
	}
	docs := make([]fulltext.Doc, 0, len(touched))
	for id := range touched {
		if n, ok := p.nodes[id]; ok {
			docs = append(docs, textDoc(p, n.entity))
		}
	}
	return (*ip).Update(docs, pl.delEnts)
}

func cites(e *Entity, keys map[string]bool) bool {
	for _, k := range e.Sources {
		if keys[k] {
			return true
		}
	}
	for _, a := range e.Attributes {
		for _, k := range a.Sources {
			if keys[k] {
				return true
			}
		}
	}
	return false
}

// closeTextIndex releases the index; the caller holds the writer lock.
func (s *CayleyStore) closeTextIndex() {
	s.text.use.Lock()
	ip := s.text.idx.Swap(nil)
	s.text.use.Unlock()
	if ip != nil {
		(*ip).Close()
	}
	s.text.mu.Lock()
	s.text.failed = &Error{Op: "store.Search", Code: CodeInternal, Msg: "store is closed"}
	s.text.mu.Unlock()
}

// fullTextSearch implements Store.Search.
func (s *CayleyStore) fullTextSearch(ctx context.Context, text string, kinds []Kind, limit int) ([]Match, error) {
	const op = "store.Search"
	key := Normalize(text)
	if key == "" {
		return nil, &Error{Op: op, Code: CodeInvalid, Path: "text", Msg: "search text has no letters or digits"}
	}
	if limit <= 0 {
		limit = 10
	}
	if _, err := s.textIndexFor(ctx); err != nil {
		return nil, err
	}
	kindNames := make([]string, len(kinds))
	for i, k := range kinds {
		kindNames[i] = string(k)
	}
	// Exact matches are listed first and skipped among the hits, so ask
	// for as many more.
	var exact int
	if err := s.read(ctx, func(p *projection) error { exact = len(p.names[key]); return nil }); err != nil {
		return nil, err
	}
	s.text.use.RLock()
	var hits []fulltext.Hit
	var err error
	if ip := s.text.idx.Load(); ip != nil {
		hits, err = (*ip).Search(ctx, fulltext.Query{Text: text, Key: key, Kinds: kindNames, Limit: limit + exact})
	} else {
		err = &Error{Op: op, Code: CodeInternal, Msg: "store is closed"}
	}
	s.text.use.RUnlock()
	switch {
	case errors.Is(err, fulltext.ErrQueryTooLong):
		return nil, &Error{Op: op, Code: CodeInvalid, Path: "text",
			Msg: "search text is too long (" + strings.TrimPrefix(err.Error(), fulltext.ErrQueryTooLong.Error()+": ") + "): shorten it"}
	case errors.Is(err, fulltext.ErrNoTerms):
		hits = nil // only stop words: exact matches may still exist
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Op: op, Code: CodeInternal, Msg: "full-text search failed", Err: err}
	}
	var out []Match
	err = s.read(ctx, func(p *projection) error {
		seen := map[string]bool{}
		exact := slices.Clone(p.names[key])
		slices.SortFunc(exact, func(a, b *node) int {
			// The entity whose id is the text, then by name length.
			if c := cmpBool(Normalize(b.entity.ID) == key, Normalize(a.entity.ID) == key); c != 0 {
				return c
			}
			if c := cmp.Compare(len(a.entity.Name), len(b.entity.Name)); c != 0 {
				return c
			}
			return cmp.Compare(a.entity.ID, b.entity.ID)
		})
		for _, n := range exact {
			if len(kinds) == 0 || slices.Contains(kinds, n.entity.Kind) {
				out = append(out, Match{Entity: n.entity, Score: exactScore})
				seen[n.entity.ID] = true
			}
		}
		for _, h := range hits {
			n, ok := p.nodes[h.ID]
			if !ok || seen[h.ID] {
				continue // deleted since, or already first
			}
			seen[h.ID] = true
			out = append(out, Match{Entity: n.entity, Score: h.Score})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []Match{}
	}
	return out, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
