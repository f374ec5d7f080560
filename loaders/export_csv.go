package loaders

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"time"

	"github.com/chipgraph/chipgraph/graph"
)

// CSV follows Gephi's spreadsheet import: the node table starts with Id and
// Label, the edge table with Source, Target, Type (always "Directed": Gephi's
// Type is the direction), Id and Label (the relation type, which is also in
// relation_type). The other columns are the shared fields (attributes as
// JSON) and the attr.<name> columns.

func csvNodeHeader(cols []exportColumn) []string {
	h := append([]string{"Id", "Label"}, exportNodeFields[1:]...)
	for _, c := range cols {
		h = append(h, c.key())
	}
	return h
}

func csvEdgeHeader(cols []exportColumn) []string {
	h := []string{"Source", "Target", "Type", "Id", "Label", "relation_type"}
	h = append(h, exportEdgeFields[2:]...)
	for _, c := range cols {
		h = append(h, c.key())
	}
	return h
}

func (x *exporter) csvNodes(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := csvNodeHeader(x.nodeCols)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	fixed := len(exportNodeFields) + 1
	for _, e := range x.g.Entities {
		vals := x.nodeValues(e)
		row[0] = e.ID
		copy(row[1:], vals[:])
		clear(row[fixed:])
		x.csvFlat(row[fixed:], x.nodeCols, e.Attributes)
		if err := cw.Write(row); err != nil {
			return err
		}
		if err := x.tick(); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (x *exporter) csvEdges(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := csvEdgeHeader(x.edgeCols)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	fixed := len(exportEdgeFields) + 4
	for _, r := range x.g.Relations {
		vals := x.edgeValues(r)
		row[0], row[1], row[2], row[3] = r.From, r.To, "Directed", r.ID
		copy(row[4:], vals[:])
		clear(row[fixed:])
		x.csvFlat(row[fixed:], x.edgeCols, r.Properties)
		if err := cw.Write(row); err != nil {
			return err
		}
		if err := x.tick(); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (x *exporter) csvFlat(row []string, cols []exportColumn, list []graph.Attribute) {
	x.flatAttrs = exportFlatten(list, x.flatAttrs[:0])
	for i, c := range cols {
		for _, a := range x.flatAttrs {
			if a.Name == c.name {
				row[i] = a.Value
				break
			}
		}
	}
}

// csvFiles writes the node table to x.w and the edge table to edges.
func (x *exporter) csvFiles(edges io.Writer) error {
	if err := x.csvNodes(x.w); err != nil {
		return err
	}
	return x.csvEdges(edges)
}

// csvZip writes a zip holding nodes.csv and edges.csv to w.
func (x *exporter) csvZip(w io.Writer) error {
	zw := zip.NewWriter(w)
	now := time.Now().UTC()
	for _, part := range []struct {
		name  string
		write func(io.Writer) error
	}{{"nodes.csv", x.csvNodes}, {"edges.csv", x.csvEdges}} {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: part.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		if err := part.write(f); err != nil {
			return err
		}
	}
	return zw.Close()
}
