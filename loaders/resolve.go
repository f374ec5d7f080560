package loaders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/chipgraph/chipgraph/graph"
)

// Plan is the outcome of resolving datasets against a store: the one batch
// that would apply them atomically, and what it would create, merge, change
// and close. PlanLoad builds it without writing, and Apply writes it; Load
// writes as it resolves, in batches, and keeps in Batch only the sources.
//
// Resolution is conservative. A dataset entity is merged into an entity the
// store (or an earlier record of the same load) already has when
//
//   - they share an external id (same scheme and value), or
//   - the record's name, after NameKey (graph.Normalize plus dropping legal
//     forms such as "Co., Ltd." or 有限公司), equals the key of the
//     entity's name or of one of its aliases,
//
// and exactly one entity matches that is of a compatible kind
// (organisations - COMPANY, RESEARCH_ORG, GOVERNMENT_BODY, FUND - are
// compatible with one another, other kinds only with themselves) and that
// no other record of the same dataset was merged into or created as in
// this load (a loader groups its own rows, so records it keeps apart, such
// as a parent and its subsidiary, stay apart). When several match, a stored
// entity this dataset gave under the same name in an earlier load wins, so
// reloading is stable. The merged entity keeps its
// id, kind and curated fields and gains the record's names as aliases, its
// sources, origins and external ids. Likely matches that are not merged -
// several candidates, an alias equal only to another alias, one name a
// prefix of the other, an alias of the record equal to the entity's name
// or alias, a kind mismatch - are listed in Likely.
//
// Editions are ordered by their date, whatever the order they are loaded
// in (one edition of a dataset per load). A newer edition of a dataset replaces that dataset's origins and
// attributes on the entities it touches, and relations the dataset gave in
// an earlier edition but no longer gives end (ValidTo, status ended) on
// the date of the first edition that no longer gives them. An edition
// older than one the store already holds changes none of the newer
// edition's facts: it adds its origins and sources, an earlier first
// report, attributes the newer edition does not give, and the relations
// only it lists, ended on the date of the next edition (Notes says so).
// Facts of other datasets and curated facts are left as they are.
type Plan struct {
	Batch graph.Batch

	Created   []string // ids of entities created
	Merged    []Merge  // records merged into entities already there
	Updated   []string // ids of existing entities changed
	Unchanged int      // existing entities a record matched that did not change

	RelCreated   []string
	RelUpdated   []string
	RelClosed    []string // relations closed because an edition dropped them
	RelUnchanged int

	Likely  []Likely
	Dropped []string // relations dropped, with the reason
	Notes   []string // how editions were ordered, for the summary

	// entWhere[i] and relWhere[i] are the origin records of the batch's
	// entities[i] and relations[i], for error messages.
	entWhere, relWhere []string
	sets               []*Dataset
}

// Merge is one dataset record merged into an existing entity.
type Merge struct {
	Dataset, Record string // the record: dataset and origin record
	Name            string // the record's name
	Into            string // id of the entity it was merged into
	By              string // how it matched: "external id eto:P1" or "name"
}

// Likely is a probable match that was not merged.
type Likely struct {
	Dataset, Record string
	Name            string
	ID              string // id the record got
	Candidates      []string
	Why             string
}

// orgKinds may merge with one another.
var orgKinds = []graph.Kind{graph.KindCompany, graph.KindResearchOrg, graph.KindGovernmentBody, graph.KindFund}

func compatible(a, b graph.Kind) bool {
	return a == b || (slices.Contains(orgKinds, a) && slices.Contains(orgKinds, b))
}

// index finds entities by external id and name keys.
type index struct {
	ext   map[string][]string // scheme + "\x00" + value -> ids
	names map[string][]string // NameKey(name) -> ids
	alias map[string][]string // NameKey(alias) -> ids
	// sorted holds the keys of names and aliases in order, for prefix
	// searches; keys added since the last sort wait in recent, which is
	// scanned linearly and folded into sorted once it grows.
	sorted, recent []string
	bulk           bool // while adding the stored entities: fold once at the end
}

func newIndex() *index {
	return &index{ext: map[string][]string{}, names: map[string][]string{}, alias: map[string][]string{}}
}

func (x *index) add(e *graph.Entity) {
	for _, id := range e.ExternalIDs {
		k := id.Scheme + "\x00" + id.Value
		x.ext[k] = addString(x.ext[k], e.ID)
	}
	if k := NameKey(e.Name); k != "" {
		if len(x.names[k]) == 0 && len(x.alias[k]) == 0 {
			x.recent = append(x.recent, k)
		}
		x.names[k] = addString(x.names[k], e.ID)
	}
	for _, a := range e.Aliases {
		if k := NameKey(a); k != "" {
			if len(x.names[k]) == 0 && len(x.alias[k]) == 0 {
				x.recent = append(x.recent, k)
			}
			x.alias[k] = addString(x.alias[k], e.ID)
		}
	}
	if len(x.recent) > 1024 && !x.bulk {
		x.fold()
	}
}

// fold sorts recent keys into sorted.
func (x *index) fold() {
	x.sorted = append(x.sorted, x.recent...)
	x.recent = x.recent[:0]
	slices.Sort(x.sorted)
	x.sorted = slices.Compact(x.sorted)
}

// withPrefix returns up to 5 ids whose name or alias key starts with p.
func (x *index) withPrefix(p string) []string {
	var ids []string
	take := func(k string) {
		for _, id := range append(slices.Clone(x.names[k]), x.alias[k]...) {
			if len(ids) < 5 {
				ids = addString(ids, id)
			}
		}
	}
	for i := sort.SearchStrings(x.sorted, p); i < len(x.sorted) && strings.HasPrefix(x.sorted[i], p) && len(ids) < 5; i++ {
		take(x.sorted[i])
	}
	for _, k := range x.recent {
		if len(ids) >= 5 {
			break
		}
		if strings.HasPrefix(k, p) {
			take(k)
		}
	}
	return ids
}

type planner struct {
	ctx      context.Context
	store    graph.Reader // the graph resolved against
	idx      *index
	existing map[string]*graph.Entity   // stored entities by id
	planned  map[string]*graph.Entity   // entities of the load by id
	refresh  map[string]bool            // entity id + "\x00" + dataset already refreshed
	rels     map[string]*graph.Relation // relations of the load not yet written
	relOrder []string
	stored   []*graph.Relation // every stored relation
	plan     *Plan

	// editions holds the date of every known edition of each dataset,
	// stored or loaded now, by dataset and edition name; latest the
	// newest stored edition of each dataset.
	editions map[string]map[string]graph.Date
	latest   map[string]graph.Date

	// Streaming (Load): what is planned goes to w every chunk relations.
	w     graph.Write
	chunk int
	// taken holds the relations resolved in earlier batches, and how
	// they were reported: a later record of one takes back the staged
	// relation (the stored one, if it was unchanged). dirty holds the
	// entities changed since the last batch; sentEnt those ever sent.
	taken          map[string]report
	dirty, sentEnt map[string]bool
	sentSources    bool
	result         graph.ApplyResult
}

// report is how a relation of the load was reported in the plan.
type report uint8

const (
	reportCreated report = iota + 1
	reportUpdated
	reportUnchanged
)

// PlanLoad resolves the datasets, in order, against s and returns the plan
// that would load them, as one batch (Plan.Batch, for Plan.Apply). It
// writes nothing. Load does the same and writes as it goes.
func PlanLoad(ctx context.Context, s graph.Reader, sets ...*Dataset) (*Plan, error) {
	p, err := newPlanner(ctx, s, sets)
	if err != nil {
		return nil, err
	}
	if err := p.run(sets); err != nil {
		return nil, err
	}
	if err := p.finish(sets); err != nil {
		return nil, err
	}
	return p.plan, nil
}

// loadChunk is how many relations Load writes per batch.
var loadChunk = 20_000

// Load resolves the datasets, in order, against s (as PlanLoad does) and
// writes them in one atomic graph.Write, a batch of up to loadChunk
// relations at a time, so a dataset streamed from its files (a CSV edge
// list) is never held whole: all of it lands or, on any error, nothing
// does. With dryRun it writes nothing (the Write is aborted): the plan
// then says what would change, validated as the load would be. The plan's
// Batch holds the sources only.
func Load(ctx context.Context, s graph.Writer, dryRun bool, sets ...*Dataset) (*Plan, graph.ApplyResult, error) {
	w, err := s.Begin(ctx)
	if err != nil {
		return nil, graph.ApplyResult{}, err
	}
	defer w.Abort()
	p, err := newPlanner(ctx, w.Base(), sets)
	if err != nil {
		return nil, graph.ApplyResult{}, err
	}
	p.w, p.chunk = w, loadChunk
	p.taken, p.dirty, p.sentEnt = map[string]report{}, map[string]bool{}, map[string]bool{}
	if err := p.run(sets); err != nil {
		return nil, graph.ApplyResult{}, err
	}
	if err := p.finish(sets); err != nil {
		return nil, graph.ApplyResult{}, err
	}
	if err := p.flush(); err != nil {
		return nil, graph.ApplyResult{}, err
	}
	if dryRun {
		return p.plan, p.result, nil
	}
	res, err := w.Commit(ctx)
	if err != nil {
		return nil, graph.ApplyResult{}, err
	}
	return p.plan, res, nil
}

func newPlanner(ctx context.Context, s graph.Reader, sets []*Dataset) (*planner, error) {
	p := &planner{
		ctx: ctx, store: s, idx: newIndex(),
		existing: map[string]*graph.Entity{}, planned: map[string]*graph.Entity{},
		refresh: map[string]bool{}, rels: map[string]*graph.Relation{},
		plan: &Plan{sets: sets},
	}
	ents, err := s.Entities(ctx, graph.EntityFilter{})
	if err != nil {
		return nil, err
	}
	p.idx.bulk = true
	for _, e := range ents {
		p.existing[e.ID] = e
		p.idx.add(e)
	}
	p.idx.bulk = false
	p.idx.fold()
	if p.stored, err = s.Relations(ctx, graph.RelationFilter{}); err != nil {
		return nil, err
	}
	if err := p.knownEditions(ents, p.stored); err != nil {
		return nil, err
	}
	for i, d := range sets {
		if j := slices.IndexFunc(sets[:i], func(e *Dataset) bool { return e.Name == d.Name && e.Edition != d.Edition }); j >= 0 {
			// Matching keeps a dataset's records of one load apart, so two
			// editions in one load would duplicate what they share.
			return nil, graph.Errorf(graph.CodeInvalid, d.Name, "editions %s and %s of dataset %s in one load: load one edition at a time (they are ordered by their dates whatever the order)",
				sets[j].Edition, d.Edition, d.Name)
		}
		if latest := p.latest[d.Name]; p.older(d) {
			p.plan.Notes = append(p.plan.Notes, fmt.Sprintf("%s: edition %s (%s) is older than the edition %s the store holds: "+
				"the newer edition's facts stay; this edition adds its origins and sources, earlier first reports, and the relations only it lists, ended on the next edition's date",
				d.Name, d.Edition, d.EditionDate, latest))
		}
		if p.editions[d.Name] == nil {
			p.editions[d.Name] = map[string]graph.Date{}
		}
		p.editions[d.Name][d.Edition] = d.EditionDate
	}
	return p, nil
}

// run resolves every dataset.
func (p *planner) run(sets []*Dataset) error {
	seenSource := map[string]bool{}
	for _, d := range sets {
		for _, src := range d.Sources {
			if seenSource[src.Key] {
				return graph.Errorf(graph.CodeInvalid, d.Name, "edition %s of dataset %s is loaded twice", d.Edition, d.Name)
			}
			seenSource[src.Key] = true
			p.plan.Batch.Sources = append(p.plan.Batch.Sources, src)
		}
		if err := p.dataset(d); err != nil {
			return err
		}
	}
	return nil
}

// storedRelation returns the stored relation id, if any.
func (p *planner) storedRelation(id string) (*graph.Relation, bool) {
	r, err := p.store.Relation(p.ctx, id)
	return r, err == nil
}

// knownEditions finds the date of every edition the stored records come
// from: the published date of that edition's source.
func (p *planner) knownEditions(ents []*graph.Entity, rels []*graph.Relation) error {
	p.editions, p.latest = map[string]map[string]graph.Date{}, map[string]graph.Date{}
	srcs, err := p.store.Sources(p.ctx)
	if err != nil {
		return err
	}
	keys := make([]string, len(srcs)) // sorted, as Sources returns them
	for i, so := range srcs {
		keys[i] = so.Key
	}
	add := func(list []graph.Origin) {
		for _, o := range list {
			if _, ok := p.editions[o.Dataset][o.Edition]; ok || o.Dataset == "" {
				continue
			}
			// The edition's source, or for the CSL one of its lists'.
			key := sourceKey(o.Dataset, o.Edition)
			i, _ := slices.BinarySearch(keys, key)
			if i == len(keys) || (keys[i] != key && !strings.HasPrefix(keys[i], key+"-")) || srcs[i].Published.IsZero() {
				continue
			}
			if p.editions[o.Dataset] == nil {
				p.editions[o.Dataset] = map[string]graph.Date{}
			}
			date := srcs[i].Published
			p.editions[o.Dataset][o.Edition] = date
			if latest := p.latest[o.Dataset]; latest.IsZero() || date.First() > latest.First() {
				p.latest[o.Dataset] = date
			}
		}
	}
	for _, e := range ents {
		add(e.Origins)
	}
	for _, r := range rels {
		add(r.Origins)
	}
	return nil
}

// older reports whether d is older than an edition of its dataset the
// store holds.
func (p *planner) older(d *Dataset) bool {
	latest := p.latest[d.Name]
	return !d.EditionDate.IsZero() && !latest.IsZero() && d.EditionDate.First() < latest.First()
}

func (p *planner) dataset(d *Dataset) error {
	ids := map[string]string{} // proposed id -> resolved id
	for i := range d.Entities {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		rec := &d.Entities[i]
		ids[rec.ID] = p.entity(d, rec)
	}
	each := func(dr DatasetRelation) error {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		p.datasetRelation(d, ids, dr)
		if p.w != nil && len(p.rels) >= p.chunk {
			return p.flush()
		}
		return nil
	}
	for _, dr := range d.Relations {
		if err := each(dr); err != nil {
			return err
		}
	}
	if d.more != nil {
		return d.more(each)
	}
	return nil
}

// datasetRelation resolves one relation record of d; ids maps the
// dataset's proposed entity ids to the resolved ones.
func (p *planner) datasetRelation(d *Dataset, ids map[string]string, dr DatasetRelation) {
	r := dr.Relation
	// Clip, so that merging appends copy rather than write into the
	// dataset's arrays.
	r.Sources = slices.Clip(r.Sources)
	r.Origins = slices.Clip(r.Origins)
	r.Properties = slices.Clip(r.Properties)
	if id, ok := ids[r.From]; ok {
		r.From = id
	}
	if id, ok := ids[r.To]; ok {
		r.To = id
	}
	rec := ""
	if len(r.Origins) > 0 {
		rec = r.Origins[0].Record
	}
	if r.From == r.To {
		p.plan.Dropped = append(p.plan.Dropped, fmt.Sprintf("%s %s: %s %s -> %s joins an entity to itself after merging", d.Name, rec, r.Type, dr.From, dr.To))
		return
	}
	firstReport(d, &r)
	if dr.ID == "" || r.From != dr.From || r.To != dr.To {
		r.ID = graph.DefaultRelationID(r.From, r.Type, r.To) + dr.Suffix
		if len(r.ID) > 400 {
			r.ID = graph.DefaultRelationID(r.From, r.Type, r.To)[:380] + "-" + shortHash(r.ID)
		}
	}
	p.relation(d, &r)
}

// firstReport dates a relation the dataset gives no start for, so that asOf
// answers can place it (graph.Relation.ValidAt: a relation without validFrom
// holds on no date): the dataset reports it as of its edition, so validFrom
// is the edition's date and FirstReported says that is a first report, not
// a start. A relation that ended before the edition is known to have held
// on its last day only, which is then its first report.
func firstReport(d *Dataset, r *graph.Relation) {
	if !r.ValidFrom.IsZero() || d.EditionDate.IsZero() {
		return
	}
	r.ValidFrom, r.FirstReported = d.EditionDate, true
	if !r.ValidTo.IsZero() && r.ValidTo.Last() < d.EditionDate.First() {
		r.ValidFrom = r.ValidTo
	}
}

// earlierReport keeps, of two first reports of one relation, the earlier:
// a newer edition that still gives no start must not move the first report
// later.
func earlierReport(c *graph.Relation, old *graph.Relation) {
	if c.FirstReported && !old.ValidFrom.IsZero() && old.ValidFrom.First() < c.ValidFrom.First() {
		c.ValidFrom, c.FirstReported = old.ValidFrom, old.FirstReported
	}
}

// entity resolves rec and returns the id it ends up with.
func (p *planner) entity(d *Dataset, rec *graph.Entity) string {
	rec.Origins = slices.Clone(rec.Origins)
	recName := ""
	if len(rec.Origins) > 0 {
		recName = rec.Origins[0].Record
	}
	target, by, likely := p.match(d.Name, rec)
	if target != "" {
		p.plan.Merged = append(p.plan.Merged, Merge{Dataset: d.Name, Record: recName, Name: rec.Name, Into: target, By: by})
		p.merge(d, target, rec)
		return target
	}
	id := p.newID(d, rec)
	e := *rec
	e.ID = id
	e.Aliases = nil
	for _, a := range rec.Aliases {
		addAlias(&e, a)
	}
	e.Sources = slices.Clone(rec.Sources)
	e.Attributes = slices.Clone(rec.Attributes)
	e.ExternalIDs = slices.DeleteFunc(slices.Clone(rec.ExternalIDs), func(x graph.ExternalID) bool { return x.Scheme == idScheme })
	p.planned[id] = &e
	p.touch(id)
	p.refresh[id+"\x00"+d.Name] = true
	p.idx.add(&e)
	p.plan.Created = append(p.plan.Created, id)
	if likely != nil {
		likely.Dataset, likely.Record, likely.Name, likely.ID = d.Name, recName, rec.Name, id
		p.plan.Likely = append(p.plan.Likely, *likely)
	}
	return id
}

// get returns the entity id as planned so far (existing or new).
func (p *planner) get(id string) *graph.Entity {
	if e, ok := p.planned[id]; ok {
		return e
	}
	if e, ok := p.existing[id]; ok {
		return e
	}
	return nil
}

func (p *planner) match(dataset string, rec *graph.Entity) (target, by string, likely *Likely) {
	// ok keeps the candidates a record may merge into: of a compatible
	// kind, and not already given by another record of the same dataset in
	// this load (the loader groups its own rows; two records it kept apart,
	// such as a parent and its subsidiary, stay apart).
	ok := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if e := p.get(id); e != nil && compatible(e.Kind, rec.Kind) && !p.refresh[id+"\x00"+dataset] {
				out = append(out, id)
			}
		}
		return out
	}
	kindOK := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if e := p.get(id); e != nil && compatible(e.Kind, rec.Kind) {
				out = append(out, id)
			}
		}
		return out
	}
	for _, x := range rec.ExternalIDs {
		if x.Scheme == idScheme {
			if ids := ok([]string{x.Value}); len(ids) == 1 {
				return ids[0], "id", nil
			}
			continue
		}
		if ids := ok(p.idx.ext[x.Scheme+"\x00"+x.Value]); len(ids) == 1 {
			return ids[0], "external id " + x.Scheme + ":" + x.Value, nil
		} else if len(ids) > 1 {
			return "", "", &Likely{Candidates: ids, Why: "external id " + x.Scheme + ":" + x.Value + " is on several entities"}
		}
	}
	key := NameKey(rec.Name)
	var cands []string
	for _, id := range ok(append(slices.Clone(p.idx.names[key]), p.idx.alias[key]...)) {
		cands = addString(cands, id)
	}
	if len(cands) == 1 {
		return cands[0], "name", nil
	}
	if len(cands) > 1 {
		// A stored entity this dataset already gave under the same name
		// (an earlier load or edition) is the one.
		var own []string
		for _, id := range cands {
			if e, ok := p.existing[id]; ok && NameKey(e.Name) == key &&
				slices.ContainsFunc(e.Origins, func(o graph.Origin) bool { return o.Dataset == dataset }) {
				own = append(own, id)
			}
		}
		if len(own) == 1 {
			return own[0], "name, as in an earlier load of " + dataset, nil
		}
		slices.Sort(cands)
		return "", "", &Likely{Candidates: cands, Why: "name matches several entities"}
	}
	// Not merged: look for likely matches to report.
	var why string
	add := func(ids []string, reason string) {
		for _, id := range ids {
			if !slices.Contains(cands, id) {
				cands = append(cands, id)
				if why == "" {
					why = reason
				}
			}
		}
	}
	all := func(m map[string][]string, k string) []string { return m[k] }
	add(all(p.idx.names, key), "same name, but a different kind or another record of the dataset")
	add(all(p.idx.alias, key), "same name, but a different kind or another record of the dataset")
	for _, a := range rec.Aliases {
		add(kindOK(all(p.idx.names, NameKey(a))), "the alias "+strconv.Quote(a)+" is the other entity's name")
		add(kindOK(all(p.idx.alias, NameKey(a))), "the alias "+strconv.Quote(a)+" is also the other entity's alias")
	}
	if len([]rune(key)) >= 5 {
		add(kindOK(p.idx.withPrefix(key)), "the name is a prefix of the other entity's name")
		r := []rune(key)
		for n := len(r) - 1; n >= 5; n-- {
			add(kindOK(all(p.idx.names, string(r[:n]))), "the other entity's name is a prefix of the name")
		}
	}
	if len(cands) == 0 {
		return "", "", nil
	}
	if len(cands) > 5 {
		cands = cands[:5]
	}
	return "", "", &Likely{Candidates: cands, Why: why}
}

// newID picks an id for a new entity: the proposal or a slug of its name,
// suffixed when the id is taken.
func (p *planner) newID(d *Dataset, rec *graph.Entity) string {
	base := rec.ID
	if !graph.ValidID(base) {
		base = Slug(rec.Name)
	}
	for _, id := range []string{base, base + "-" + d.Name, base + "-" + d.Name + "-" + shortHash(rec.Name+"\x00"+rec.ID)} {
		if p.get(id) == nil {
			return id
		}
	}
	for i := 2; ; i++ {
		id := fmt.Sprintf("%s-%s-%d", base, d.Name, i)
		if p.get(id) == nil {
			return id
		}
	}
}

// touch notes that the planned entity id changed since the last batch.
func (p *planner) touch(id string) {
	if p.dirty != nil {
		p.dirty[id] = true
	}
}

// merge folds rec into the entity target.
func (p *planner) merge(d *Dataset, target string, rec *graph.Entity) {
	e, ok := p.planned[target]
	if !ok {
		c := cloneEntity(p.existing[target])
		e = &c
		p.planned[target] = e
	}
	p.touch(target)
	older := p.older(d)
	if k := target + "\x00" + d.Name; !p.refresh[k] && !older {
		// First record of this dataset for the entity in this load: drop
		// what earlier editions of the dataset said.
		p.refresh[k] = true
		e.Origins = slices.DeleteFunc(e.Origins, func(o graph.Origin) bool { return o.Dataset == d.Name })
		e.Attributes = slices.DeleteFunc(e.Attributes, func(a graph.Attribute) bool { return p.givenBy(a, d.Name) })
	}
	addAlias(e, rec.Name)
	for _, a := range rec.Aliases {
		addAlias(e, a)
	}
	if e.Country == "" {
		e.Country = rec.Country
	}
	if e.Description == "" {
		e.Description = rec.Description
	}
	for _, x := range rec.ExternalIDs {
		if x.Scheme == idScheme {
			continue
		}
		if !slices.ContainsFunc(e.ExternalIDs, func(y graph.ExternalID) bool { return y.Scheme == x.Scheme }) {
			e.ExternalIDs = append(e.ExternalIDs, x)
		}
	}
	for _, s := range rec.Sources {
		e.Sources = addString(e.Sources, s)
	}
	for _, o := range rec.Origins {
		e.Origins = addOrigin(e.Origins, o)
	}
	for _, a := range rec.Attributes {
		if older && slices.ContainsFunc(e.Attributes, func(b graph.Attribute) bool { return b.Name == a.Name && p.givenBy(b, d.Name) }) {
			continue // the newer edition's value stands
		}
		if !slices.ContainsFunc(e.Attributes, func(b graph.Attribute) bool { return reflect.DeepEqual(a, b) }) {
			e.Attributes = append(e.Attributes, a)
		}
	}
	p.idx.add(e)
}

// givenBy reports whether only the dataset's own sources cite a.
func (p *planner) givenBy(a graph.Attribute, dataset string) bool {
	return len(a.Sources) > 0 && !slices.ContainsFunc(a.Sources, func(k string) bool { return !datasetOfSource(k, dataset) })
}

func cloneEntity(e *graph.Entity) graph.Entity {
	c := *e
	c.Aliases = slices.Clone(e.Aliases)
	c.Attributes = slices.Clone(e.Attributes)
	c.ExternalIDs = slices.Clone(e.ExternalIDs)
	c.Sources = slices.Clone(e.Sources)
	c.Origins = slices.Clone(e.Origins)
	return c
}

func cloneRelation(r *graph.Relation) graph.Relation {
	c := *r
	c.Properties = slices.Clone(r.Properties)
	c.Sources = slices.Clone(r.Sources)
	c.Origins = slices.Clone(r.Origins)
	return c
}

// relation adds r (already resolved) to the plan, merging it with a relation
// of the same id from the store or from this load.
func (p *planner) relation(d *Dataset, r *graph.Relation) {
	if _, ok := p.rels[r.ID]; !ok && p.taken[r.ID] != 0 {
		// Resolved in an earlier batch of this load: take it back.
		staged, _ := p.w.StagedRelation(r.ID)
		c := cloneRelation(staged)
		p.rels[r.ID] = &c
		p.relOrder = append(p.relOrder, r.ID)
	}
	if cur, ok := p.rels[r.ID]; ok {
		// Same relation from another row or dataset of this load.
		earlierReport(cur, r)
		for _, s := range r.Sources {
			cur.Sources = addString(cur.Sources, s)
		}
		for _, o := range r.Origins {
			cur.Origins = addOrigin(cur.Origins, o)
		}
		return
	}
	if old, ok := p.storedRelation(r.ID); ok {
		ours := !slices.ContainsFunc(old.Sources, func(k string) bool { return !datasetOfSource(k, d.Name) })
		var c graph.Relation
		switch {
		case ours && p.older(d):
			// An older edition: the stored facts are newer and stay.
			c = cloneRelation(old)
			earlierReport(&c, r)
			for _, s := range r.Sources {
				c.Sources = addString(c.Sources, s)
			}
			for _, o := range r.Origins {
				c.Origins = addOrigin(c.Origins, o)
			}
		case ours:
			// The dataset's own relation: take the new edition as it is,
			// keeping other datasets' origins.
			c = *r
			earlierReport(&c, old)
			for _, o := range old.Origins {
				if o.Dataset != d.Name {
					c.Origins = addOrigin(c.Origins, o)
				}
			}
			for _, s := range old.Sources {
				if datasetOfSource(s, d.Name) {
					c.Sources = addString(c.Sources, s)
				}
			}
		default:
			// Curated or another dataset's: keep its facts, add ours.
			c = cloneRelation(old)
			c.Origins = slices.DeleteFunc(c.Origins, func(o graph.Origin) bool { return o.Dataset == d.Name })
			for _, s := range r.Sources {
				c.Sources = addString(c.Sources, s)
			}
			for _, o := range r.Origins {
				c.Origins = addOrigin(c.Origins, o)
			}
			for _, a := range r.Properties {
				if _, has := c.Prop(a.Name); !has {
					c.Properties = append(c.Properties, a)
				}
			}
		}
		p.rels[r.ID] = &c
	} else {
		c := *r
		p.rels[r.ID] = &c
	}
	p.relOrder = append(p.relOrder, r.ID)
}

// finish ends the relations editions dropped, counts what the entities
// become and, for PlanLoad, fills the batch. For Load it first writes what
// is planned, so that every relation of the load is staged.
func (p *planner) finish(sets []*Dataset) error {
	if p.w != nil {
		if err := p.flush(); err != nil {
			return err
		}
	}
	loaded := map[string]bool{}
	for _, d := range sets {
		loaded[d.Name] = !d.EditionDate.IsZero()
	}
	// Every relation, stored or loaded (as planned or staged), in id order.
	all := make([]*graph.Relation, 0, len(p.stored)+len(p.rels)+len(p.taken))
	for _, r := range p.stored {
		if _, ok := p.rels[r.ID]; !ok && (p.taken[r.ID] == 0 || p.taken[r.ID] == reportUnchanged) {
			all = append(all, r)
		}
	}
	for _, r := range p.rels {
		all = append(all, r)
	}
	for id, how := range p.taken {
		if r, ok := p.w.StagedRelation(id); ok && how != reportUnchanged {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b *graph.Relation) int { return strings.Compare(a.ID, b.ID) })
	for _, r := range all {
		if !r.ValidTo.IsZero() {
			continue
		}
		for name, ok := range loaded {
			if !ok {
				continue
			}
			if end, dropped := p.droppedOn(r, name); dropped {
				c := cloneRelation(r)
				c.ValidTo, c.Status = end, graph.StatusEnded
				p.rels[c.ID] = &c
				p.relOrder = append(p.relOrder, c.ID)
				p.plan.RelClosed = append(p.plan.RelClosed, c.ID)
				break
			}
		}
	}
	slices.Sort(p.plan.RelClosed)

	ids := make([]string, 0, len(p.planned))
	for id := range p.planned {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	created := map[string]bool{}
	for _, id := range p.plan.Created {
		created[id] = true
	}
	for _, id := range ids {
		if old, ok := p.existing[id]; ok && !created[id] {
			if equalEntity(old, p.planned[id]) {
				p.plan.Unchanged++
				continue
			}
			p.plan.Updated = append(p.plan.Updated, id)
		}
	}
	if p.w == nil {
		p.plan.Batch.Entities, p.plan.entWhere = p.takeEntities(ids)
		p.plan.Batch.Relations, p.plan.relWhere = p.takeRelations()
	}
	return nil
}

// takeEntities returns the entities of ids that differ from what is stored,
// and the origin records they came from.
func (p *planner) takeEntities(ids []string) (list []graph.Entity, where []string) {
	for _, id := range ids {
		e := p.planned[id]
		if old, ok := p.existing[id]; ok && !p.sentEnt[id] && equalEntity(old, e) {
			continue
		}
		w := ""
		if len(e.Origins) > 0 {
			w = e.Origins[len(e.Origins)-1].Record
		}
		list = append(list, *e)
		where = append(where, w)
	}
	return list, where
}

// takeRelations returns the relations planned and not yet taken, by id,
// that differ from what is stored, and the origin records they came from;
// it reports them (a relation taken back from an earlier batch only when
// it was unchanged then and is not now).
func (p *planner) takeRelations() (list []graph.Relation, where []string) {
	closed := map[string]bool{}
	for _, id := range p.plan.RelClosed {
		closed[id] = true
	}
	slices.Sort(p.relOrder)
	p.relOrder = slices.Compact(p.relOrder)
	list = make([]graph.Relation, 0, len(p.relOrder))
	for _, id := range p.relOrder {
		r := p.rels[id]
		before := p.taken[id]
		how := reportCreated
		if old, ok := p.storedRelation(id); ok {
			how = reportUpdated
			if equalRelation(old, r) {
				how = reportUnchanged
			}
		}
		switch {
		case before == reportUnchanged && how != reportUnchanged:
			p.plan.RelUnchanged--
			fallthrough
		case before == 0:
			switch {
			case how == reportCreated:
				p.plan.RelCreated = append(p.plan.RelCreated, id)
			case how == reportUnchanged:
				p.plan.RelUnchanged++
			case !closed[id]:
				p.plan.RelUpdated = append(p.plan.RelUpdated, id)
			}
		}
		if p.taken != nil && before != reportCreated && before != reportUpdated {
			p.taken[id] = how
		}
		if how == reportUnchanged {
			continue
		}
		w := ""
		if len(r.Origins) > 0 {
			w = r.Origins[len(r.Origins)-1].Record
		}
		list = append(list, *r)
		where = append(where, w)
	}
	clear(p.rels)
	p.relOrder = p.relOrder[:0]
	return list, where
}

// flush writes what was planned since the last batch to the Write: the
// sources first, the entities changed since, the relations planned.
func (p *planner) flush() error {
	var b graph.Batch
	if !p.sentSources {
		b.Sources, p.sentSources = p.plan.Batch.Sources, true
	}
	ids := make([]string, 0, len(p.dirty))
	for id := range p.dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	clear(p.dirty)
	var entWhere, relWhere []string
	b.Entities, entWhere = p.takeEntities(ids)
	b.Relations, relWhere = p.takeRelations()
	for i := range b.Entities {
		p.sentEnt[b.Entities[i].ID] = true
	}
	if b.Empty() {
		return nil
	}
	res, err := p.w.Add(p.ctx, b)
	if err != nil {
		return locate(err, entWhere, relWhere)
	}
	p.result.Created += res.Created
	p.result.Updated += res.Updated
	p.result.Unchanged += res.Unchanged
	p.result.Quads += res.Quads
	return nil
}

// droppedOn reports whether an edition of dataset after the last one that
// lists r no longer lists it, and the date of the first such edition: r
// ended then. A relation that starts after that date is not ended by it.
func (p *planner) droppedOn(r *graph.Relation, dataset string) (graph.Date, bool) {
	var last graph.Date
	for _, o := range r.Origins {
		if o.Dataset != dataset {
			continue
		}
		d, ok := p.editions[dataset][o.Edition]
		if !ok || d.IsZero() {
			return graph.Date{}, false // an edition of unknown date: nothing to order by
		}
		if last.IsZero() || d.First() > last.First() {
			last = d
		}
	}
	if last.IsZero() {
		return graph.Date{}, false
	}
	var next graph.Date
	for _, d := range p.editions[dataset] {
		if d.First() > last.First() && (next.IsZero() || d.First() < next.First()) {
			next = d
		}
	}
	if next.IsZero() || (!r.ValidFrom.IsZero() && r.ValidFrom.First() > next.Last()) {
		return graph.Date{}, false
	}
	return next, true
}

func equalEntity(a, b *graph.Entity) bool {
	x, y := cloneEntity(a), cloneEntity(b)
	for _, e := range []*graph.Entity{&x, &y} {
		slices.Sort(e.Sources)
		if len(e.Aliases) == 0 {
			e.Aliases = nil
		}
		if len(e.Attributes) == 0 {
			e.Attributes = nil
		}
		if len(e.ExternalIDs) == 0 {
			e.ExternalIDs = nil
		}
		if len(e.Origins) == 0 {
			e.Origins = nil
		}
	}
	return reflect.DeepEqual(x, y)
}

func equalRelation(a, b *graph.Relation) bool {
	x, y := cloneRelation(a), cloneRelation(b)
	for _, r := range []*graph.Relation{&x, &y} {
		slices.Sort(r.Sources)
		if len(r.Properties) == 0 {
			r.Properties = nil
		}
		if len(r.Origins) == 0 {
			r.Origins = nil
		}
	}
	return reflect.DeepEqual(x, y)
}

// Apply applies the plan's batch to s with one s.Apply: all of it or
// nothing. Validation errors name the dataset record ("FILE:LINE") each
// problem came from.
func (p *Plan) Apply(ctx context.Context, s graph.Writer) (graph.ApplyResult, error) {
	res, err := s.Apply(ctx, p.Batch)
	return res, locate(err, p.entWhere, p.relWhere)
}

var batchPath = regexp.MustCompile(`^(entities|relations)\[(\d+)\]`)

// locate prefixes the paths of err that point into a batch
// ("relations[3]") with the origin record of that record (entWhere,
// relWhere).
func locate(err error, entWhere, relWhere []string) error {
	var list graph.Errors
	if err == nil || !errors.As(err, &list) {
		return err
	}
	out := make(graph.Errors, len(list))
	for i, e := range list {
		c := *e
		if m := batchPath.FindStringSubmatch(c.Path); m != nil {
			where := entWhere
			if m[1] == "relations" {
				where = relWhere
			}
			if i, err := strconv.Atoi(m[2]); err == nil && i < len(where) && where[i] != "" {
				c.Path = where[i] + ": " + c.Path
			}
		}
		out[i] = &c
	}
	return out
}

// Summary writes what the plan creates, merges, changes and closes. With
// verbose every record is listed; otherwise lists are cut at a few lines.
func (p *Plan) Summary(w io.Writer, verbose bool) {
	limit := 10
	if verbose {
		limit = -1
	}
	list := func(title string, items []string) {
		fmt.Fprintf(w, "%s: %d\n", title, len(items))
		for i, it := range items {
			if limit >= 0 && i >= limit {
				fmt.Fprintf(w, "  ... and %d more\n", len(items)-limit)
				break
			}
			fmt.Fprintf(w, "  %s\n", it)
		}
	}
	var merged []string
	for _, m := range p.Merged {
		merged = append(merged, fmt.Sprintf("%s %s %q -> %s (by %s)", m.Dataset, m.Record, m.Name, m.Into, m.By))
	}
	var likely []string
	for _, l := range p.Likely {
		likely = append(likely, fmt.Sprintf("%s %s %q -> new %s; not merged with %s: %s", l.Dataset, l.Record, l.Name, l.ID, strings.Join(l.Candidates, ", "), l.Why))
	}
	var srcs []string
	for _, s := range p.Batch.Sources {
		srcs = append(srcs, fmt.Sprintf("%s (%s, %s)", s.Key, s.Title, s.Published))
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, n)
	}
	list("sources", srcs)
	list("entities created", p.Created)
	list("records merged into existing entities", merged)
	list("existing entities changed", p.Updated)
	fmt.Fprintf(w, "existing entities unchanged: %d\n", p.Unchanged)
	list("relations created", p.RelCreated)
	list("relations changed", p.RelUpdated)
	list("relations ended (dropped by a newer edition)", p.RelClosed)
	fmt.Fprintf(w, "relations unchanged: %d\n", p.RelUnchanged)
	list("likely matches left unmerged", likely)
	if len(p.Dropped) > 0 {
		list("relations dropped", p.Dropped)
	}
	var skipped []string
	for _, d := range p.sets {
		for why, n := range d.Skipped {
			skipped = append(skipped, fmt.Sprintf("%s: %d %s", d.Name, n, why))
		}
	}
	if len(skipped) > 0 {
		slices.Sort(skipped)
		list("rows skipped", skipped)
	}
}
