package graph

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds a name for matching: NFKC (so full-width and half-width
// forms agree), lower case, and letters and digits only (punctuation, spaces
// and symbols dropped). Han characters are letters, so Chinese names survive.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
