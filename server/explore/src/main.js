// chipgraph explorer: search an entity, draw its neighbourhood with
// Cytoscape.js, expand nodes by clicking them, filter by relation type, kind
// and date, find paths between two entities, and export the view. It talks
// only to this server: POST /graphql for data, /export for downloads.
// build.mjs bundles this file and Cytoscape.js into one script.
import cytoscape from 'cytoscape';
import './explore.css';

// ---------------------------------------------------------------- constants

// Colour and shape of each kind; unknown kinds get the fallback.
const KIND_STYLE = {
  COMPANY: ['#4e79a7', 'round-rectangle'],
  CHIP: ['#e15759', 'diamond'],
  MEMORY: ['#f28e2b', 'barrel'],
  SYSTEM: ['#76b7b2', 'hexagon'],
  SOFTWARE: ['#59a14f', 'tag'],
  MODEL: ['#edc948', 'star'],
  EQUIPMENT: ['#b07aa1', 'octagon'],
  PROCESS_NODE: ['#ff9da7', 'triangle'],
  FUND: ['#9c755f', 'pentagon'],
  GOVERNMENT_BODY: ['#8c8c8c', 'rectangle'],
  RESEARCH_ORG: ['#17becf', 'concave-hexagon'],
  SANCTION: ['#b2182b', 'vee'],
  REGULATION: ['#d6604d', 'rhomboid'],
  COUNTRY: ['#bab0ac', 'ellipse'],
};
const KIND_FALLBACK = ['#999999', 'ellipse'];

// Colour of each relation type's edges.
const TYPE_COLOR = {
  DESIGNS: '#4e79a7',
  FABRICATES: '#e15759',
  SUPPLIES: '#f28e2b',
  USES_COMPONENT: '#76b7b2',
  CUSTOMER_OF: '#edc948',
  INVESTS_IN: '#9c755f',
  SUBSIDIARY_OF: '#59a14f',
  PARTNERS_WITH: '#b07aa1',
  COMPETES_WITH: '#ff9da7',
  TARGETS: '#b2182b',
  ISSUED_BY: '#8c8c8c',
  RUNS_ON: '#17becf',
  LOCATED_IN: '#c7c7c7',
};

// The export formats of GET /export, as format parameter and label.
const EXPORT_FORMATS = [
  ['graphml', 'GraphML'],
  ['gexf', 'GEXF'],
  ['cytoscape', 'Cytoscape JSON'],
  ['nodelink', 'Node-link JSON'],
  ['csv', 'CSV'],
  ['nquads', 'N-Quads'],
  ['ftm', 'FtM'],
];

// Above BIG nodes the layout is rings (cose would be slow) and the
// renderer textures the viewport and hides edges while panning or zooming.
const BIG = 500;
const YEAR_MIN = 1980;
const YEAR_ALL = new Date().getFullYear() + 1; // the slider's "all dates" end

// ------------------------------------------------------------------ GraphQL

const Q_META = `{
  kinds: __type(name: "EntityKind") { enumValues { name } }
  types: __type(name: "RelationType") { enumValues { name description } }
}`;
const Q_SEARCH = `query Search($text: String!) {
  search(text: $text, first: 10) { id name kind country }
}`;
const NODE_FIELDS = 'id name kind country aliases';
const REL_FIELDS = 'id type fromId toId status validFrom validTo firstReported category product';
const Q_NEIGHBORHOOD = `query Neighborhood($ids: [ID!]!, $hops: Int, $types: [RelationType!], $kinds: [EntityKind!], $asOf: Date, $limit: Int) {
  neighborhood(ids: $ids, hops: $hops, types: $types, kinds: $kinds, asOf: $asOf, limit: $limit) {
    nodes { ${NODE_FIELDS} }
    relations { ${REL_FIELDS} }
    truncated
  }
}`;
const Q_PATHS = `query Paths($from: ID!, $to: ID!, $maxHops: Int, $types: [RelationType!], $asOf: Date) {
  paths(from: $from, to: $to, maxHops: $maxHops, types: $types, asOf: $asOf, first: 5) {
    nodes { ${NODE_FIELDS} }
    relations { ${REL_FIELDS} }
  }
}`;
const Q_ENTITY = `query Entity($id: ID!) {
  entity(id: $id) {
    id name kind country description aliases
    attributes { name type value unit asOf status sources { key title url } }
    externalIds { scheme value }
    sources { key title url publisher published undated retrieved }
  }
}`;
const Q_RELATION = `query Relation($from: ID!, $types: [RelationType!]) {
  entity(id: $from) {
    relations(types: $types, direction: OUT, first: 100) {
      nodes {
        id note
        properties { name type value unit }
        sources { key title url publisher published undated retrieved }
      }
    }
  }
}`;

async function gql(query, variables = {}) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`the server answered ${res.status} ${res.statusText}`);
  }
  if (body.errors && body.errors.length) {
    throw new Error(body.errors.map((e) => e.message).join('; '));
  }
  if (!res.ok) throw new Error(`the server answered ${res.status} ${res.statusText}`);
  return body.data;
}

// ---------------------------------------------------------------------- DOM

const $ = (sel) => document.querySelector(sel);

// h builds an element: h('a', {href: u, class: 'x'}, 'text', child, ...).
// Text is always set as text, never parsed as HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// safeURL returns u when it is an http(s) URL, else null.
function safeURL(u) {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function sourceItem(s) {
  const url = safeURL(s.url);
  const title = s.title || s.key;
  // An undated page is cited n.d. with the date it was read.
  const date = s.published || (s.undated ? `n.d., retrieved ${s.retrieved}` : '');
  const meta = [s.publisher, date].filter(Boolean).join(', ');
  return h('li', null,
    url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, title) : title,
    meta ? h('span', { class: 'muted' }, ' — ', meta) : null);
}

function swatch(kind) {
  const [color] = KIND_STYLE[kind] || KIND_FALLBACK;
  const s = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  s.style.background = color;
  return s;
}

const pretty = (s) => String(s).toLowerCase().replaceAll('_', ' ');

let messageTimer;
function showMessage(text) {
  const m = $('#message');
  m.textContent = text;
  m.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { m.hidden = true; }, 8000);
}

// ------------------------------------------------------------------- state

const state = {
  mode: 'neighbourhood', // or 'path'
  expanded: [], // ids whose neighbourhood is shown, in the order expanded
  hops: 1,
  limit: 500,
  asOf: null, // a year, or null for all dates
  types: null, // Set of enabled relation types (all when every box is ticked)
  kinds: null, // Set of enabled kinds
  allTypes: [],
  allKinds: [],
  from: null, // path ends: {id, name}
  to: null,
  maxHops: 4,
  selected: null, // 'n:ID' or 'e:ID'
  truncated: false,
  pathCount: 0,
  focus: null, // the entity of the exposure, timeline and diff views: {id, name}
  diffFrom: '2019',
  diffTo: '2021',
  summary: '', // what the analysis view shows, for the status line
  table: null, // the current result as {title, columns, rows}
};

const nid = (id) => 'n:' + id;
const eid = (id) => 'e:' + id;

function typesArg() {
  return state.types.size === state.allTypes.length ? null : [...state.types];
}
function kindsArg() {
  return state.kinds.size === state.allKinds.length ? null : [...state.kinds];
}

// ----------------------------------------------- names and values at a glance
//
// The explorer is laid out for 1280x800: a node's label and the details
// panel's values must read at that size.

// LABEL_FONT is the page's font stack for the canvas too, so Chinese labels
// find the CJK font the page uses.
const LABEL_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "Liberation Sans", sans-serif';
const LABEL_MAX = 24; // characters of a name drawn as it is

// shortName is the label drawn under a node: its name when short, else its
// first alias in Latin script that is shorter and not a ticker (SMIC, not
// "Semiconductor Manufacturing International Corporation" cut off), else
// the name without its legal form or parenthesis. The details panel
// always gives the full name.
function shortName(n) {
  const name = n.name || n.id;
  if (name.length <= LABEL_MAX) return name;
  const alias = (n.aliases || []).find((a) => a.length >= 2 && a.length < name.length &&
    /^[\x20-\x7E]+$/.test(a) && /[A-Za-z]/.test(a) && !/^\d{4,6}\.[A-Z]{2}$/.test(a));
  if (alias) return alias;
  const bare = name.replace(/\s*\([^)]*\)/g, '')
    .replace(/,?\s+(Co\.,?\s*Ltd\.?|Corp\.?|Corporation|Inc\.?|Incorporated|Limited|Ltd\.?|Company|Holdings?)$/i, '');
  return bare || name;
}

// displayValue writes a number of five or more digits with digit grouping
// (862,100,000,000 rather than 862100000000); other values as they are.
function displayValue(a) {
  const v = String(a.value);
  if (a.type === 'NUMBER' && /^-?\d{5,}(\.\d+)?$/.test(v)) {
    const [whole, frac] = v.split('.');
    return BigInt(whole).toLocaleString('en-US') + (frac ? `.${frac}` : '');
  }
  return v;
}

// ---------------------------------------------------------------- Cytoscape

// stylesheet is the graph's style: colour and shape by kind, colour by
// relation type, the type as edge label. For a big graph it drops what
// costs most to compute for thousands of elements: edge labels, label
// backgrounds and ellipses, and curved edges with their bundling.
function stylesheet(big) {
  const sheet = [
    {
      selector: 'node',
      style: {
        'background-color': KIND_FALLBACK[0],
        shape: KIND_FALLBACK[1],
        label: 'data(label)',
        'font-family': LABEL_FONT,
        width: 30,
        height: 30,
        'font-size': 17,
        'min-zoomed-font-size': 7,
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': big ? 'none' : 'ellipsis',
        'text-max-width': '250px', // a label of LABEL_MAX characters fits whole
        'text-background-color': '#ffffff',
        'text-background-opacity': big ? 0 : 0.75,
        'text-background-padding': '1px',
        'border-width': 1,
        'border-color': '#ffffff',
      },
    },
    ...Object.entries(KIND_STYLE).map(([kind, [color, shape]]) => ({
      selector: `node[kind = "${kind}"]`,
      style: { 'background-color': color, shape },
    })),
    { selector: 'node.expanded', style: { 'border-width': 3, 'border-color': '#1f2328', width: 38, height: 38, 'font-weight': 'bold' } },
    { selector: 'node.path-end', style: { 'border-width': 4, 'border-color': '#6f42c1', width: 38, height: 38, 'font-weight': 'bold' } },
    { selector: 'node:selected', style: { 'overlay-color': '#0969da', 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
    {
      selector: 'edge',
      style: big
        ? {
          width: 1,
          'line-color': '#999',
          'target-arrow-color': '#999',
          'target-arrow-shape': 'triangle',
          'arrow-scale': 0.6,
          'curve-style': 'straight',
          opacity: 0.6,
        }
        : {
          width: 1.5,
          'line-color': '#999',
          'target-arrow-color': '#999',
          'target-arrow-shape': 'triangle',
          'arrow-scale': 0.8,
          'curve-style': 'bezier',
          label: 'data(label)',
          'font-family': LABEL_FONT,
          'font-size': 12,
          'min-zoomed-font-size': 7,
          color: '#444',
          'text-rotation': 'autorotate',
          'text-background-color': '#ffffff',
          'text-background-opacity': 0.8,
          'text-background-padding': '1px',
        },
    },
    ...Object.entries(TYPE_COLOR).map(([type, color]) => ({
      selector: `edge[type = "${type}"]`,
      style: { 'line-color': color, 'target-arrow-color': color },
    })),
    ...timeStyles(),
    // RelationStatus values, as the API spells them. Dotted is taken by
    // first reports (timeStyles): ended relations fade instead.
    { selector: 'edge[status = "DISPUTED"]', style: { 'line-style': 'dashed', 'line-dash-pattern': [8, 5] } },
    { selector: 'edge[status = "ENDED"]', style: { opacity: 0.45 } },
    { selector: 'edge.path', style: { width: 4, 'line-color': '#6f42c1', 'target-arrow-color': '#6f42c1', opacity: 1 } },
    ...analysisStyles(),
    { selector: 'edge:selected', style: { width: 4, 'overlay-color': '#0969da', 'overlay-opacity': 0.2 } },
  ];
  return sheet;
}

// ------------------------------------------------------------ time (asOf)
//
// The slider asks the API with asOf, so what is drawn follows the API's one
// rule (graph.Relation.ValidAt): a relation holds on a date when its
// validFrom is not after it and its validTo not before it; a relation with
// no validFrom holds on no date. A validFrom that is only the date of the
// first report (firstReported) is drawn dotted, with a hollow circle at the
// source end: the relation may have begun earlier. Disputed relations stay
// dashed (the circle still marks a first report).

function timeStyles() {
  return [
    { selector: 'edge[?firstReported]', style: { 'line-style': 'dotted', 'source-arrow-shape': 'circle', 'source-arrow-fill': 'hollow', 'source-arrow-color': '#57606a' } },
  ];
}

// validFromText is validFrom as the side panel shows it.
function validFromText(r) {
  if (!r.validFrom) return '';
  return r.firstReported ? `${r.validFrom} (first reported; the start is not known)` : r.validFrom;
}

let bigStyle = false;
const cy = cytoscape({
  container: $('#cy'),
  minZoom: 0.02,
  maxZoom: 4,
  boxSelectionEnabled: false,
  style: stylesheet(bigStyle),
});
// For tests and the console: the explorer's Cytoscape instance.
window.chipgraphExplore = {
  cy, state, relayout: () => runLayout(true), select: (id) => select(nid(id)),
  table: () => state.table, csv: () => tableCSV(state.table),
};

cy.on('tap', 'node', (ev) => {
  const id = ev.target.data('entity');
  select(nid(id));
  expand(id);
});
cy.on('tap', 'edge', (ev) => select(ev.target.id()));

// --------------------------------------------------------------- rendering

let generation = 0;
let needFit = true;

// refresh fetches the view for the current state and draws it.
async function refresh({ relayout = false } = {}) {
  const gen = ++generation;
  const status = $('#status');
  status.dataset.busy = 'true';
  syncURL();
  syncExports();
  if (ANALYSIS_MODES.includes(state.mode)) {
    await refreshAnalysis(gen, relayout);
    return;
  }
  state.summary = '';
  const jobs = [];
  const vars = { types: typesArg(), asOf: state.asOf ? String(state.asOf) : null };
  if (state.expanded.length) {
    jobs.push(gql(Q_NEIGHBORHOOD, {
      ...vars, ids: state.expanded, hops: state.hops, kinds: kindsArg(), limit: state.limit,
    }).then((d) => ({ nodes: d.neighborhood.nodes, relations: d.neighborhood.relations, truncated: d.neighborhood.truncated })));
  }
  const pathMode = state.mode === 'path' && state.from && state.to;
  if (pathMode) {
    jobs.push(gql(Q_PATHS, { ...vars, from: state.from.id, to: state.to.id, maxHops: state.maxHops })
      .then((d) => ({
        nodes: d.paths.flatMap((p) => p.nodes),
        relations: d.paths.flatMap((p) => p.relations),
        path: true,
        count: d.paths.length,
      })));
  }
  let results;
  const t0 = performance.now();
  try {
    results = await Promise.all(jobs);
  } catch (err) {
    if (gen === generation) {
      status.dataset.busy = 'false';
      showMessage(err.message);
    }
    return;
  }
  if (gen !== generation) return; // a newer refresh is under way
  const nodes = new Map();
  const rels = new Map();
  const pathRels = new Set();
  state.truncated = false;
  state.pathCount = 0;
  for (const r of results) {
    for (const n of r.nodes) nodes.set(n.id, n);
    for (const rel of r.relations) {
      rels.set(rel.id, rel);
      if (r.path) pathRels.add(rel.id);
    }
    state.truncated ||= !!r.truncated;
    if (r.path) state.pathCount = r.count;
  }
  if (pathMode && state.pathCount === 0) {
    showMessage(`No path of at most ${state.maxHops} relations between ${state.from.name} and ${state.to.name} under the current filters.`);
  }
  const t1 = performance.now();
  state.table = relationsTable(pathMode ? 'Paths' : 'Neighbourhood', nodes, rels);
  draw(nodes, rels, pathRels, relayout);
  // How long the last view took to fetch and to draw (with the layout).
  status.dataset.fetchMs = Math.round(t1 - t0);
  status.dataset.drawMs = Math.round(performance.now() - t1);
  status.dataset.busy = 'false';
}

// draw shows nodes and rels, highlighting pathRels; marks optionally gives
// classes to edges (by relation id) and nodes (by entity id).
function draw(nodes, rels, pathRels, relayout, marks = { edges: new Map(), nodes: new Map() }) {
  const wantEdges = new Map();
  for (const r of rels.values()) {
    if (nodes.has(r.fromId) && nodes.has(r.toId)) wantEdges.set(eid(r.id), r);
  }
  const expanded = new Set(state.expanded);
  const ends = new Set([state.mode === 'path' && state.from?.id, state.mode === 'path' && state.to?.id,
    ANALYSIS_MODES.includes(state.mode) && state.focus?.id]);
  const added = [];
  const big = nodes.size > BIG;
  if (big !== bigStyle) {
    bigStyle = big;
    cy.style(stylesheet(big));
  }
  // Big graphs: textures while panning and zooming, edges hidden.
  const r = cy.renderer();
  r.textureOnViewport = big;
  r.hideEdgesOnViewport = big;
  cy.batch(() => {
    cy.remove(cy.elements().filter((el) => (el.isNode() ? !nodes.has(el.data('entity')) : !wantEdges.has(el.id()))));
    const pos = (id) => {
      // Next to a neighbour already drawn, or near the middle.
      for (const r of rels.values()) {
        const other = r.fromId === id ? r.toId : r.toId === id ? r.fromId : null;
        if (other) {
          const o = cy.getElementById(nid(other));
          if (o.nonempty()) {
            const p = o.position();
            return { x: p.x + (Math.random() - 0.5) * 120, y: p.y + (Math.random() - 0.5) * 120 };
          }
        }
      }
      const ext = cy.extent();
      return { x: (ext.x1 + ext.x2) / 2 + (Math.random() - 0.5) * 200, y: (ext.y1 + ext.y2) / 2 + (Math.random() - 0.5) * 200 };
    };
    const fresh = [];
    for (const n of nodes.values()) {
      const el = cy.getElementById(nid(n.id));
      if (el.nonempty()) el.data({ name: n.name, label: shortName(n), kind: n.kind, country: n.country });
      else fresh.push(n);
    }
    // Positions only matter for small graphs (cose starts from them).
    const small = nodes.size <= BIG;
    const specs = fresh.map((n) => ({
      group: 'nodes', data: { ...n, id: nid(n.id), entity: n.id, label: shortName(n) }, position: small ? pos(n.id) : { x: 0, y: 0 },
    }));
    const edges = [];
    for (const [id, r] of wantEdges) {
      const el = cy.getElementById(id);
      if (el.nonempty()) {
        el.data({ status: r.status, validFrom: r.validFrom, validTo: r.validTo, firstReported: r.firstReported, category: r.category, product: r.product });
      } else {
        edges.push({ group: 'edges', data: { ...r, id, source: nid(r.fromId), target: nid(r.toId), relation: r.id, label: pretty(r.type) } });
      }
    }
    // One add for all: thousands of single adds cost seconds.
    if (specs.length || edges.length) added.push(cy.add(specs.concat(edges)));
    cy.nodes().forEach((n) => {
      n.toggleClass('expanded', expanded.has(n.data('entity')));
      n.toggleClass('path-end', ends.has(n.data('entity')));
    });
    cy.edges().forEach((e) => e.toggleClass('path', pathRels.has(e.data('relation'))));
    for (const c of MARK_CLASSES) {
      cy.edges().forEach((e) => e.toggleClass(c, marks.edges.get(e.data('relation')) === c));
      cy.nodes().forEach((n) => n.toggleClass(c, marks.nodes.get(n.data('entity')) === c));
    }
  });

  const grown = added.some((c) => c.nodes().nonempty());
  // A view drawn from scratch starts from random positions; a grown one
  // from where its nodes are, so that the picture stays recognisable.
  if (relayout || grown) runLayout(relayout || needFit);
  else if (needFit) cy.fit(undefined, 30);
  needFit = cy.elements().empty();

  if (state.selected && cy.getElementById(state.selected).empty()) select(null);
  else if (state.selected) cy.getElementById(state.selected).select();

  $('#empty').hidden = cy.nodes().nonempty();
  const n = cy.nodes().length;
  const m = cy.edges().length;
  const status = $('#status');
  status.dataset.nodes = n;
  status.dataset.edges = m;
  const parts = [`${n} ${n === 1 ? 'entity' : 'entities'}`, `${m} ${m === 1 ? 'relation' : 'relations'}`];
  if (state.asOf) parts.push(`as of ${state.asOf}`);
  if (state.mode === 'path' && state.from && state.to) parts.push(`${state.pathCount} path${state.pathCount === 1 ? '' : 's'}`);
  if (ANALYSIS_MODES.includes(state.mode) && state.summary) parts.push(state.summary);
  if (state.truncated) parts.push(`truncated at ${state.limit}: raise the limit or filter`);
  status.textContent = n || state.summary ? parts.join(' · ') : '';
  syncTable();
  countLegend();
  syncExports();
}

function runLayout(fresh = false) {
  const n = cy.nodes().length;
  if (!n) return;
  let opts;
  if (n > BIG) {
    ringLayout();
    return;
  } else if (n === 1) {
    opts = { name: 'grid', animate: false, fit: false };
  } else {
    opts = {
      name: 'cose', animate: false, randomize: fresh, fit: true, padding: 30,
      nodeRepulsion: () => 14000, idealEdgeLength: () => 60, nodeOverlap: 10,
      gravity: 1.2, numIter: 1500, componentSpacing: 60,
      nodeDimensionsIncludeLabels: true,
    };
  }
  cy.layout(opts).run();
  if (opts.name === 'cose') stretch();
  if (n === 1) cy.zoom(1.2);
  if (n === 1 || cy.zoom() > 1.2) {
    cy.zoom(Math.min(cy.zoom(), 1.2));
    cy.center();
  }
}

// stretch scales the node positions so that their bounding box has the
// canvas's aspect ratio (at most 2.5 times in one direction), then fits: the
// same picture, drawn bigger.
function stretch() {
  const bb = cy.nodes().boundingBox({ includeLabels: false });
  const w = cy.width();
  const h = cy.height();
  if (bb.w <= 0 || bb.h <= 0 || w <= 0 || h <= 0) return;
  const want = w / h;
  const have = bb.w / bb.h;
  const kx = have < want ? Math.min(want / have, 2.5) : 1;
  const ky = have > want ? Math.min(have / want, 2.5) : 1;
  const mx = (bb.x1 + bb.x2) / 2;
  const my = (bb.y1 + bb.y2) / 2;
  cy.nodes().positions((node) => {
    const p = node.position();
    return { x: mx + (p.x - mx) * kx, y: my + (p.y - my) * ky };
  });
  cy.fit(undefined, 30);
}

// ringLayout places thousands of nodes cheaply (linear time, one batch):
// rings by distance from the expanded entities (or path ends), the nearest
// in the middle, each ring's nodes grouped by kind so that colours form
// arcs; nodes not reached go on the outermost ring.
function ringLayout() {
  const dist = distances();
  const rings = new Map();
  cy.nodes().forEach((node) => {
    const d = dist.has(node.id()) ? dist.get(node.id()) : Infinity;
    if (!rings.has(d)) rings.set(d, []);
    rings.get(d).push(node);
  });
  const kinds = Object.keys(KIND_STYLE);
  const spacing = 44; // model units between neighbours on a ring
  const pos = new Map();
  let radius = 0;
  for (const d of [...rings.keys()].sort((a, b) => a - b)) {
    const ring = rings.get(d).sort((a, b) =>
      kinds.indexOf(a.data('kind')) - kinds.indexOf(b.data('kind')) || a.data('name').localeCompare(b.data('name')));
    const k = ring.length;
    if (radius === 0 && k === 1) {
      pos.set(ring[0].id(), { x: 0, y: 0 });
      radius = spacing;
      continue;
    }
    radius = Math.max(radius + 3 * spacing, (k * spacing) / (2 * Math.PI));
    ring.forEach((node, i) => {
      const a = (2 * Math.PI * i) / k - Math.PI / 2;
      pos.set(node.id(), { x: radius * Math.cos(a), y: radius * Math.sin(a) });
    });
  }
  cy.batch(() => cy.nodes().positions((node) => pos.get(node.id())));
  // Fit by hand: cy.fit() would measure every label first.
  const pad = 20;
  const r = radius + spacing;
  const zoom = Math.max(cy.minZoom(), Math.min(1.2, (cy.width() - 2 * pad) / (2 * r), (cy.height() - 2 * pad) / (2 * r)));
  cy.viewport({ zoom, pan: { x: cy.width() / 2, y: cy.height() / 2 } });
}

// distances maps each node to its number of hops from the nearest expanded
// entity or path end (breadth first over the edges on screen); nodes not
// reached are left out.
function distances() {
  const dist = new Map();
  let frontier = cy.nodes('.expanded, .path-end');
  if (frontier.empty()) frontier = cy.collection().add(cy.nodes().max((n) => n.degree()).ele);
  frontier.forEach((n) => dist.set(n.id(), 0));
  for (let d = 1; frontier.nonempty(); d++) {
    const next = frontier.neighborhood('node').filter((n) => !dist.has(n.id()));
    next.forEach((n) => dist.set(n.id(), d));
    frontier = next;
  }
  return dist;
}

// countLegend shows how many nodes of each kind and edges of each type are
// on screen next to the filters.
function countLegend() {
  const count = (sel, key) => {
    const m = {};
    cy.$(sel).forEach((el) => { m[el.data(key)] = (m[el.data(key)] || 0) + 1; });
    return m;
  };
  const kc = count('node', 'kind');
  const tc = count('edge', 'type');
  for (const el of document.querySelectorAll('#kinds .count')) el.textContent = kc[el.dataset.key] || '';
  for (const el of document.querySelectorAll('#types .count')) el.textContent = tc[el.dataset.key] || '';
}

// ------------------------------------------------------------------ actions

function expand(id) {
  if (state.expanded.includes(id)) return;
  state.expanded.push(id);
  refresh();
}

function collapse(id) {
  state.expanded = state.expanded.filter((x) => x !== id);
  refresh();
}

// show replaces the view with id's neighbourhood.
function show(id) {
  state.expanded = [id];
  state.selected = nid(id);
  needFit = true;
  cy.elements().remove();
  refresh().then(() => select(nid(id)));
}

let detailSeq = 0;

async function select(key) {
  state.selected = key;
  cy.$(':selected').unselect();
  const panel = $('#details');
  const seq = ++detailSeq;
  if (!key) {
    panel.replaceChildren(h('p', { class: 'help' }, 'Select a node or an edge to see its attributes, aliases and sources.'));
    return;
  }
  const el = cy.getElementById(key);
  if (el.nonempty()) el.select();
  if (key.startsWith('n:')) {
    const id = key.slice(2);
    panel.replaceChildren(h('h2', null, el.nonempty() ? el.data('name') : id), h('p', { class: 'muted' }, 'Loading…'));
    try {
      const d = await gql(Q_ENTITY, { id });
      if (seq !== detailSeq) return;
      if (!d.entity) {
        panel.replaceChildren(h('p', null, `No entity ${id}.`));
        return;
      }
      panel.replaceChildren(...entityPanel(d.entity));
    } catch (err) {
      if (seq === detailSeq) panel.replaceChildren(h('p', null, err.message));
    }
  } else {
    const r = el.data();
    panel.replaceChildren(...relationPanel(r, null));
    try {
      const d = await gql(Q_RELATION, { from: r.fromId, types: [r.type] });
      if (seq !== detailSeq) return;
      const full = d.entity?.relations.nodes.find((x) => x.id === r.relation);
      panel.replaceChildren(...relationPanel(r, full || null));
    } catch (err) {
      if (seq === detailSeq) showMessage(err.message);
    }
  }
}

function nameOf(id) {
  const n = cy.getElementById(nid(id));
  return n.nonempty() ? n.data('name') : id;
}

function focusNode(id) {
  const n = cy.getElementById(nid(id));
  if (n.nonempty()) cy.animate({ center: { eles: n } }, { duration: 200 });
  select(nid(id));
}

function entityPanel(e) {
  const out = [];
  out.push(h('div', { class: 'kind' }, swatch(e.kind), pretty(e.kind), e.country ? ` · ${e.country}` : ''));
  out.push(h('h2', null, e.name));
  out.push(h('div', { class: 'muted' }, 'id ', h('code', null, e.id)));
  const expanded = state.expanded.includes(e.id);
  out.push(h('div', { class: 'actions' },
    expanded
      ? h('button', { type: 'button', onclick: () => collapse(e.id) }, 'Collapse')
      : h('button', { type: 'button', onclick: () => expand(e.id) }, 'Expand'),
    h('button', { type: 'button', onclick: () => show(e.id) }, 'Only this'),
    h('button', { type: 'button', onclick: () => setPathEnd('from', e) }, 'Path from'),
    h('button', { type: 'button', onclick: () => setPathEnd('to', e) }, 'Path to')));
  if (e.description) out.push(h('p', { class: 'desc' }, e.description));
  if (e.aliases.length) {
    out.push(h('h3', null, 'Aliases'), h('ul', null, e.aliases.map((a) => h('li', null, a))));
  }
  if (e.attributes.length) {
    out.push(h('h3', null, 'Attributes'));
    out.push(h('dl', { class: 'attributes' }, e.attributes.flatMap((a) => [
      h('dt', { title: a.name }, pretty(a.name)),
      h('dd', null,
        displayValue(a), a.unit ? ` ${a.unit}` : '',
        a.asOf ? h('span', { class: 'muted' }, ` (${a.asOf})`) : null,
        a.status && a.status !== 'CONFIRMED' ? h('span', { class: 'muted' }, ` ${pretty(a.status)}`) : null,
        a.sources.map((s, i) => {
          const url = safeURL(s.url);
          return url ? [' ', h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', title: s.title }, `[${i + 1}]`)] : null;
        })),
    ])));
  }
  if (e.externalIds.length) {
    out.push(h('h3', null, 'External ids'));
    out.push(h('dl', null, e.externalIds.flatMap((x) => [h('dt', null, x.scheme), h('dd', null, x.value)])));
  }
  if (e.sources.length) {
    out.push(h('h3', null, 'Sources'), h('ul', null, e.sources.map(sourceItem)));
  }
  const node = cy.getElementById(nid(e.id));
  if (node.nonempty()) {
    const edges = node.connectedEdges();
    out.push(h('h3', null, `Relations on screen (${edges.length})`));
    out.push(h('ul', { class: 'rels' }, edges.slice(0, 100).map((ed) => {
      const d = ed.data();
      const outgoing = d.fromId === e.id;
      const other = outgoing ? d.toId : d.fromId;
      return h('li', null,
        h('span', { class: 'muted' }, outgoing ? `${pretty(d.type)} → ` : `← ${pretty(d.type)} `),
        h('button', { type: 'button', onclick: () => focusNode(other) }, nameOf(other)));
    })));
    if (edges.length > 100) out.push(h('p', { class: 'muted' }, `… and ${edges.length - 100} more`));
  }
  return out;
}

function relationPanel(r, full) {
  const out = [];
  out.push(h('div', { class: 'kind' }, 'relation · ', pretty(r.status)));
  out.push(h('h2', null, pretty(r.type)));
  out.push(h('p', null,
    h('button', { type: 'button', class: 'mini', onclick: () => focusNode(r.fromId) }, nameOf(r.fromId)),
    ' → ',
    h('button', { type: 'button', class: 'mini', onclick: () => focusNode(r.toId) }, nameOf(r.toId))));
  const facts = [
    ['id', r.relation], ['category', r.category], ['product', r.product],
    ['valid from', validFromText(r)], ['valid to', r.validTo],
  ].filter(([, v]) => v);
  for (const p of full?.properties || []) facts.push([pretty(p.name), displayValue(p) + (p.unit ? ` ${p.unit}` : '')]);
  out.push(h('dl', { class: 'attributes' }, facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
  if (full?.note) out.push(h('p', { class: 'desc' }, full.note));
  if (full?.sources.length) out.push(h('h3', null, 'Sources'), h('ul', null, full.sources.map(sourceItem)));
  return out;
}

function setPathEnd(which, e) {
  state[which] = { id: e.id, name: e.name };
  const input = which === 'from' ? $('#q-a') : $('#q-b');
  input.value = e.name;
  if (state.mode !== 'path') setMode('path');
  else if (state.from && state.to) startPath();
}

function startPath() {
  if (!(state.from && state.to)) return;
  state.expanded = [];
  needFit = true;
  cy.elements().remove();
  refresh();
}

function setMode(mode) {
  state.mode = mode;
  for (const r of document.querySelectorAll('input[name=mode]')) r.checked = r.value === mode;
  for (const el of document.querySelectorAll('.path-only')) el.hidden = mode !== 'path';
  for (const el of document.querySelectorAll('[data-modes]')) el.hidden = !el.dataset.modes.split(' ').includes(mode);
  const a = $('#q-a');
  a.placeholder = mode === 'path' ? 'Path from entity A (press /)' : 'Search entities (press /)';
  if (ANALYSIS_MODES.includes(mode)) {
    a.placeholder = ANALYSIS_PLACEHOLDER[mode];
    state.focus ||= state.from || (state.expanded.length ? { id: state.expanded[0], name: nameOf(state.expanded[0]) } : null);
    if (state.focus) a.value = state.focus.name;
    needFit = true;
    cy.elements().remove();
    refresh();
  } else if (mode === 'path') {
    if (state.from) a.value = state.from.name;
    if (state.from && state.to) startPath();
    else refresh();
  } else {
    if (!state.expanded.length && state.from) state.expanded = [state.from.id];
    refresh();
  }
}

// ------------------------------------------------------------- autocomplete

// autocomplete turns input and its listbox into a combobox: typing searches,
// ArrowDown/ArrowUp move through the suggestions, Enter picks the active
// one (or the first), Escape closes.
function autocomplete(input, list, onPick) {
  let items = [];
  let active = -1;
  let timer;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const drawList = () => {
    if (!items.length) {
      list.replaceChildren(h('li', { class: 'none', role: 'option', 'aria-disabled': 'true' }, 'No match'));
    } else {
      list.replaceChildren(...items.map((it, i) => {
        const li = h('li', {
          id: `${list.id}-${i}`, role: 'option', 'aria-selected': i === active ? 'true' : 'false', 'data-id': it.id,
        }, swatch(it.kind), h('span', { class: 'name' }, it.name),
        h('span', { class: 'meta' }, `${pretty(it.kind)}${it.country ? ' · ' + it.country : ''} · ${it.id}`));
        li.addEventListener('mousedown', (ev) => {
          ev.preventDefault(); // keep the focus in the input
          pick(i);
        });
        return li;
      }));
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (active >= 0) {
      input.setAttribute('aria-activedescendant', `${list.id}-${active}`);
      list.children[active]?.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };
  const pick = (i) => {
    const it = items[i];
    if (!it) return;
    input.value = it.name;
    close();
    onPick(it);
  };
  const run = async () => {
    const text = input.value.trim();
    const my = ++seq;
    if (!text) {
      items = [];
      close();
      return;
    }
    try {
      const d = await gql(Q_SEARCH, { text });
      if (my !== seq) return;
      items = d.search;
      active = -1;
      drawList();
    } catch (err) {
      if (my === seq) showMessage(err.message);
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  input.addEventListener('keydown', (ev) => {
    const open = !list.hidden && items.length > 0;
    switch (ev.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        ev.preventDefault();
        if (!open) {
          if (items.length) drawList();
          return;
        }
        active = ev.key === 'ArrowDown'
          ? (active + 1) % items.length
          : (active <= 0 ? items.length - 1 : active - 1);
        drawList();
        break;
      case 'Enter':
        if (open) {
          ev.preventDefault();
          pick(active >= 0 ? active : 0);
        }
        break;
      case 'Escape':
        if (!list.hidden) {
          ev.preventDefault();
          close();
        }
        break;
      case 'Tab':
        close();
        break;
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
  input.addEventListener('focus', () => {
    if (items.length && input.value.trim()) drawList();
  });
}

// ------------------------------------------------------------------ filters

function buildChecks(container, names, enabled, key, describe) {
  container.replaceChildren(...names.map((name) => {
    const box = h('input', { type: 'checkbox', value: name });
    box.checked = enabled.has(name);
    box.addEventListener('change', () => {
      if (box.checked) enabled.add(name);
      else enabled.delete(name);
      scheduleRefresh();
    });
    const extra = key === 'kinds' ? swatch(name) : edgeSwatch(name);
    return h('label', { title: describe(name) || null }, box, extra, pretty(name), h('span', { class: 'count', 'data-key': name }));
  }));
}

function edgeSwatch(type) {
  const s = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  s.style.background = TYPE_COLOR[type] || '#999';
  s.style.height = '4px';
  return s;
}

let refreshTimer;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh(), 200);
}

function setAll(which, on) {
  const set = state[which];
  const all = which === 'types' ? state.allTypes : state.allKinds;
  set.clear();
  if (on) all.forEach((x) => set.add(x));
  for (const box of document.querySelectorAll(`#${which} input`)) box.checked = on;
  scheduleRefresh();
}

function syncAsOfLabel() {
  const v = Number($('#asof').value);
  state.asOf = v >= YEAR_ALL ? null : v;
  const text = state.asOf ? String(state.asOf) : 'all dates';
  $('#asof-label').textContent = text;
  $('#asof').setAttribute('aria-valuetext', text);
}

// ----------------------------------------------------------- URL and export

function syncURL() {
  const p = new URLSearchParams();
  if (state.mode === 'path') {
    p.set('mode', 'path');
    if (state.from) p.set('from', state.from.id);
    if (state.to) p.set('to', state.to.id);
    if (state.maxHops !== 4) p.set('maxHops', state.maxHops);
  }
  if (ANALYSIS_MODES.includes(state.mode)) {
    p.set('mode', state.mode);
    if (state.focus) p.set('entity', state.focus.id);
    if (state.mode === 'diff') {
      p.set('from', state.diffFrom);
      p.set('to', state.diffTo);
    }
    if (state.mode === 'exposure' && state.maxHops !== 4) p.set('maxHops', state.maxHops);
  }
  for (const id of state.expanded) p.append('seed', id);
  if (state.hops !== 1) p.set('hops', state.hops);
  if (state.limit !== 500) p.set('limit', state.limit);
  if (state.asOf) p.set('asOf', state.asOf);
  const t = typesArg();
  if (t) p.set('types', t.join(','));
  const k = kindsArg();
  if (k) p.set('kinds', k.join(','));
  const q = p.toString();
  history.replaceState(null, '', q ? `?${q}` : location.pathname);
}

// exportSeeds are the expanded entities and, in path mode, the entities on
// the paths shown.
function exportSeeds() {
  const seeds = new Set(state.expanded);
  if (state.mode === 'path') cy.edges('.path').connectedNodes().forEach((n) => seeds.add(n.data('entity')));
  return [...seeds];
}

// exportURL is GET /export for the current seeds and filters: the
// neighbourhood of the expanded entities (hops as shown), and the entities of
// the paths on screen (hops=0 when nothing is expanded).
function exportURL(format) {
  const seeds = exportSeeds();
  if (!seeds.length) return null;
  const p = new URLSearchParams();
  p.set('format', format);
  for (const s of seeds) p.append('seed', s);
  p.set('hops', state.expanded.length ? state.hops : 0);
  p.set('limit', Math.max(state.limit, seeds.length));
  const t = typesArg();
  if (t) p.set('types', t.join(','));
  const k = kindsArg();
  if (k) p.set('kinds', k.join(','));
  if (state.asOf) p.set('as-of', state.asOf);
  return `/export?${p}`;
}

function syncExports() {
  for (const a of document.querySelectorAll('#exports a')) {
    const url = exportURL(a.dataset.format);
    if (url) {
      a.href = url;
      a.removeAttribute('aria-disabled');
      a.removeAttribute('tabindex');
    } else {
      a.removeAttribute('href');
      a.setAttribute('aria-disabled', 'true');
    }
  }
  $('#png').disabled = cy.elements().empty() && !state.expanded.length;
}

function exportPNG() {
  if (cy.elements().empty()) return;
  const blob = cy.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff', maxWidth: 6000, maxHeight: 6000 });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: 'chipgraph.png' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ----------------------------------------------------------- analyst views
//
// Exposure (the sanctions reaching an entity through its supply chain, the
// paths highlighted), timeline (an entity's dated events in order), diff
// (relations added and ended between two dates, coloured), and a table of
// whatever the view shows, downloadable as CSV.

const ANALYSIS_MODES = ['exposure', 'timeline', 'diff'];
const ANALYSIS_PLACEHOLDER = {
  exposure: 'Exposure of entity… (press /)',
  timeline: 'Timeline of entity… (press /)',
  diff: 'Diff around entity (or whole graph)… (press /)',
};
// Classes draw() may give edges and nodes (marks).
const MARK_CLASSES = ['sanction-hit', 'exposed', 'added', 'ended', 'came-and-went'];

function analysisStyles() {
  return [
    { selector: 'node.sanction-hit', style: { 'border-width': 4, 'border-color': '#b2182b', width: 36, height: 36 } },
    { selector: 'edge.exposed', style: { width: 4, 'line-color': '#b2182b', 'target-arrow-color': '#b2182b', opacity: 1 } },
    { selector: 'edge.added', style: { width: 4, 'line-color': '#1a7f37', 'target-arrow-color': '#1a7f37', opacity: 1 } },
    { selector: 'edge.ended', style: { width: 4, 'line-color': '#cf222e', 'target-arrow-color': '#cf222e', opacity: 1 } },
    // Added and ended between the two dates: held for a while in between.
    { selector: 'edge.came-and-went', style: { width: 4, 'line-color': '#bc4c00', 'target-arrow-color': '#bc4c00', opacity: 1 } },
  ];
}

const Q_EXPOSURE = `query Exposure($id: ID!, $asOf: Date, $maxHops: Int, $types: [RelationType!]) {
  exposure(id: $id, asOf: $asOf, maxHops: $maxHops, types: $types, first: 200) {
    sanction { ${NODE_FIELDS} }
    hops status
    path { nodes { ${NODE_FIELDS} } relations { ${REL_FIELDS} } }
  }
}`;
const Q_TIMELINE = `query Timeline($id: ID!) {
  entity(id: $id) { ${NODE_FIELDS} }
  timeline(id: $id, first: 300) {
    date kind description
    relation { ${REL_FIELDS} }
    entity { ${NODE_FIELDS} }
    sources { key title url }
  }
}`;
const Q_DIFF = `query Diff($from: Date!, $to: Date!, $ids: [ID!], $hops: Int, $types: [RelationType!]) {
  diff(from: $from, to: $to, ids: $ids, hops: $hops, types: $types, first: 300) {
    addedCount endedCount changedCount truncated
    added { ${REL_FIELDS} from { ${NODE_FIELDS} } to { ${NODE_FIELDS} } }
    ended { ${REL_FIELDS} from { ${NODE_FIELDS} } to { ${NODE_FIELDS} } }
    changedAttributes { entity { id name } name before { value unit asOf } after { value unit asOf status } }
  }
}`;

// entityRef looks an entity's name up: {id, name}, or null.
async function entityRef(id) {
  if (!id) return null;
  try {
    const d = await gql('query($id: ID!) { entity(id: $id) { id name } }', { id });
    return d.entity;
  } catch {
    return null;
  }
}

// validDate is a Date argument as the API takes it.
const validDate = (s) => /^\d{4}(-\d{2}(-\d{2})?)?$/.test(s);

// refreshAnalysis fetches and draws the exposure, timeline or diff view.
async function refreshAnalysis(gen, relayout) {
  const status = $('#status');
  const nodes = new Map();
  const rels = new Map();
  const marks = { edges: new Map(), nodes: new Map() };
  const focus = state.focus;
  let table = null;
  let summary = '';
  try {
    if (state.mode === 'exposure' && focus) {
      const d = await gql(Q_EXPOSURE, {
        id: focus.id, asOf: state.asOf ? String(state.asOf) : null, maxHops: state.maxHops, types: exposureTypes(),
      });
      table = { title: `Exposure of ${focus.name}`, columns: ['sanction', 'name', 'hops', 'status', 'path'], rows: [] };
      for (const x of d.exposure) {
        for (const n of x.path.nodes) nodes.set(n.id, n);
        for (const r of x.path.relations) {
          rels.set(r.id, r);
          marks.edges.set(r.id, 'exposed');
        }
        marks.nodes.set(x.sanction.id, 'sanction-hit');
        table.rows.push([x.sanction.id, x.sanction.name, x.hops, x.status, x.path.nodes.map((n) => n.id).join(' > ')]);
      }
      if (!d.exposure.length) nodes.set(focus.id, { id: focus.id, name: focus.name, kind: '' });
      summary = `${d.exposure.length} sanction${d.exposure.length === 1 ? '' : 's'} reach ${focus.name}`;
    } else if (state.mode === 'timeline' && focus) {
      const d = await gql(Q_TIMELINE, { id: focus.id });
      if (d.entity) nodes.set(d.entity.id, d.entity);
      table = { title: `Timeline of ${focus.name}`, columns: ['date', 'kind', 'description', 'relation', 'sources'], rows: [] };
      for (const ev of d.timeline) {
        if (ev.entity) nodes.set(ev.entity.id, ev.entity);
        if (ev.relation) rels.set(ev.relation.id, ev.relation);
        table.rows.push([ev.date, ev.kind, ev.description, ev.relation?.id || '', ev.sources.map((x) => x.key).join(' ')]);
      }
      summary = `${d.timeline.length} event${d.timeline.length === 1 ? '' : 's'}`;
    } else if (state.mode === 'diff') {
      if (!validDate(state.diffFrom) || !validDate(state.diffTo)) throw new Error('Give both dates as YYYY, YYYY-MM or YYYY-MM-DD.');
      const d = (await gql(Q_DIFF, {
        from: state.diffFrom, to: state.diffTo, ids: focus ? [focus.id] : null, hops: state.hops, types: typesArg(),
      })).diff;
      table = {
        title: `Changes ${state.diffFrom} → ${state.diffTo}${focus ? ` around ${focus.name}` : ''}`,
        columns: ['change', 'date', 'relation', 'type', 'from', 'to', 'status'],
        rows: [],
      };
      if (focus) nodes.set(focus.id, { id: focus.id, name: focus.name, kind: '' });
      for (const [list, cls] of [[d.added, 'added'], [d.ended, 'ended']]) {
        for (const r of list) {
          nodes.set(r.from.id, r.from);
          nodes.set(r.to.id, r.to);
          rels.set(r.id, r);
          marks.edges.set(r.id, marks.edges.has(r.id) && marks.edges.get(r.id) !== cls ? 'came-and-went' : cls);
          table.rows.push([cls, cls === 'added' ? r.validFrom : r.validTo, r.id, r.type, r.fromId, r.toId, r.status]);
        }
      }
      for (const c of d.changedAttributes) {
        const before = c.before ? `${c.before.value}${c.before.unit ? ' ' + c.before.unit : ''} (${c.before.asOf})` : '';
        table.rows.push(['attribute', c.after.asOf, c.name, '', c.entity.id, `${before} → ${c.after.value}${c.after.unit ? ' ' + c.after.unit : ''}`, c.after.status || '']);
      }
      summary = `${d.addedCount} added, ${d.endedCount} ended, ${d.changedCount} attribute changes${d.truncated ? ' (neighbourhood truncated)' : ''}`;
    }
  } catch (err) {
    if (gen === generation) {
      status.dataset.busy = 'false';
      showMessage(err.message);
    }
    return;
  }
  if (gen !== generation) return;
  state.summary = summary;
  state.table = table;
  // Nodes of unknown kind (the focus before it is fetched) keep the
  // fallback style; they are complete once any relation names them.
  draw(nodes, rels, new Set(), relayout, marks);
  if (state.mode === 'timeline') renderTimeline();
  status.dataset.busy = 'false';
}

// exposureTypes: the exposure follows only supply-chain types; the type
// filter narrows them.
function exposureTypes() {
  const supply = ['DESIGNS', 'FABRICATES', 'SUPPLIES', 'USES_COMPONENT', 'SUBSIDIARY_OF', 'CUSTOMER_OF', 'RUNS_ON'];
  const t = typesArg();
  if (!t) return null;
  const kept = t.filter((x) => supply.includes(x));
  return kept.length ? kept : null;
}

// relationsTable is the table of a neighbourhood or path view.
function relationsTable(title, nodes, rels) {
  const name = (id) => nodes.get(id)?.name || id;
  return {
    title,
    columns: ['relation', 'type', 'from', 'to', 'status', 'validFrom', 'validTo', 'category', 'product'],
    rows: [...rels.values()].map((r) => [r.id, r.type, name(r.fromId), name(r.toId), r.status, r.validFrom || '', r.validTo || '', r.category || '', r.product || '']),
  };
}

// tableCSV writes a table as CSV (RFC 4180: fields with quotes, commas or
// line breaks quoted, quotes doubled).
function tableCSV(t) {
  if (!t) return '';
  const cell = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

let tableOpen = false;

// syncTable redraws the table panel when it is open.
function syncTable() {
  const t = state.table;
  $('#table-toggle').disabled = !t;
  $('#table-toggle').setAttribute('aria-pressed', String(tableOpen));
  const panel = $('#table-view');
  panel.hidden = !(tableOpen && t);
  if (panel.hidden) return;
  $('#table-title').textContent = `${t.title} · ${t.rows.length} row${t.rows.length === 1 ? '' : 's'}`;
  const shown = t.rows.slice(0, 2000);
  $('#table').replaceChildren(
    h('thead', null, h('tr', null, t.columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, shown.map((row) => h('tr', null, row.map((v) => h('td', null, v === null || v === undefined ? '' : String(v)))))),
  );
  if (t.rows.length > shown.length) $('#table-title').append(` (first ${shown.length} shown; the CSV has all)`);
}

function downloadCSV() {
  const t = state.table;
  if (!t) return;
  const url = URL.createObjectURL(new Blob([tableCSV(t)], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: url, download: `chipgraph-${state.mode}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// renderTimeline shows the timeline's events, in order, in the table
// panel, which the timeline view opens.
function renderTimeline() {
  tableOpen = true;
  syncTable();
}

// startAnalysis wires the controls of the analyst views and reads their
// state from the URL.
function startAnalysis(q) {
  if (validDate(q.get('from') || '')) state.diffFrom = q.get('from');
  if (validDate(q.get('to') || '')) state.diffTo = q.get('to');
  for (const [id, key] of [['#diff-from', 'diffFrom'], ['#diff-to', 'diffTo']]) {
    const input = $(id);
    input.value = state[key];
    input.addEventListener('change', () => {
      const v = input.value.trim();
      input.setAttribute('aria-invalid', String(!validDate(v)));
      if (!validDate(v)) {
        showMessage(`${v || '(empty)'} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD.`);
        return;
      }
      state[key] = v;
      if (state.mode === 'diff') refresh({ relayout: true });
    });
  }
  $('#table-toggle').addEventListener('click', () => {
    tableOpen = !tableOpen;
    syncTable();
  });
  $('#table-close').addEventListener('click', () => {
    tableOpen = false;
    syncTable();
  });
  $('#table-csv').addEventListener('click', downloadCSV);
}

// -------------------------------------------------------------------- start

function isEditable(el) {
  return el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

async function start() {
  const exports = $('#exports');
  for (const [format, label] of EXPORT_FORMATS) {
    exports.append(h('a', { class: 'button', 'data-format': format, 'aria-disabled': 'true', rel: 'nofollow' }, label));
  }

  // Which kinds and relation types exist: the schema's enums.
  let meta;
  try {
    meta = await gql(Q_META);
  } catch (err) {
    showMessage(`Cannot read the schema: ${err.message}`);
    return;
  }
  // In the order of the style tables (the schema's enums come in any
  // order), then any the tables do not know.
  const ordered = (names, table) => {
    const known = Object.keys(table);
    const rank = (n) => (known.includes(n) ? known.indexOf(n) : known.length);
    return names.slice().sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  };
  state.allKinds = ordered(meta.kinds.enumValues.map((v) => v.name), KIND_STYLE);
  state.allTypes = ordered(meta.types.enumValues.map((v) => v.name), TYPE_COLOR);
  const typeDocs = Object.fromEntries(meta.types.enumValues.map((v) => [v.name, v.description]));

  // The state in the URL, if any.
  const q = new URLSearchParams(location.search);
  const list = (k) => q.getAll(k).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const num = (k, lo, hi, def) => {
    const v = parseInt(q.get(k), 10);
    return Number.isFinite(v) && v >= lo && v <= hi ? v : def;
  };
  const ty = list('types').filter((t) => state.allTypes.includes(t));
  const ki = list('kinds').filter((t) => state.allKinds.includes(t));
  state.types = new Set(ty.length ? ty : state.allTypes);
  state.kinds = new Set(ki.length ? ki : state.allKinds);
  state.expanded = [...new Set(list('seed'))];
  state.hops = num('hops', 1, 6, 1);
  state.limit = num('limit', 1, 2000, 500);
  state.maxHops = num('maxHops', 1, 6, 4);
  const asOf = num('asOf', YEAR_MIN, YEAR_ALL - 1, null);

  buildChecks($('#types'), state.allTypes, state.types, 'types', (t) => typeDocs[t]);
  buildChecks($('#kinds'), state.allKinds, state.kinds, 'kinds', () => null);

  const slider = $('#asof');
  slider.min = YEAR_MIN;
  slider.max = YEAR_ALL;
  slider.value = asOf || YEAR_ALL;
  syncAsOfLabel();
  slider.addEventListener('input', () => {
    syncAsOfLabel();
    scheduleRefresh();
  });
  slider.addEventListener('change', () => {
    syncAsOfLabel();
    scheduleRefresh();
  });

  const hopsSel = $('#hops');
  if (![...hopsSel.options].some((o) => o.value === String(state.hops))) hopsSel.append(h('option', null, state.hops));
  hopsSel.value = state.hops;
  hopsSel.addEventListener('change', () => { state.hops = Number(hopsSel.value); refresh({ relayout: true }); });
  const limitSel = $('#limit');
  if (![...limitSel.options].some((o) => o.value === String(state.limit))) limitSel.append(h('option', null, state.limit));
  limitSel.value = state.limit;
  limitSel.addEventListener('change', () => { state.limit = Number(limitSel.value); refresh(); });
  const maxHopsSel = $('#max-hops');
  maxHopsSel.value = state.maxHops;
  maxHopsSel.addEventListener('change', () => { state.maxHops = Number(maxHopsSel.value); refresh({ relayout: true }); });
  hopsSel.addEventListener('change', () => { if (state.mode === 'diff') refresh({ relayout: true }); });

  for (const b of document.querySelectorAll('[data-all]')) b.addEventListener('click', () => setAll(b.dataset.all, true));
  for (const b of document.querySelectorAll('[data-none]')) b.addEventListener('click', () => setAll(b.dataset.none, false));
  $('#fit').addEventListener('click', () => cy.fit(undefined, 30));
  $('#relayout').addEventListener('click', () => runLayout(true));
  $('#clear').addEventListener('click', () => {
    state.expanded = [];
    state.focus = null;
    state.from = state.to = null;
    $('#q-a').value = '';
    $('#q-b').value = '';
    cy.elements().remove();
    select(null);
    refresh();
  });
  $('#png').addEventListener('click', exportPNG);
  for (const r of document.querySelectorAll('input[name=mode]')) {
    r.addEventListener('change', () => { if (r.checked) setMode(r.value); });
  }

  autocomplete($('#q-a'), $('#q-a-list'), (it) => {
    if (ANALYSIS_MODES.includes(state.mode)) {
      state.focus = { id: it.id, name: it.name };
      needFit = true;
      cy.elements().remove();
      refresh();
    } else if (state.mode === 'path') {
      state.from = { id: it.id, name: it.name };
      if (state.to) startPath();
      else $('#q-b').focus();
    } else {
      show(it.id);
    }
  });
  autocomplete($('#q-b'), $('#q-b-list'), (it) => {
    state.to = { id: it.id, name: it.name };
    if (state.from) startPath();
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !isEditable(ev.target)) {
      ev.preventDefault();
      $('#q-a').focus();
      $('#q-a').select();
    }
  });

  startAnalysis(q);
  // Path mode from the URL: look the ends' names up.
  if (ANALYSIS_MODES.includes(q.get('mode'))) {
    state.focus = await entityRef(q.get('entity'));
    setMode(q.get('mode'));
  } else if (q.get('mode') === 'path') {
    const ends = await Promise.all(['from', 'to'].map(async (k) => {
      const id = q.get(k);
      if (!id) return null;
      try {
        const d = await gql('query($id: ID!) { entity(id: $id) { id name } }', { id });
        return d.entity;
      } catch {
        return null;
      }
    }));
    state.from = ends[0];
    state.to = ends[1];
    if (state.to) $('#q-b').value = state.to.name;
    setMode('path');
  } else {
    refresh();
  }
}

start();
