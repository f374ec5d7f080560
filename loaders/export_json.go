package loaders

import (
	"github.com/chipgraph/chipgraph/graph"

	"strconv"
	"unicode/utf8"
)

// JSON is written by hand too, one element a line: a small appender keeps
// the key order stable and allocates nothing per value.

// exportAppendJSON appends s as a JSON string (no HTML escaping; invalid
// UTF-8 becomes U+FFFD).
func exportAppendJSON(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// exportJSONObject builds one JSON object in a reusable buffer.
type exportJSONObject struct {
	b     []byte
	first bool
}

func (o *exportJSONObject) open()  { o.b = append(o.b, '{'); o.first = true }
func (o *exportJSONObject) close() { o.b = append(o.b, '}') }

func (o *exportJSONObject) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = exportAppendJSON(o.b, k)
	o.b = append(o.b, ':')
}

// str adds k: v when v is not empty.
func (o *exportJSONObject) str(k, v string) {
	if v == "" {
		return
	}
	o.key(k)
	o.b = exportAppendJSON(o.b, v)
}

// raw adds k: v, v being JSON already, when v is not empty.
func (o *exportJSONObject) raw(k, v string) {
	if v == "" {
		return
	}
	o.key(k)
	o.b = append(o.b, v...)
}

// typed adds k: v as a number, a bool or a string, after the column's type.
func (o *exportJSONObject) typed(k string, t exportValueType, v string) {
	switch t {
	case vtNumber:
		if f, ok := exportFinite(v); ok {
			o.key(k)
			o.b = strconv.AppendFloat(o.b, f, 'g', -1, 64)
			return
		}
	case vtBool:
		if v == "true" || v == "false" {
			o.raw(k, v)
			return
		}
	}
	o.key(k)
	o.b = exportAppendJSON(o.b, v)
}

// nodeJSON adds the fields of e to o: id first, then exportNodeFields (attributes
// as a JSON array) and the attr columns.
func (x *exporter) nodeJSON(o *exportJSONObject, e *graph.Entity) {
	vals := x.nodeValues(e)
	for i, f := range exportNodeFields {
		if f == "attributes" {
			o.raw(f, vals[i])
		} else {
			o.str(f, vals[i])
		}
	}
	x.flat(x.nodeCols, e.Attributes, func(c exportColumn, v string) { o.typed(c.key(), c.typ, v) })
}

func (x *exporter) edgeJSON(o *exportJSONObject, r *graph.Relation) {
	vals := x.edgeValues(r)
	for i, f := range exportEdgeFields {
		if f == "attributes" || exportFieldType(f) == "boolean" {
			o.raw(f, vals[i])
		} else {
			o.str(f, vals[i])
		}
	}
	x.flat(x.edgeCols, r.Properties, func(c exportColumn, v string) { o.typed(c.key(), c.typ, v) })
}

func (x *exporter) line(o *exportJSONObject, exportSep string) error {
	x.w.Write(o.b)
	x.str(exportSep)
	return x.tick()
}

// cytoscape writes Cytoscape.js JSON: {elements: {nodes, edges}}, each
// element {data: {...}, classes: kind or type}. data.value and data.key
// repeat the ids, and directed and multigraph are set, so NetworkX's
// cytoscape_graph reads it too.
func (x *exporter) cytoscape() error {
	x.str(`{"format_version":"1.0","generated_by":"chipgraph","target_cytoscapejs_version":"~3",` +
		`"directed":true,"multigraph":true,"data":{"name":"chipgraph","truncated":` +
		strconv.FormatBool(x.g.Truncated) + `},"elements":{"nodes":[` + "\n")
	var o exportJSONObject
	for i, e := range x.g.Entities {
		o.b = append(o.b[:0], `{"data":`...)
		o.open()
		o.str("id", e.ID)
		o.str("value", e.ID)
		x.nodeJSON(&o, e)
		o.close()
		o.b = append(o.b, `,"classes":`...)
		o.b = exportAppendJSON(o.b, string(e.Kind))
		o.b = append(o.b, '}')
		if err := x.line(&o, exportSep(i, len(x.g.Entities))); err != nil {
			return err
		}
	}
	x.str(`],"edges":[` + "\n")
	for i, r := range x.g.Relations {
		o.b = append(o.b[:0], `{"data":`...)
		o.open()
		o.str("id", r.ID)
		o.str("key", r.ID)
		o.str("source", r.From)
		o.str("target", r.To)
		x.edgeJSON(&o, r)
		o.close()
		o.b = append(o.b, `,"classes":`...)
		o.b = exportAppendJSON(o.b, string(r.Type))
		o.b = append(o.b, '}')
		if err := x.line(&o, exportSep(i, len(x.g.Relations))); err != nil {
			return err
		}
	}
	x.str("]}}\n")
	return nil
}

// nodelink writes node-link JSON as NetworkX's node_link_data does for a
// directed multigraph: nodes with id, edges with source, target and key
// (the relation id), under opts.LinksKey.
func (x *exporter) nodelink() error {
	x.str(`{"directed":true,"multigraph":true,"graph":{"name":"chipgraph","truncated":` +
		strconv.FormatBool(x.g.Truncated) + `},"nodes":[` + "\n")
	var o exportJSONObject
	for i, e := range x.g.Entities {
		o.b = o.b[:0]
		o.open()
		o.str("id", e.ID)
		x.nodeJSON(&o, e)
		o.close()
		if err := x.line(&o, exportSep(i, len(x.g.Entities))); err != nil {
			return err
		}
	}
	x.str(`],"` + x.opts.LinksKey + `":[` + "\n")
	for i, r := range x.g.Relations {
		o.b = o.b[:0]
		o.open()
		o.str("source", r.From)
		o.str("target", r.To)
		o.str("key", r.ID)
		o.str("id", r.ID)
		x.edgeJSON(&o, r)
		o.close()
		if err := x.line(&o, exportSep(i, len(x.g.Relations))); err != nil {
			return err
		}
	}
	x.str("]}\n")
	return nil
}

func exportSep(i, n int) string {
	if i < n-1 {
		return ",\n"
	}
	return "\n"
}
