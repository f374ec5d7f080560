// Package fulltext is chipgraph's full-text index of entities, a thin layer
// over bleve (github.com/blevesearch/bleve/v2): an in-memory scorch index
// with BM25 scoring, one document per entity holding its names and aliases,
// description, attribute notes, its roles in supply relations ("memory
// supplier of HBM2E to Huawei") and the titles of the sources it cites.
//
// Text is analysed by Unicode word segmentation, width folding, lower
// casing, English possessives and stop words, CJK bigrams (so 华为技术 is
// found by 华为) and a plural stemmer. A query is analysed the same way; each
// of its terms may match any field (names weigh most, then description,
// attribute notes, the entity's roles in its supply relations, and source
// titles),
// words of four letters or more also within one or two edits of a name
// word, and the last word also as a prefix of a name word, for search as
// you type. Whole normalised names are indexed too, so that a misspelt
// one-word name ("Cambrcon") matches the entity of that name before the
// entities whose names merely contain it.
//
// The package knows nothing of the graph: graph.CayleyStore feeds it Docs
// after every write and maps its hits back to entities.
package fulltext

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Limits on a query: longer text or more terms is ErrQueryTooLong. Each
// term costs a handful of index lookups, a fuzzy one a walk of the term
// dictionary, so the cost of a query is bounded by these.
const (
	MaxQueryBytes = 256
	MaxQueryTerms = 16
)

// ErrQueryTooLong is returned for a query beyond MaxQueryBytes or
// MaxQueryTerms.
var ErrQueryTooLong = errors.New("query too long")

// ErrNoTerms is returned for a query with nothing to search for (only
// punctuation or stop words).
var ErrNoTerms = errors.New("query has no words to search for")

// Doc is an entity as the index sees it.
type Doc struct {
	ID          string
	Kind        string
	Names       []string // name and aliases
	Keys        []string // the names normalised to one token each (graph.Normalize)
	Description string
	Notes       []string // attribute notes
	Roles       []string // what it is to its neighbours: "memory supplier of HBM2E to Huawei"
	Sources     []string // titles of the sources it cites
}

// Hit is a matching document and its score; higher is better.
type Hit struct {
	ID    string
	Score float64
}

// Field names and their weights in a query.
const (
	fieldNames   = "names"
	fieldKeys    = "keys"
	fieldDesc    = "desc"
	fieldNotes   = "notes"
	fieldSources = "sources"
	fieldRoles   = "roles"
	fieldKind    = "kind"

	analyzerName = "chipgraph"
)

// fields are the text fields a word may match, names first.
var fields = []string{fieldNames, fieldDesc, fieldNotes, fieldRoles, fieldSources}

var weights = map[string]float64{
	fieldNames:   4,
	fieldDesc:    1,
	fieldNotes:   0.6,
	fieldRoles:   0.6,
	fieldSources: 0.4,
}

// Index is an in-memory full-text index. It is safe for concurrent use.
type Index struct {
	bi       bleve.Index
	analyzer analysis.Analyzer
}

// New returns an empty index.
func New() (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	// scorch with an empty path keeps its segments in memory.
	bi, err := bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("fulltext: %w", err)
	}
	a := m.AnalyzerNamed(analyzerName)
	if a == nil {
		bi.Close()
		return nil, errors.New("fulltext: analyzer missing")
	}
	return &Index{bi: bi, analyzer: a}, nil
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	m.ScoringModel = index.BM25Scoring
	err := m.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":      custom.Name,
		"tokenizer": unicodetok.Name,
		"token_filters": []string{
			cjk.WidthName,
			lowercase.Name,
			en.PossessiveName,
			en.StopName,
			cjk.BigramName,
			splitName,
			en.PluralStemmerName,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("fulltext: %w", err)
	}
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldNames, text())
	doc.AddFieldMappingsAt(fieldDesc, text())
	doc.AddFieldMappingsAt(fieldNotes, text())
	doc.AddFieldMappingsAt(fieldSources, text())
	doc.AddFieldMappingsAt(fieldRoles, text())
	doc.AddFieldMappingsAt(fieldKeys, kw())
	doc.AddFieldMappingsAt(fieldKind, kw())
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzerName
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}

// body is what bleve indexes for a Doc.
type body struct {
	Names   []string `json:"names"`
	Keys    []string `json:"keys"`
	Desc    string   `json:"desc"`
	Notes   []string `json:"notes"`
	Sources []string `json:"sources"`
	Roles   []string `json:"roles"`
	Kind    string   `json:"kind"`
}

// Update indexes put (replacing documents with the same ID) and removes
// the documents del names, in one batch. Each batch adds a segment to the
// index, which an in-memory index never merges: searches visit every
// segment, so callers should build the index in a few large batches and
// rebuild it after many small updates (the graph store does).
func (x *Index) Update(put []Doc, del []string) error {
	chunk := len(put) + len(del)
	for len(put) > 0 || len(del) > 0 {
		b := x.bi.NewBatch()
		n := 0
		for n < chunk && len(del) > 0 {
			b.Delete(del[0])
			del = del[1:]
			n++
		}
		for n < chunk && len(put) > 0 {
			d := put[0]
			put = put[1:]
			n++
			if err := b.Index(d.ID, body{
				Names: d.Names, Keys: d.Keys, Desc: d.Description,
				Notes: d.Notes, Sources: d.Sources, Roles: d.Roles, Kind: d.Kind,
			}); err != nil {
				return fmt.Errorf("fulltext: indexing %q: %w", d.ID, err)
			}
		}
		if err := x.bi.Batch(b); err != nil {
			return fmt.Errorf("fulltext: %w", err)
		}
	}
	return nil
}

// Count returns the number of documents.
func (x *Index) Count() (uint64, error) { return x.bi.DocCount() }

// Close releases the index.
func (x *Index) Close() error { return x.bi.Close() }

// Query is a search: Text, and optionally Key (the whole text normalised
// as Doc.Keys are), Kinds to restrict the kinds and Limit hits.
type Query struct {
	Text  string
	Key   string
	Kinds []string
	Limit int
}

// Terms returns the terms text is searched for, after analysis, or an
// error when it is too long or has none.
func (x *Index) Terms(text string) ([]string, error) {
	if len(text) > MaxQueryBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrQueryTooLong, len(text), MaxQueryBytes)
	}
	if words := len(strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })); words > MaxQueryTerms {
		return nil, fmt.Errorf("%w: %d words, at most %d", ErrQueryTooLong, words, MaxQueryTerms)
	}
	var terms []string
	seen := map[string]bool{}
	for _, tok := range x.analyzer.Analyze([]byte(text)) {
		t := string(tok.Term)
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	if len(terms) > MaxQueryTerms {
		return nil, fmt.Errorf("%w: %d terms, at most %d", ErrQueryTooLong, len(terms), MaxQueryTerms)
	}
	if len(terms) == 0 {
		return nil, ErrNoTerms
	}
	return terms, nil
}

// Search returns up to q.Limit documents matching q, best first (ties by
// id).
func (x *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	terms, err := x.Terms(q.Text)
	if err != nil {
		return nil, err
	}
	top, err := x.build(ctx, terms, q.Key)
	if err != nil {
		return nil, err
	}
	if len(q.Kinds) > 0 {
		var kinds []query.Query
		for _, k := range q.Kinds {
			tq := query.NewTermQuery(k)
			tq.SetField(fieldKind)
			kinds = append(kinds, tq)
		}
		kq := query.NewDisjunctionQuery(kinds)
		kq.SetBoost(0) // filters; adds nothing to the score
		top = query.NewConjunctionQuery([]query.Query{top, kq})
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	req := bleve.NewSearchRequestOptions(top, limit, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("fulltext: %w", err)
	}
	out := make([]Hit, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = Hit{ID: h.ID, Score: h.Score}
	}
	return out, nil
}

// commonShare is the share of documents above which a term counts as
// common (and commonFloor the document count below which none does).
// Scoring every document holding a common word ("company", "alias" on a
// generated graph, "huawei" on a large real one) would cost a pass over
// most of the index, so common words only add to the score of documents
// some rarer word, typo or name finds; a text of only common words is
// searched as it is.
const (
	commonShare = 50 // one document in 50
	commonFloor = 1000
)

// build makes the query for terms and key.
func (x *Index) build(ctx context.Context, terms []string, key string) (query.Query, error) {
	adv, err := x.bi.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	docs, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	limit := max(commonFloor, docs/commonShare)
	common := func(term, field string) bool {
		if docs <= commonFloor {
			return false
		}
		tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
		if err != nil {
			return false
		}
		defer tfr.Close()
		return tfr.Count() > limit
	}

	// For each term, the alternatives that find documents (rare) and
	// those that only score them (common).
	var rare, all []query.Query
	var commons []query.Query
	for i, t := range terms {
		var ralts, calts []query.Query
		for _, field := range fields {
			tq := query.NewTermQuery(t)
			tq.SetField(field)
			tq.SetBoost(weights[field])
			if common(t, field) {
				calts = append(calts, tq)
			} else {
				ralts = append(ralts, tq)
			}
		}
		n := utf8.RuneCountInString(t)
		namesCommon := len(calts) > 0 && calts[0].(*query.TermQuery).FieldVal == fieldNames
		// Typos in words only: 4712 is another model than 4711, not a
		// misspelling of it.
		if n >= 4 && !isCJK(t) && !hasDigit(t) && !namesCommon {
			fr, fc, err := fuzzyAlternatives(r, t, fuzziness(n), common)
			if err != nil {
				return nil, err
			}
			ralts = append(ralts, fr...)
			calts = append(calts, fc...)
		}
		// The last word as a prefix, for search as you type; a single
		// letter only on a small index, where it cannot match most of it.
		if i == len(terms)-1 && !namesCommon && (n >= 2 || docs <= commonFloor) {
			pq := query.NewPrefixQuery(t)
			pq.SetField(fieldNames)
			pq.SetBoost(weights[fieldNames] / 2)
			ralts = append(ralts, pq)
		}
		if len(ralts) > 0 {
			rare = append(rare, query.NewDisjunctionQuery(ralts))
		}
		if len(calts) > 0 {
			commons = append(commons, query.NewDisjunctionQuery(calts))
		}
		all = append(all, query.NewDisjunctionQuery(append(slices.Clone(ralts), calts...)))
	}
	if n := utf8.RuneCountInString(key); n >= 4 && len(terms) <= 2 {
		// The whole text as one misspelt name ("Cambrcon", "sk hynex").
		fq := query.NewFuzzyQuery(key)
		fq.SetField(fieldKeys)
		fq.SetFuzziness(fuzziness(n))
		fq.SetPrefix(1)
		fq.SetBoost(2 * weights[fieldNames])
		rare = append(rare, fq)
	}
	// Entities matching every word (in any field) score once more; with
	// common words the documents found already score for each word they
	// hold.
	var boost []query.Query
	if len(all) > 1 && len(commons) == 0 {
		boost = append(boost, query.NewConjunctionQuery(all))
	}
	if len(rare) == 0 {
		// Only common words: search them all.
		return query.NewDisjunctionQuery(append(all, boost...)), nil
	}
	if len(commons) == 0 {
		return query.NewDisjunctionQuery(append(rare, boost...)), nil
	}
	return query.NewBooleanQuery([]query.Query{query.NewDisjunctionQuery(rare)}, append(commons, boost...), nil), nil
}

// maxFuzzyTerms bounds the name words one misspelt word may stand for.
const maxFuzzyTerms = 256

// fuzzyAlternatives is the name words within fuzz edits of t sharing its
// first letter, each scored as bleve's fuzzy query scores it (half the
// names' weight over 1 + the edits). Unlike that query it splits them: a
// common word among them only scores the documents other words find, as a
// common word of the text does, so that a typo of a common word ("comapny"
// on a graph where every name says "company") does not make the query
// visit most of the index.
func fuzzyAlternatives(r index.IndexReader, t string, fuzz int, common func(term, field string) bool) (rare, commons []query.Query, err error) {
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok {
		return nil, nil, fmt.Errorf("fulltext: the index reader has no fuzzy dictionary")
	}
	_, size := utf8.DecodeRuneInString(t)
	dict, _, err := fr.FieldDictFuzzyAutomaton(fieldNames, t, fuzz, t[:size])
	if err != nil {
		return nil, nil, err
	}
	defer dict.Close()
	for n := 0; n < maxFuzzyTerms; n++ {
		e, err := dict.Next()
		if err != nil {
			return nil, nil, err
		}
		if e == nil {
			break
		}
		tq := query.NewTermQuery(e.Term)
		tq.SetField(fieldNames)
		tq.SetBoost(weights[fieldNames] / 2 / float64(e.EditDistance+1))
		if common(e.Term, fieldNames) {
			commons = append(commons, tq)
		} else {
			rare = append(rare, tq)
		}
	}
	return rare, commons, nil
}

// fuzziness is the edits allowed for a word of n letters.
func fuzziness(n int) int {
	if n >= 8 {
		return 2
	}
	return 1
}

func hasDigit(s string) bool {
	return strings.IndexFunc(s, unicode.IsDigit) >= 0
}

func isCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}
