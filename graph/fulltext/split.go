package fulltext

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// splitName is a token filter that also emits the leading letters of a
// token that goes on with digits, at the same position: "hbm3e" gives
// "hbm3e" and "hbm", "mlu370" gives "mlu", so that a search for HBM finds
// HBM3, HBM2E and HBM3E. Tokens that start with digits ("7nm", "910c") are
// left alone: their digits are what distinguishes them.
const splitName = "chipgraph_letter_prefix"

type splitFilter struct{}

func (splitFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := in
	for _, tok := range in {
		n := letterPrefix(tok.Term)
		if n < 2 || n == len(tok.Term) {
			continue
		}
		r, _ := utf8.DecodeRune(tok.Term[n:])
		if !unicode.IsDigit(r) {
			continue
		}
		extra := *tok
		extra.Term = append([]byte(nil), tok.Term[:n]...)
		out = append(out, &extra)
	}
	return out
}

// letterPrefix is the length in bytes of the letters b starts with.
func letterPrefix(b []byte) int {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if !unicode.IsLetter(r) || unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			break
		}
		i += size
	}
	return i
}

func init() {
	err := registry.RegisterTokenFilter(splitName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return splitFilter{}, nil
	})
	if err != nil {
		panic(err)
	}
}
