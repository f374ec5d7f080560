package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// Where gqlparser's lexer departs from the October 2021 specification (and
// graphql-js 16), the query text is checked or mended around it:
//   - a \u escape naming half of a surrogate pair without the other half is
//     an error (gqlparser reads U+FFFD);
//   - a control character inside a string is a SourceCharacter like any
//     other (gqlparser refuses it): it is escaped before parsing;
//   - a block string's common indentation is taken from its lines after the
//     first (gqlparser counts the first too).

// stringSpans calls fn with the byte span of every string literal of q
// (quotes included), block strings marked; comments are skipped. An
// unterminated string ends the scan: the parser reports it.
func stringSpans(q string, fn func(start, end int, block bool)) {
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == '#':
			for i < len(q) && q[i] != '\n' && q[i] != '\r' {
				i++
			}
		case strings.HasPrefix(q[i:], `"""`):
			j := i + 3
			for {
				k := strings.Index(q[j:], `"""`)
				if k < 0 {
					return
				}
				j += k
				if q[j-1] != '\\' {
					break
				}
				j += 3 // \""" inside a block string
			}
			fn(i, j+3, true)
			i = j + 2
		case q[i] == '"':
			j := i + 1
			for ; j < len(q) && q[j] != '"' && q[j] != '\n' && q[j] != '\r'; j++ {
				if q[j] == '\\' {
					j++
				}
			}
			if j >= len(q) || q[j] != '"' {
				return
			}
			fn(i, j+1, false)
			i = j
		}
	}
}

// loneSurrogate returns the byte offset of the first \u escape that names
// half of a surrogate pair without the other half, or -1.
func loneSurrogate(q string) int {
	if !strings.Contains(q, `\u`) {
		return -1
	}
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(q) || q[i] != '\\' || q[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(q[i+2:i+6], 16, 16)
		return rune(n), err == nil
	}
	found := -1
	stringSpans(q, func(start, end int, block bool) {
		if block || found >= 0 {
			return
		}
		for i := start + 1; i < end-1; i++ {
			if q[i] != '\\' {
				continue
			}
			r, ok := hex4(i)
			if !ok {
				i++ // another escape: skip the escaped character
				continue
			}
			switch {
			case r >= 0xD800 && r < 0xDC00:
				if r2, ok := hex4(i + 6); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
					i += 11
					continue
				}
				found = i
				return
			case r >= 0xDC00 && r <= 0xDFFF:
				found = i
				return
			}
			i += 5
		}
	})
	return found
}

// escapeControls rewrites control characters inside string literals as
// \u escapes, which mean the same.
func escapeControls(q string) string {
	has := false
	for i := 0; i < len(q); i++ {
		if c := q[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			has = true
			break
		}
	}
	if !has {
		return q
	}
	var b strings.Builder
	last := 0
	stringSpans(q, func(start, end int, block bool) {
		if block {
			return
		}
		for i := start; i < end; i++ {
			if c := q[i]; c < 0x20 && c != '\t' {
				b.WriteString(q[last:i])
				fmt.Fprintf(&b, `\u%04X`, c)
				last = i + 1
			}
		}
	})
	b.WriteString(q[last:])
	return b.String()
}

// fixBlockStrings gives every block string of doc the value the
// specification's BlockStringValue gives its raw text in query.
func fixBlockStrings(doc *gqlast.QueryDocument, query string) {
	if !strings.Contains(query, `"""`) {
		return
	}
	ascii := len(query) == utf8.RuneCountInString(query)
	byteAt := func(runes int) int {
		if ascii {
			return runes
		}
		i := 0
		for n := 0; n < runes && i < len(query); n++ {
			_, size := utf8.DecodeRuneInString(query[i:])
			i += size
		}
		return i
	}
	var fix func(v *gqlast.Value)
	fix = func(v *gqlast.Value) {
		if v == nil {
			return
		}
		for _, c := range v.Children {
			fix(c.Value)
		}
		if v.Kind != gqlast.BlockValue || v.Position == nil {
			return
		}
		start, end := byteAt(v.Position.Start), byteAt(v.Position.End)
		if start+6 > end || end > len(query) || !strings.HasPrefix(query[start:], `"""`) {
			return
		}
		v.Raw = blockStringValue(strings.ReplaceAll(query[start+3:end-3], `\"""`, `"""`))
	}
	walkValues(doc, fix)
}

// blockStringValue is the specification's BlockStringValue(rawValue).
func blockStringValue(raw string) string {
	lines := strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(raw), "\n")
	common := math.MaxInt
	for _, line := range lines[1:] {
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if indent < len(line) && indent < common {
			common = indent
		}
	}
	if common != math.MaxInt {
		for i := 1; i < len(lines); i++ {
			if len(lines[i]) < common {
				lines[i] = ""
			} else {
				lines[i] = lines[i][common:]
			}
		}
	}
	blank := func(s string) bool { return strings.TrimLeft(s, " \t") == "" }
	for len(lines) > 0 && blank(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && blank(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// walkValues calls fn with every value literal of doc: arguments of fields
// and directives, and variables' defaults.
func walkValues(doc *gqlast.QueryDocument, fn func(*gqlast.Value)) {
	directives := func(dirs gqlast.DirectiveList) {
		for _, d := range dirs {
			for _, a := range d.Arguments {
				fn(a.Value)
			}
		}
	}
	var set func(gqlast.SelectionSet)
	set = func(ss gqlast.SelectionSet) {
		for _, sel := range ss {
			switch sel := sel.(type) {
			case *gqlast.Field:
				for _, a := range sel.Arguments {
					fn(a.Value)
				}
				directives(sel.Directives)
				set(sel.SelectionSet)
			case *gqlast.InlineFragment:
				directives(sel.Directives)
				set(sel.SelectionSet)
			case *gqlast.FragmentSpread:
				directives(sel.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, vd := range op.VariableDefinitions {
			fn(vd.DefaultValue)
			directives(vd.Directives)
		}
		directives(op.Directives)
		set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		directives(f.Directives)
		set(f.SelectionSet)
	}
}
