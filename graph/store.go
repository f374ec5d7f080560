package graph

import (
	"context"

	"github.com/cayleygraph/quad"
)

// Batch is a set of changes applied atomically by Store.Apply: either every
// change lands or none does. Upserts replace the whole stored record with the
// same key. Deletes name records by key.
type Batch struct {
	Sources   []Source
	Entities  []Entity
	Relations []Relation

	DeleteRelations []string
	DeleteEntities  []string
	DeleteSources   []string

	// Cascade makes DeleteEntities also delete every relation touching the
	// deleted entities. Without it such a delete fails with CodeConflict.
	Cascade bool
}

// Empty reports whether b changes nothing.
func (b *Batch) Empty() bool {
	return len(b.Sources)+len(b.Entities)+len(b.Relations)+
		len(b.DeleteRelations)+len(b.DeleteEntities)+len(b.DeleteSources) == 0
}

// ApplyResult counts what Apply changed. Records whose stored form was
// already identical count as Unchanged, so applying the same batch twice
// reports zero changes the second time.
type ApplyResult struct {
	Created, Updated, Deleted, Unchanged int
	// Quads is the number of quads added plus removed in the backend.
	Quads int
}

// Direction selects which relations of an entity to follow.
type Direction string

const (
	Out  Direction = "OUT"  // relations whose From is the entity
	In   Direction = "IN"   // relations whose To is the entity
	Both Direction = "BOTH" // either
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == Out || d == In || d == Both }

// EntityFilter selects entities. Zero fields do not filter.
type EntityFilter struct {
	Kinds     []Kind
	Countries []string
}

// RelationFilter selects relations. Zero fields do not filter. Entity with
// Direction selects relations at one endpoint; From and To fix each end.
type RelationFilter struct {
	Types     []RelationType
	Entity    string
	Direction Direction // with Entity; zero means Both
	From, To  string
	Category  string
	Statuses  []Status
	AsOf      Date // relations valid on that date (Relation.ValidAt)
}

// Selection picks a subgraph: the Seeds and everything reachable from them in
// Hops steps along relations matching Types, Direction and AsOf, keeping only
// entities of Kinds and Countries (seeds are always kept). With no Seeds it
// selects the whole graph under the same filters. Limit bounds the number of
// entities; when reached, the result is Truncated.
type Selection struct {
	Seeds     []string
	Hops      int
	Types     []RelationType
	Kinds     []Kind
	Countries []string
	Direction Direction // zero means Both
	AsOf      Date
	Limit     int // 0 means no limit
	// NoRelations leaves Subgraph.Relations empty, for callers that read
	// only the entities.
	NoRelations bool
}

// Subgraph is a set of entities and the relations among them. Relations only
// join entities that are in Entities.
//
// With seeds, Entities are in the order the walk reached them: the seeds as
// given, then hop by hop, each entity's relations followed in id order; and
// Relations in the order found, entity by entity. Both depend only on the
// graph and the selection. Without seeds both are sorted by id.
type Subgraph struct {
	Entities  []*Entity
	Relations []*Relation
	Truncated bool
}

// PathQuery asks for up to K shortest simple paths From -> To of at most
// MaxHops relations matching Types, Direction and AsOf.
type PathQuery struct {
	From, To  string
	MaxHops   int
	K         int
	Types     []RelationType
	Direction Direction // zero means Both
	AsOf      Date
}

// MaxPathHops bounds PathQuery.MaxHops: path enumeration grows with the
// degree to the power of the hop count.
const MaxPathHops = 6

// Path is a walk through the graph: Relations[i] joins Entities[i] and
// Entities[i+1] (in either direction when the query followed Both).
type Path struct {
	Entities  []*Entity
	Relations []*Relation
}

// Match is one search hit with its score; higher is better.
type Match struct {
	Entity *Entity
	Score  float64
}

// Stats counts what the store holds. Version changes on every successful
// Apply that changed something.
type Stats struct {
	Entities  int
	Relations int
	Sources   int
	Quads     int
	ByKind    map[Kind]int
	ByType    map[RelationType]int
	Version   uint64
}

// The store's interfaces. Each user depends on the smallest one it needs:
// the GraphQL resolvers and exports on Reader, Searcher and QuadSource (or a
// View pinned to one revision), the mutations and loaders on Writer, the
// replicas' health on SyncReporter. Store is their union.
//
// Values returned by these interfaces are shared and must not be modified by
// callers; they stay valid (as a snapshot) after later writes.
//
// Errors are *Error or Errors values with the codes documented per method;
// any other failure is CodeInternal.

// Writer changes the graph.
type Writer interface {
	// Apply validates b against itself and the stored graph, then applies
	// it atomically: on any error nothing is changed. Validation failures
	// come back together as Errors (CodeInvalid) with paths such as
	// "relations[3].to". Deleting a missing record is CodeNotFound;
	// deleting an entity that still has relations without b.Cascade, or a
	// source still cited, is CodeConflict. Apply copies what it keeps: the
	// caller may change or reuse b afterwards. It is Begin, Add(b) and
	// Commit in one.
	Apply(ctx context.Context, b Batch) (ApplyResult, error)

	// Begin starts a Write: one atomic change made of many batches, for
	// a change too large to hold as one Batch (a dataset load). Other
	// writes wait until it is committed or aborted; reads do not.
	Begin(ctx context.Context) (Write, error)
}

// Write is one atomic change built from batches added in turn. Nothing of
// it is visible to readers, or survives a crash, before Commit returns;
// Abort, a failed Commit or a crash leave the graph as it was. A Write is
// used by one goroutine, and must end with Commit or Abort: until then it
// holds the store's writer lock.
type Write interface {
	// Base is the graph the write started from.
	Base() View

	// Add validates b, as Apply would, against the graph as Base and the
	// batches added before it leave it, and stages it. On error nothing
	// of b is staged and the write may go on. The result counts b against
	// that staged graph. Add copies what it keeps, as Apply does.
	Add(ctx context.Context, b Batch) (ApplyResult, error)

	// StagedEntity and StagedRelation return a record as the batches
	// added so far leave it (shared: do not modify).
	StagedEntity(id string) (*Entity, bool)
	StagedRelation(id string) (*Relation, bool)

	// Commit writes the net change from Base to the staged graph and
	// publishes it as the next revision; its result counts that change
	// (Unchanged: records added whose final form is as in Base). A change
	// that nets out to nothing writes nothing. The write is over either
	// way.
	Commit(ctx context.Context) (ApplyResult, error)

	// Abort drops the staged change. It does nothing after Commit.
	Abort()
}

// Reader answers questions about the graph.
type Reader interface {
	// Entity returns the entity with the given id, or CodeNotFound.
	Entity(ctx context.Context, id string) (*Entity, error)

	// Relation returns the relation with the given id, or CodeNotFound.
	Relation(ctx context.Context, id string) (*Relation, error)

	// Source returns the source with the given key, or CodeNotFound.
	Source(ctx context.Context, key string) (*Source, error)

	// Sources returns every source, sorted by key.
	Sources(ctx context.Context) ([]*Source, error)

	// Resolve returns the entities whose id, name or an alias equals name
	// after normalisation (Normalize: case, width, punctuation and spacing
	// are ignored), sorted by id. No match is an empty slice, not an error.
	Resolve(ctx context.Context, name string) ([]*Entity, error)

	// Entities returns the entities matching f, sorted by id.
	Entities(ctx context.Context, f EntityFilter) ([]*Entity, error)

	// Relations returns the relations matching f, sorted by id. An unknown
	// f.Entity, f.From or f.To gives an empty result.
	Relations(ctx context.Context, f RelationFilter) ([]*Relation, error)

	// Subgraph returns the selection s (see Selection). Unknown seeds are
	// CodeNotFound; a negative Hops or Limit is CodeInvalid.
	Subgraph(ctx context.Context, s Selection) (*Subgraph, error)

	// Paths returns up to q.K shortest simple paths, shortest first and
	// then by the ids along them. No path is an empty slice. Unknown
	// endpoints are CodeNotFound; MaxHops outside 1..MaxPathHops or K < 1
	// is CodeInvalid. Long searches stop with ctx.Err() when ctx is done.
	Paths(ctx context.Context, q PathQuery) ([]Path, error)

	// Stats counts what the store holds.
	Stats(ctx context.Context) (Stats, error)
}

// Searcher finds entities by text.
type Searcher interface {
	// Search returns up to limit entities, best first: those whose id,
	// name or an alias is the whole text (after Normalize), then the
	// full-text hits over names, descriptions, notes, supply roles and
	// source titles (see search.go). kinds, when not empty, restricts the
	// kinds. A text with no letters or digits, or longer than
	// MaxSearchText bytes or MaxSearchTerms words, is CodeInvalid.
	Search(ctx context.Context, text string, kinds []Kind, limit int) ([]Match, error)
}

// QuadSource streams the graph as quads, for export.
type QuadSource interface {
	// Quads calls fn with every quad of every record (the quads the backend
	// holds for them), in a stable order, until fn returns an error, which
	// Quads returns.
	Quads(ctx context.Context, fn func(quad.Quad) error) error
}

// View is the graph at one revision: every answer it gives comes from that
// revision, however many writes land meanwhile, and taking or reading it
// never waits for a writer.
type View interface {
	Reader
	Searcher
	QuadSource
	Lookup
	// Revision identifies the state the view shows: it grows with every
	// write that changed something, and replicas over one database give
	// the same revision to the same state.
	Revision() uint64
}

// SyncReporter tells how far a store is behind the shared database it
// follows (see SyncStatus).
type SyncReporter interface {
	SyncStatus() SyncStatus
}

// Store is chipgraph's graph store: the union of the interfaces above.
// Implementations are safe for concurrent use by any number of readers and
// writers. Each read method answers from the View pinned in ctx by Pin, or
// else from the latest revision.
type Store interface {
	Writer
	Reader
	Searcher
	QuadSource
	SyncReporter

	// View returns the graph at the latest revision.
	View() View

	// Version is the latest revision (View().Revision()) without taking a
	// view: it costs no I/O, so callers may key caches on it per request.
	Version() uint64

	// Revision is the revision the read methods answer from through ctx:
	// that of the view pinned in ctx (Pin), else Version. Caches of what
	// was read through ctx are keyed on it.
	Revision(ctx context.Context) uint64

	// Close releases the backend. Calls after Close fail.
	Close() error
}
