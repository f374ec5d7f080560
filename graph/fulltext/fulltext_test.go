package fulltext_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chipgraph/chipgraph/graph/fulltext"
)

func TestTerms(t *testing.T) {
	x, err := fulltext.New()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	tests := []struct {
		text string
		want []string
	}{
		{"HBM3E suppliers", []string{"hbm3e", "supplier", "hbm"}}, // letter prefix, plural
		{"华为技术", []string{"华为", "为技", "技术"}},                      // CJK bigrams
		{"ＳＭＩＣ's 7nm", []string{"smic", "7nm"}},                   // width, possessive; digits first stay whole
		{"the October 7 rule", []string{"october", "7", "rule"}},  // stop words
	}
	for _, tt := range tests {
		got, err := x.Terms(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	for _, text := range []string{strings.Repeat("x", fulltext.MaxQueryBytes+1), strings.Repeat("w ", fulltext.MaxQueryTerms+1)} {
		if _, err := x.Terms(text); !errors.Is(err, fulltext.ErrQueryTooLong) {
			t.Errorf("Terms(%d bytes): %v, want ErrQueryTooLong", len(text), err)
		}
	}
	if _, err := x.Terms("the of and"); !errors.Is(err, fulltext.ErrNoTerms) {
		t.Errorf("stop words only: %v, want ErrNoTerms", err)
	}
}

func TestSearchRanking(t *testing.T) {
	x, err := fulltext.New()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	err = x.Update([]fulltext.Doc{
		{ID: "cambricon", Kind: "COMPANY", Names: []string{"Cambricon Technologies", "Cambricon"}, Keys: []string{"cambricontechnologies", "cambricon"}},
		{ID: "mlu370", Kind: "CHIP", Names: []string{"Cambricon MLU370"}, Keys: []string{"cambriconmlu370"}},
		{ID: "hynix", Kind: "COMPANY", Names: []string{"SK hynix"}, Description: "Memory maker", Roles: []string{"memory supplier of HBM3E to NVIDIA"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := func(q fulltext.Query) string {
		hits, err := x.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			return ""
		}
		return hits[0].ID
	}
	if got := first(fulltext.Query{Text: "cambrcon", Key: "cambrcon"}); got != "cambricon" {
		t.Errorf("typo: %q first", got)
	}
	if got := first(fulltext.Query{Text: "HBM supplier"}); got != "hynix" {
		t.Errorf("roles: %q first", got)
	}
	if got := first(fulltext.Query{Text: "cambricon", Kinds: []string{"CHIP"}}); got != "mlu370" {
		t.Errorf("kinds: %q first", got)
	}
	if err := x.Update(nil, []string{"hynix"}); err != nil {
		t.Fatal(err)
	}
	if got := first(fulltext.Query{Text: "HBM supplier"}); got != "" {
		t.Errorf("deleted document still found: %q", got)
	}
}

// TestSearchTypoOfCommonWord: a misspelt common word ("comapny" where
// every name says "company") only scores what the other words find, and
// the entity they name still comes first; a typo in a rare word still
// finds it alone.
func TestSearchTypoOfCommonWord(t *testing.T) {
	x, err := fulltext.New()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var docs []fulltext.Doc
	for i := range 3000 { // over the index's floor for common words
		id := fmt.Sprintf("c%d", i)
		docs = append(docs, fulltext.Doc{ID: id, Kind: "COMPANY", Names: []string{fmt.Sprintf("Alias Company %d", i)}})
	}
	docs = append(docs, fulltext.Doc{ID: "zhaoxin", Kind: "COMPANY", Names: []string{"Zhaoxin Company"}})
	if err := x.Update(docs, nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ text, want string }{
		{"alias comapny 2711", "c2711"},
		{"alias company 2711", "c2711"},
		{"zhaoxn comapny", "zhaoxin"},
	} {
		hits, err := x.Search(context.Background(), fulltext.Query{Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].ID != tt.want {
			t.Errorf("%q: hits %v, want %s first", tt.text, hits, tt.want)
		}
	}
}
