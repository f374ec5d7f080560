package main

// The analyst's commands: search, exposure, timeline, diff and chokepoints,
// the command-line equivalents of the GraphQL fields of the same names,
// printing a table or CSV.

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/chipgraph/chipgraph/graph"
	"github.com/chipgraph/chipgraph/graph/analysis"
)

// analysisCommands are registered in main.go's commands().
func analysisCommands() []command {
	return []command{
		{"search", "full-text search for entities", cmdSearch},
		{"exposure", "the sanctions reaching an entity through its supply chain", cmdExposure},
		{"timeline", "the dated events about an entity, in order", cmdTimeline},
		{"diff", "the relations added and ended, and attributes changed, between two dates", cmdDiff},
		{"chokepoints", "the entities whose removal cuts off the most of China's AI chips and systems", cmdChokepoints},
	}
}

// table is the output of an analysis command: a header and rows, printed
// as aligned columns or CSV.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, format string) error {
	if format == "csv" {
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		cw.WriteAll(t.rows)
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			// A tab or newline in a cell would break the columns.
			fmt.Fprint(tw, strings.Join(strings.Fields(c), " "))
		}
		fmt.Fprintln(tw)
	}
	line(t.header)
	for _, r := range t.rows {
		line(r)
	}
	return tw.Flush()
}

// analysisFlags are the flags every analysis command has.
type analysisFlags struct {
	*flags
	format *string
	dsn    *string
}

func newAnalysisFlags(e *env, name, synopsis, doc string) *analysisFlags {
	f := &analysisFlags{flags: newFlags(e, name, synopsis+" [--format table|csv] [--db DSN]", doc+`
An empty in-memory store is first loaded with the embedded curated data.`)}
	f.format = f.String("format", "table", "output: table or csv")
	f.dsn = f.dbFlag()
	return f
}

// parse parses args and checks --format.
func (f *analysisFlags) parse(args []string) ([]string, error) {
	pos, err := f.flags.parse(args)
	if err != nil {
		return nil, err
	}
	if *f.format != "table" && *f.format != "csv" {
		return nil, usagef("unknown --format %q (want table or csv)", *f.format)
	}
	return pos, nil
}

// run opens the store (seeding an empty memory store), runs fn and prints
// its table.
func (f *analysisFlags) run(ctx context.Context, fn func(graph.Store) (*table, error)) error {
	store, err := openStore(ctx, f.e, *f.dsn)
	if err != nil {
		return err
	}
	defer closeStore(f.e, store)
	if err := seedIfEmptyMemory(ctx, f.e, store, *f.dsn); err != nil {
		return err
	}
	t, err := fn(store)
	if graph.ErrorCode(err) == graph.CodeInvalid {
		// Only the arguments can be invalid here.
		return usagef("%s", graph.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return t.write(f.e.stdout, *f.format)
}

func parseDateFlag(name, v string) (graph.Date, error) {
	d, err := graph.ParseDate(v)
	if err != nil {
		return d, usagef("--%s: bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", name, v)
	}
	return d, nil
}

func parseTypesFlag(name, v string) ([]graph.RelationType, error) {
	var out []graph.RelationType
	for _, s := range splitList(v) {
		t := graph.RelationType(strings.ReplaceAll(strings.ToUpper(s), "-", "_"))
		if !t.Valid() {
			return nil, usagef("--%s: unknown relation type %q", name, s)
		}
		out = append(out, t)
	}
	return out, nil
}

func parseKindsFlag(name, v string) ([]graph.Kind, error) {
	var out []graph.Kind
	for _, s := range splitList(v) {
		k := graph.Kind(strings.ReplaceAll(strings.ToUpper(s), "-", "_"))
		if !k.Valid() {
			return nil, usagef("--%s: unknown entity kind %q", name, s)
		}
		out = append(out, k)
	}
	return out, nil
}

func checkRange(name string, n, lo, hi int) error {
	if n < lo || n > hi {
		return usagef("--%s must be between %d and %d, not %d", name, lo, hi, n)
	}
	return nil
}

// oneArg returns the single positional argument called what.
func oneArg(pos []string, what string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing %s", what)
	case 1:
		return pos[0], nil
	}
	return "", usagef("unexpected argument %q after %s", pos[1], what)
}

// pathText writes a path as "a -TYPE-> b <-TYPE- c".
func pathText(p graph.Path) string {
	var b strings.Builder
	for i, e := range p.Entities {
		if i > 0 {
			r := p.Relations[i-1]
			if r.From == e.ID {
				fmt.Fprintf(&b, " <-%s- ", r.Type)
			} else {
				fmt.Fprintf(&b, " -%s-> ", r.Type)
			}
		}
		b.WriteString(e.ID)
	}
	return b.String()
}

func sourceKeys(list []*graph.Source) string {
	keys := make([]string, len(list))
	for i, s := range list {
		keys[i] = s.Key
	}
	return strings.Join(keys, ";")
}

// ---- search ----

func cmdSearch(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "search", "[--kinds K,...] [--first N] TEXT...", `
Full-text search over names, aliases, descriptions, attribute notes, supply
roles and source titles, ranked by BM25; typos and Chinese are handled, and
an entity whose id, name or alias is the whole text comes first. The words
of TEXT are searched together (at most 256 bytes, 16 words).`)
	kinds := f.String("kinds", "", "only entities of these kinds (comma-separated)")
	first := f.Int("first", 10, "at most this many results (1-1000)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(strings.Join(pos, " "))
	if text == "" {
		return usagef("missing TEXT to search for")
	}
	if len(text) > graph.MaxSearchText {
		return usagef("TEXT is %d bytes; at most %d", len(text), graph.MaxSearchText)
	}
	ks, err := parseKindsFlag("kinds", *kinds)
	if err != nil {
		return err
	}
	if err := checkRange("first", *first, 1, 1000); err != nil {
		return err
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		ms, err := s.Search(ctx, text, ks, *first)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"id", "kind", "name", "score"}}
		for _, m := range ms {
			t.add(m.Entity.ID, string(m.Entity.Kind), m.Entity.Name, strconv.FormatFloat(m.Score, 'f', 3, 64))
		}
		return t, nil
	})
}

// ---- exposure ----

func cmdExposure(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "exposure", "[--as-of DATE] [--max-hops N] [--types T,...] ID", `
List every sanction or regulation that reaches entity ID through its supply
chain (designer, foundry, components, suppliers, parent, what it buys or
runs on), nearest first, with the path and its weakest status.`)
	asOf := f.String("as-of", "", "only relations valid on this date (YYYY, YYYY-MM or YYYY-MM-DD)")
	maxHops := f.Int("max-hops", 4, fmt.Sprintf("relations on a path, the sanction's TARGETS included (1-%d)", graph.MaxPathHops))
	types := f.String("types", "", "supply-chain types to follow (comma-separated; default all of them)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	id, err := oneArg(pos, "entity ID")
	if err != nil {
		return err
	}
	q := analysis.ExposureQuery{ID: id, MaxHops: *maxHops}
	if q.AsOf, err = parseDateFlag("as-of", *asOf); err != nil {
		return err
	}
	if q.Types, err = parseTypesFlag("types", *types); err != nil {
		return err
	}
	if err := checkRange("max-hops", *maxHops, 1, graph.MaxPathHops); err != nil {
		return err
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		list, err := analysis.New(s).Exposure(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"sanction", "name", "hops", "status", "path"}}
		for _, x := range list {
			t.add(x.Sanction.ID, x.Sanction.Name, strconv.Itoa(x.Hops), string(x.Status), pathText(x.Path))
		}
		return t, nil
	})
}

// ---- timeline ----

func cmdTimeline(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "timeline", "[--from DATE] [--to DATE] [--first N] ID", `
List the dated events about entity ID in date order: relations starting and
ending, sanctions taking effect, dated attributes, sources published.`)
	from := f.String("from", "", "only events on or after this date")
	to := f.String("to", "", "only events on or before this date")
	first := f.Int("first", 0, "at most this many events (0: all)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	id, err := oneArg(pos, "entity ID")
	if err != nil {
		return err
	}
	q := analysis.TimelineQuery{ID: id, First: *first}
	if q.From, err = parseDateFlag("from", *from); err != nil {
		return err
	}
	if q.To, err = parseDateFlag("to", *to); err != nil {
		return err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.First() > q.To.Last() {
		return usagef("--from %s is after --to %s", q.From, q.To)
	}
	if *first < 0 {
		return usagef("--first must not be negative, not %d", *first)
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		events, _, err := analysis.New(s).Timeline(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"date", "kind", "description", "relation", "entity", "sources"}}
		for _, ev := range events {
			rel, ent := "", ""
			if ev.Relation != nil {
				rel = ev.Relation.ID
			}
			if ev.Entity != nil {
				ent = ev.Entity.ID
			}
			t.add(ev.Date.String(), string(ev.Kind), ev.Description, rel, ent, sourceKeys(ev.Sources))
		}
		return t, nil
	})
}

// ---- diff ----

func cmdDiff(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "diff", "[--ids ID,...] [--hops N] [--types T,...] [--first N] FROM TO", `
List the relations added and ended between dates FROM and TO, and the
attributes whose dated value changed, over the whole graph or around
--ids. Added: had not started on FROM and had by TO; ended: held on FROM
and had ended before TO. Dates compare at their own precision.`)
	ids := f.String("ids", "", "only the neighbourhood of these entities (comma-separated)")
	hops := f.Int("hops", 1, fmt.Sprintf("depth of the neighbourhood of --ids (0-%d)", graph.MaxPathHops))
	types := f.String("types", "", "only relations of these types (comma-separated)")
	first := f.Int("first", 0, "at most this many of each list (0: all)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want two dates, FROM and TO; got %d argument(s)", len(pos))
	}
	q := analysis.DiffQuery{IDs: splitList(*ids), Hops: *hops, First: *first}
	if q.From, err = parseDateFlag("FROM", pos[0]); err != nil {
		return usagef("FROM: bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", pos[0])
	}
	if q.To, err = parseDateFlag("TO", pos[1]); err != nil {
		return usagef("TO: bad date %q: want YYYY, YYYY-MM or YYYY-MM-DD", pos[1])
	}
	if q.From.IsZero() || q.To.IsZero() || q.From.First() >= q.To.First() {
		return usagef("FROM %q must be before TO %q", pos[0], pos[1])
	}
	if q.Types, err = parseTypesFlag("types", *types); err != nil {
		return err
	}
	if err := checkRange("hops", *hops, 0, graph.MaxPathHops); err != nil {
		return err
	}
	if *first < 0 {
		return usagef("--first must not be negative, not %d", *first)
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		d, err := analysis.New(s).Diff(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"change", "date", "id", "type", "from", "to", "status", "before", "after"}}
		for _, r := range d.Added {
			t.add("added", r.ValidFrom.String(), r.ID, string(r.Type), r.From, r.To, string(r.Status), "", "")
		}
		for _, r := range d.Ended {
			t.add("ended", r.ValidTo.String(), r.ID, string(r.Type), r.From, r.To, string(r.Status), "", "")
		}
		for _, c := range d.Changed {
			before := ""
			if c.Before != nil {
				before = c.Before.Value + " " + c.Before.Unit + " (" + c.Before.AsOf.String() + ")"
			}
			after := c.After.Value + " " + c.After.Unit + " (" + c.After.AsOf.String() + ")"
			t.add("attribute", c.After.AsOf.String(), c.Entity.ID, c.Name, "", "", string(c.After.Status), strings.TrimSpace(before), after)
		}
		if d.Truncated {
			fmt.Fprintln(e.stderr, "note: the neighbourhood of --ids was cut at the node limit")
		}
		return t, nil
	})
}

// ---- chokepoints ----

func cmdChokepoints(ctx context.Context, e *env, args []string) error {
	f := newAnalysisFlags(e, "chokepoints", "[--category C] [--types T,...] [--kinds K,...] [--as-of DATE] [--first N]", `
Rank the entities whose removal cuts off the most of China's AI chips and
systems (a knock-out cascade over the supply subgraph; see the README).`)
	category := f.String("category", "", "follow only SUPPLIES of this category ("+strings.Join(graph.SupplyCategories, ", ")+")")
	types := f.String("types", "", "relation types of the supply subgraph (comma-separated)")
	kinds := f.String("kinds", "", "only chokepoints of these kinds (comma-separated)")
	asOf := f.String("as-of", "", "only relations valid on this date")
	first := f.Int("first", 10, "at most this many (1-1000)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	q := analysis.ChokepointQuery{Category: *category, First: *first}
	if q.Types, err = parseTypesFlag("types", *types); err != nil {
		return err
	}
	if q.Kinds, err = parseKindsFlag("kinds", *kinds); err != nil {
		return err
	}
	if q.AsOf, err = parseDateFlag("as-of", *asOf); err != nil {
		return err
	}
	if err := checkRange("first", *first, 1, 1000); err != nil {
		return err
	}
	return f.run(ctx, func(s graph.Store) (*table, error) {
		res, err := analysis.New(s).Chokepoints(ctx, q)
		if err != nil {
			return nil, err
		}
		t := &table{header: []string{"id", "kind", "name", "score", "dependents", "examples"}}
		for _, c := range res.Chokepoints {
			var ex []string
			for _, d := range c.Dependents[:min(5, len(c.Dependents))] {
				ex = append(ex, d.ID)
			}
			t.add(c.Entity.ID, string(c.Entity.Kind), c.Entity.Name, strconv.FormatFloat(c.Score, 'f', 3, 64),
				strconv.Itoa(len(c.Dependents)), strings.Join(ex, ";"))
		}
		return t, nil
	})
}
