"""Read a chipgraph export back with NetworkX (or the csv module) and print
what it holds as JSON, for loaders/export_test.go to compare with the store.

usage: read_networkx.py FORMAT PATH [EDGES_PATH]

Output: {"nodes": {id: {field: value}}, "edges": {id: {field: value}},
"spells": {edge id: [[start, end]]}}. Values are as NetworkX returns them
(numbers and booleans typed by the format), with lists and dicts dumped
back to JSON strings.
"""

import csv
import inspect
import json
import sys

import networkx as nx
from networkx.readwrite import json_graph


def plain(v):
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return v


def from_graph(G):
    nodes = {}
    for n, d in G.nodes(data=True):
        nodes[str(n)] = {k: plain(v) for k, v in d.items()}
    edges, spells = {}, {}
    if G.is_multigraph():
        it = ((u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True))
    else:
        it = ((u, v, None, d) for u, v, d in G.edges(data=True))
    for u, v, k, d in it:
        eid = str(d.get("id") or k)
        if eid in edges:
            raise SystemExit(f"duplicate edge id {eid}")
        rec = {key: plain(val) for key, val in d.items() if key != "spells"}
        rec["source"], rec["target"] = str(u), str(v)
        edges[eid] = rec
        if "spells" in d:
            spells[eid] = [[s, e] for s, e in d["spells"]]
    return {"nodes": nodes, "edges": edges, "spells": spells, "directed": G.is_directed()}


def read_gexf_13(path):
    # NetworkX reads GEXF 1.1draft and 1.2draft; 1.3 differs from 1.2 in
    # the namespace (and in what it allows, not in what we use), so teach
    # the reader the 1.3 namespace.
    versions = nx.readwrite.gexf.GEXF.versions
    if "1.3" not in versions:
        versions["1.3"] = {
            "NS_GEXF": "http://gexf.net/1.3",
            "NS_VIZ": "http://gexf.net/1.3/viz",
            "NS_XSI": "http://www.w3.org/2001/XMLSchema-instance",
            "SCHEMALOCATION": "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd",
            "VERSION": "1.3",
        }
    return nx.read_gexf(path, version="1.3")


def node_link(path, key):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    params = inspect.signature(json_graph.node_link_graph).parameters
    if "edges" in params:  # NetworkX >= 3.4
        return json_graph.node_link_graph(data, edges=key)
    return json_graph.node_link_graph(data, link=key)


def read_csv(nodes_path, edges_path):
    out = {"nodes": {}, "edges": {}, "spells": {}, "directed": True}
    with open(nodes_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out["nodes"][row["Id"]] = {k: v for k, v in row.items() if v != ""}
    with open(edges_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rec = {k: v for k, v in row.items() if v != ""}
            rec["source"], rec["target"] = row["Source"], row["Target"]
            out["edges"][row["Id"]] = rec
    return out


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    if fmt == "graphml":
        out = from_graph(nx.read_graphml(path))
    elif fmt == "gexf":
        out = from_graph(read_gexf_13(path))
    elif fmt == "nodelink":
        out = from_graph(node_link(path, "edges"))
    elif fmt == "nodelink-links":
        out = from_graph(node_link(path, "links"))
    elif fmt == "cytoscape":
        with open(path, encoding="utf-8") as f:
            out = from_graph(json_graph.cytoscape_graph(json.load(f)))
    elif fmt == "csv":
        out = read_csv(path, sys.argv[3])
    else:
        raise SystemExit(f"unknown format {fmt}")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
