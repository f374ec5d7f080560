package graph

import (
	"cmp"
	"context"
	"errors"
	"runtime/debug"
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
// The index is derived from the snapshots: built from the latest one on the
// first search (so commands that never search never pay for it) and from
// then on brought up to every snapshot the store publishes (publish), under
// the writer lock: local writes before Apply returns, other replicas'
// writes as the follower applies them, and whole reloads. So the index
// never misses a change.
//
// The index is one mutable index, not one per revision. It is brought up
// to a snapshot before the snapshot is published, so whoever sees a
// revision (Version, a view, the revision header) finds its changes by
// search. A search of an older view (a request pinned before a write, or
// the latest view while a write is being published) asks the index as it
// is now and reads every hit back through the view: it returns only
// entities the view holds, as the view holds them, but finds and ranks
// them by the newer text (an entity a newer write changed is found by its
// new words, not its old ones).

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
	writes int // updates followed since the index was built; under the writer lock
	// failed remembers a build error so that every search reports it
	// rather than rebuilding on each request.
	mu     sync.Mutex
	failed error
}

// textIndexFor builds the index on first use, from the latest snapshot. It
// takes the writer lock, so that no snapshot is published meanwhile.
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
	cur := s.cur.Load()
	if cur == nil {
		return nil, &Error{Op: "store.Search", Code: CodeInternal, Msg: "store is closed"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	idx, err := buildTextIndex(cur)
	if err != nil {
		s.text.failed = &Error{Op: "store.Search", Code: CodeInternal, Msg: "cannot build the full-text index", Err: err}
		return nil, s.text.failed
	}
	s.text.idx.Store(&idx)
	s.text.writes = 0
	// Give back what the build used and no longer needs: otherwise the
	// process keeps it resident until the runtime's scavenger gets to it.
	debug.FreeOSMemory()
	return idx, nil
}

// buildTextIndex indexes every entity of p, in at most about 16 batches
// (segments) of at least indexChunk documents: bleve holds a batch's
// analysed documents and the segment it builds at once, so one batch for
// the whole graph made the build's peak several times what it left (for
// 20,000 entities, 250 MB of heap where the store and the index then held
// 60 MB); each segment costs a search a little.
func buildTextIndex(p *snapshot) (textIndex, error) {
	idx, err := fulltext.New()
	if err != nil {
		return nil, err
	}
	chunk := max(indexChunk, (p.nodeIDs.n+15)/16)
	docs := make([]fulltext.Doc, 0, min(p.nodeIDs.n, chunk))
	p.nodeIDs.each(func(_ string, i int32) bool {
		if docs = append(docs, textDoc(p, i)); len(docs) == chunk {
			err = idx.Update(docs, nil)
			docs = docs[:0]
		}
		return err == nil
	})
	if err == nil && len(docs) > 0 {
		err = idx.Update(docs, nil)
	}
	if err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}

const indexChunk = 2048

// BuildTextIndex builds the full-text index now rather than on the first
// search (for servers, so that no request waits for it, and benchmarks).
func (s *CayleyStore) BuildTextIndex(ctx context.Context) error {
	_, err := s.textIndexFor(ctx)
	return err
}

// textDoc is what the index holds of the entity at node slot i of p.
func textDoc(p *snapshot, i int32) fulltext.Doc {
	e := p.node(i).entity
	d := fulltext.Doc{
		Roles:       roles(p, i),
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
		if src, ok := p.sources.get(k); ok && src.Title != "" {
			d.Sources = append(d.Sources, src.Title)
		}
	}
	return d
}

// roles describes the part of the entity at node slot i in its supply
// relations, in words a searcher might use: "memory supplier of HBM2E to
// Huawei Technologies Co., Ltd.".
func roles(p *snapshot, i int32) []string {
	var out []string
	say := func(parts ...string) {
		out = append(out, strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " "))
	}
	n := p.node(i)
	for _, ei := range n.out {
		e := p.edge(ei)
		r, other := e.rel, p.node(e.to).entity.Name
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
	for _, ei := range n.in {
		e := p.edge(ei)
		r, other := e.rel, p.node(e.from).entity.Name
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

// textChange collects what a run of changes touched, for the index: the
// entities whose documents may have changed, and the sources whose titles
// may have. A nil *textChange collects nothing.
type textChange struct {
	prev   *snapshot // the snapshot before the run
	ids    map[string]bool
	titles map[string]bool
}

// textChange starts collecting the changes applied to prev, or returns nil
// when there is no index to follow them. The caller holds the writer lock,
// under which alone the index is built.
func (s *CayleyStore) textChange(prev *snapshot) *textChange {
	if s.text.idx.Load() == nil {
		return nil
	}
	return &textChange{prev: prev, ids: map[string]bool{}, titles: map[string]bool{}}
}

// add notes the entities c touches: those written or deleted, the ends of
// the relations written, moved or deleted (their roles), and the sources
// written (the entities citing them show their titles). A relation both
// written and deleted in one run has its ends noted from the write.
func (t *textChange) add(c *changeSet) {
	if t == nil {
		return
	}
	ends := func(id string) {
		if i, ok := t.prev.edgeIDs.get(id); ok {
			r := t.prev.edge(i).rel
			t.ids[r.From], t.ids[r.To] = true, true
		}
	}
	for _, e := range c.Entities {
		t.ids[e.ID] = true
	}
	for _, id := range c.DeleteEntities {
		t.ids[id] = true
	}
	for _, r := range c.Relations {
		ends(r.ID)
		t.ids[r.From], t.ids[r.To] = true, true
	}
	for _, id := range c.DeleteRelations {
		ends(id)
	}
	for _, src := range c.Sources {
		t.titles[src.Key] = true
	}
}

// publish brings the index, if built, up to next and then makes next the
// latest snapshot: tc holds the changes that led to next, or is nil when
// they are not known (next was read whole from the backend) and the index
// is rebuilt. The caller holds the writer lock.
//
// An index that cannot follow is dropped, to be built again from the latest
// snapshot by the next search (which waits for the writer lock, so for
// next): the change has landed, and no search may answer from an index
// that missed it.
func (s *CayleyStore) publish(next *snapshot, tc *textChange) {
	if s.text.idx.Load() != nil {
		if err := s.followText(next, tc); err != nil {
			s.dropTextIndex()
		}
	}
	s.cur.Store(next)
}

// followText updates the index to next (see publish).
func (s *CayleyStore) followText(next *snapshot, tc *textChange) error {
	ip := s.text.idx.Load()
	if tc != nil && len(tc.titles) > 0 {
		next.nodeIDs.each(func(id string, i int32) bool {
			if cites(next.node(i).entity, tc.titles) {
				tc.ids[id] = true
			}
			return true
		})
	}
	if tc != nil && len(tc.ids) == 0 {
		return nil
	}
	// Each update adds a segment that every search then visits, and an
	// in-memory index never merges them: rebuild every so often, and
	// rather than update most documents.
	s.text.writes++
	if tc == nil || s.text.writes >= rebuildAfter || len(tc.ids) > max(next.nodeIDs.n/4, 1024) {
		idx, err := buildTextIndex(next)
		if err != nil {
			return err
		}
		s.text.use.Lock()
		s.text.idx.Store(&idx)
		s.text.use.Unlock()
		s.text.writes = 0
		return (*ip).Close()
	}
	var put []fulltext.Doc
	var del []string
	for id := range tc.ids {
		if i, ok := next.nodeIDs.get(id); ok {
			put = append(put, textDoc(next, i))
		} else {
			del = append(del, id)
		}
	}
	return (*ip).Update(put, del)
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

// dropTextIndex closes the index; the next search builds it again. The
// caller holds the writer lock.
func (s *CayleyStore) dropTextIndex() {
	s.text.use.Lock()
	ip := s.text.idx.Swap(nil)
	s.text.use.Unlock()
	if ip != nil {
		(*ip).Close()
	}
}

// closeTextIndex releases the index for good; the caller holds the writer
// lock.
func (s *CayleyStore) closeTextIndex() {
	s.dropTextIndex()
	s.text.mu.Lock()
	s.text.failed = &Error{Op: "store.Search", Code: CodeInternal, Msg: "store is closed"}
	s.text.mu.Unlock()
}

// fullTextSearch implements Searcher for the snapshot p of s: the index
// ranks, p answers (see the comment at the top of this file).
func (s *CayleyStore) fullTextSearch(ctx context.Context, p *snapshot, text string, kinds []Kind, limit int) ([]Match, error) {
	const op = "store.Search"
	key := Normalize(text)
	if key == "" {
		return nil, &Error{Code: CodeInvalid, Path: "text", Msg: "search text has no letters or digits"}
	}
	if limit <= 0 {
		limit = 10
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kindNames := make([]string, len(kinds))
	for i, k := range kinds {
		kindNames[i] = string(k)
	}
	// Exact matches are listed first and skipped among the hits, so ask
	// for as many more.
	exact, _ := p.names.get(key)
	q := fulltext.Query{Text: text, Key: key, Kinds: kindNames, Limit: limit + len(exact)}
	var hits []fulltext.Hit
	var err error
	for try := 0; ; try++ {
		if _, err := s.textIndexFor(ctx); err != nil {
			return nil, err
		}
		s.text.use.RLock()
		ip := s.text.idx.Load()
		if ip != nil {
			hits, err = (*ip).Search(ctx, q)
		}
		s.text.use.RUnlock()
		if ip != nil {
			break
		}
		// Dropped meanwhile by a change it could not follow: build it
		// again, once.
		if try == 1 {
			return nil, &Error{Op: op, Code: CodeInternal, Msg: "the full-text index is being rebuilt; try again"}
		}
	}
	switch {
	case errors.Is(err, fulltext.ErrQueryTooLong):
		return nil, &Error{Code: CodeInvalid, Path: "text",
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
	seen := map[string]bool{}
	exact = slices.Clone(exact)
	slices.SortFunc(exact, func(a, b int32) int {
		ea, eb := p.node(a).entity, p.node(b).entity
		// The entity whose id is the text, then by name length.
		if c := cmpBool(Normalize(eb.ID) == key, Normalize(ea.ID) == key); c != 0 {
			return c
		}
		if c := cmp.Compare(len(ea.Name), len(eb.Name)); c != 0 {
			return c
		}
		return cmp.Compare(ea.ID, eb.ID)
	})
	for _, i := range exact {
		if e := p.node(i).entity; len(kinds) == 0 || slices.Contains(kinds, e.Kind) {
			out = append(out, Match{Entity: e, Score: exactScore})
			seen[e.ID] = true
		}
	}
	for _, h := range hits {
		i, ok := p.nodeIDs.get(h.ID)
		if !ok || seen[h.ID] {
			continue // not in this snapshot, or already first
		}
		e := p.node(i).entity
		if len(kinds) > 0 && !slices.Contains(kinds, e.Kind) {
			continue // its kind changed after the snapshot
		}
		seen[h.ID] = true
		out = append(out, Match{Entity: e, Score: h.Score})
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
