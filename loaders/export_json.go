package loaders

import (
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

// fieldsJSON adds the shared fields of el to o (JSON-valued ones such as
// attributes and citations as JSON) and its attribute columns.
func (x *exporter) fieldsJSON(o *exportJSONObject, t *exportTable, el *exportElement) {
	for i, f := range t.fields {
		if exportFieldJSON(f) {
			o.raw(f, el.values[i])
		} else {
			o.str(f, el.values[i])
		}
	}
	x.cells(t.cols, el.attrs, func(i int, v string) { o.typed(t.cols[i].key(), t.cols[i].typ, v) })
}

// jsonElements writes the elements of t, one a line, comma-separated:
// open starts each (its id fields), then come the shared fields, then
// close ends it.
func (x *exporter) jsonElements(t *exportTable, open, close func(o *exportJSONObject, el *exportElement)) error {
	var o exportJSONObject
	written := 0
	return x.each(t, func(el *exportElement) error {
		o.b = o.b[:0]
		open(&o, el)
		x.fieldsJSON(&o, t, el)
		close(&o, el)
		written++
		if written < t.n {
			o.b = append(o.b, ',')
		}
		o.b = append(o.b, '\n')
		_, err := x.w.Write(o.b)
		return err
	})
}

// cytoscape writes Cytoscape.js JSON: {elements: {nodes, edges}}, each
// element {data: {...}, classes: kind or type}. data.value and data.key
// repeat the ids, and directed and multigraph are set, so NetworkX's
// cytoscape_graph reads it too.
func (x *exporter) cytoscape() error {
	x.str(`{"format_version":"1.0","generated_by":"chipgraph","target_cytoscapejs_version":"~3",` +
		`"directed":true,"multigraph":true,"data":{"name":"chipgraph","truncated":` +
		strconv.FormatBool(x.g.Truncated) + `},"elements":{"nodes":[` + "\n")
	open := func(o *exportJSONObject, el *exportElement) {
		o.b = append(o.b, `{"data":`...)
		o.open()
		o.str("id", el.id)
		if el.relation == nil {
			o.str("value", el.id)
		} else {
			o.str("key", el.id)
			o.str("source", el.from)
			o.str("target", el.to)
		}
	}
	close := func(o *exportJSONObject, el *exportElement) {
		o.close()
		o.b = append(o.b, `,"classes":`...)
		o.b = exportAppendJSON(o.b, el.class)
		o.b = append(o.b, '}')
	}
	if err := x.jsonElements(x.nodes, open, close); err != nil {
		return err
	}
	x.str(`],"edges":[` + "\n")
	if err := x.jsonElements(x.edges, open, close); err != nil {
		return err
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
	open := func(o *exportJSONObject, el *exportElement) {
		o.open()
		if el.relation != nil {
			o.str("source", el.from)
			o.str("target", el.to)
			o.str("key", el.id)
		}
		o.str("id", el.id)
	}
	close := func(o *exportJSONObject, _ *exportElement) { o.close() }
	if err := x.jsonElements(x.nodes, open, close); err != nil {
		return err
	}
	x.str(`],"` + x.opts.LinksKey + `":[` + "\n")
	if err := x.jsonElements(x.edges, open, close); err != nil {
		return err
	}
	x.str("]}\n")
	return nil
}
