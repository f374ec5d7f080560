// graphql-js 16 and graphql-http as the reference for chipgraph's
// conformance tests (conformance_test.go at the repository root).
//
//	node conformance.mjs COMMAND < input.json > output.json
//
// Commands (input and output are JSON):
//
//	introspection-queries   -> [{name, options, query}]: getIntrospectionQuery for every
//	                           combination of its options (and the default).
//	build-client-schema     [{name, response}] -> [{name, ok, error}]: buildClientSchema on each
//	                           response's data.
//	prepare                 {introspection, authHeader} -> [case]: the generated and hand-written
//	                           documents, each with graphql-js's verdict (parse, validate, operation
//	                           and variable coercion) and, when valid, its augmented copy (below).
//	expect                  {introspection, cases: [{name, query, variables, operationName,
//	                           augmentedResponse}]} -> [{name, data, errors}]: the response graphql-js
//	                           gives for each document when its resolvers read chipgraph's answer to
//	                           the augmented copy.
//	audit URL               -> [{id, name, status, reason}]: graphql-http's auditServer.
//
// The data oracle. graphql-js cannot resolve chipgraph's graph, so the Go
// test sends chipgraph an augmented copy of each valid document: the same
// document with `cgTypename__x: __typename` added to every selection set.
// graphql-js then executes the original document over the client schema with
// a field resolver that returns source[responseKey] from that answer (and
// re-throws the errors chipgraph reported at that path) and a type resolver
// that reads cgTypename__x. What graphql-js makes of it is the response the
// specification asks for (key order, @skip/@include, fragment merging, null
// propagation, introspection from the schema chipgraph described), which the Go
// test compares with chipgraph's answer to the original document.
import * as G from 'graphql';
import { collectSubfields } from 'graphql/execution/collectFields.js';
import { auditServer } from 'graphql-http';

const TYPENAME_ALIAS = 'cgTypename__x';

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------- introspection

const INTROSPECTION_OPTIONS = [
  'descriptions',
  'specifiedByUrl',
  'directiveIsRepeatable',
  'schemaDescription',
  'inputValueDeprecation',
  'oneOf',
];

function introspectionQueries() {
  const out = [{ name: 'default', options: {}, query: G.getIntrospectionQuery() }];
  for (let mask = 0; mask < 1 << INTROSPECTION_OPTIONS.length; mask++) {
    const options = {};
    INTROSPECTION_OPTIONS.forEach((o, i) => (options[o] = Boolean(mask & (1 << i))));
    const on = INTROSPECTION_OPTIONS.filter((o) => options[o]);
    out.push({ name: on.length ? on.join('+') : 'none', options, query: G.getIntrospectionQuery(options) });
  }
  return out;
}

function buildClientSchemas(input) {
  return input.map(({ name, response }) => {
    try {
      if (!response || typeof response !== 'object' || !response.data) {
        throw new Error('the response has no data');
      }
      const schema = G.buildClientSchema(response.data);
      const errs = G.validateSchema(schema);
      if (errs.length) throw new Error(errs.map((e) => e.message).join('; '));
      return { name, ok: true };
    } catch (e) {
      return { name, ok: false, error: String(e.message ?? e) };
    }
  });
}

// ---------------------------------------------------------------- the client schema

// clientSchema builds the schema from chipgraph's introspection. A custom
// scalar in a client schema accepts any input, so Date gets the input
// coercion its description promises ("YYYY, YYYY-MM or YYYY-MM-DD. Anything
// else is rejected. On input a bare 4-digit year (2024) is accepted too."):
// otherwise a document chipgraph rightly rejects for a bad date would count
// as a disagreement.
function clientSchema(introspection) {
  const schema = G.buildClientSchema(introspection);
  const date = schema.getType('Date');
  if (date) {
    const check = (v) => {
      if (Number.isInteger(v) && v >= 1000 && v <= 9999) return String(v);
      const m = typeof v === 'string' && /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(v);
      if (m) {
        const [, y, mo, d] = m;
        const monthOK = mo === undefined || (+mo >= 1 && +mo <= 12);
        const days = mo === undefined ? 31 : new Date(Date.UTC(+y, +mo, 0)).getUTCDate();
        if (monthOK && (d === undefined || (+d >= 1 && +d <= days))) return v;
      }
      throw new G.GraphQLError(`Date cannot represent ${JSON.stringify(v)}: a Date is YYYY, YYYY-MM or YYYY-MM-DD`);
    };
    date.parseValue = check;
    date.parseLiteral = (ast, variables) => check(G.valueFromASTUntyped(ast, variables));
  }
  return schema;
}

// ---------------------------------------------------------------- verdicts

// verdict is graphql-js's accept/reject of a request: parse, validate with
// the specified rules, then execute's own checks (operation selection,
// variable coercion). Execution with null-returning resolvers tells the last
// part: a request error leaves no data entry.
function verdict(schema, c) {
  let doc;
  try {
    doc = G.parse(c.query);
  } catch (e) {
    return { valid: false, errors: [e.message] };
  }
  const ve = G.validate(schema, doc);
  if (ve.length) return { valid: false, errors: ve.map((e) => e.message) };
  // graphql-js 16 answers an operation whose root type the schema lacks
  // (a subscription here) with data: null; it is a request error (graphql-js
  // 17 validates it: KnownOperationTypesRule).
  for (const d of doc.definitions) {
    if (d.kind === G.Kind.OPERATION_DEFINITION && !schema.getRootType(d.operation)) {
      return { valid: false, errors: [`the schema has no ${d.operation} type`] };
    }
  }
  const r = G.execute({
    schema,
    document: doc,
    rootValue: {},
    variableValues: c.variables,
    operationName: c.operationName,
    fieldResolver: () => null,
    typeResolver: (v, ctx, info, t) => schema.getPossibleTypes(t)[0].name,
  });
  if (!('data' in r)) return { valid: false, errors: r.errors.map((e) => e.message) };
  return { valid: true, errors: [], augmented: G.print(augment(doc)) };
}

function augment(doc) {
  const field = {
    kind: G.Kind.FIELD,
    alias: { kind: G.Kind.NAME, value: TYPENAME_ALIAS },
    name: { kind: G.Kind.NAME, value: '__typename' },
  };
  return G.visit(doc, {
    SelectionSet: { leave: (node) => ({ ...node, selections: [...node.selections, field] }) },
  });
}

// ---------------------------------------------------------------- the data oracle

function expectResponse(schema, c) {
  const aug = c.augmentedResponse ?? {};
  const errs = new Map();
  const errPaths = [];
  for (const e of aug.errors ?? []) {
    if (Array.isArray(e.path)) {
      errs.set(JSON.stringify(e.path), e.message);
      errPaths.push(e.path);
    }
  }
  const prefixOf = (p, ep) => ep.length > p.length && p.every((k, i) => ep[i] === k);
  const below = (p) => errPaths.some((ep) => prefixOf(p, ep));

  // A stub stands for an object chipgraph nulled because an error below it
  // propagated up: graphql-js must walk down to that error and propagate it
  // itself. Its other fields get fillers, which the propagation discards.
  const STUB = Symbol('stub');
  const stub = (path) => ({ [STUB]: path });
  const filler = (type, path) => {
    if (!G.isNonNullType(type)) return null;
    const t = type.ofType;
    if (G.isListType(t)) return [];
    if (G.isCompositeType(t)) return stub(path);
    if (G.isEnumType(t)) return t.getValues()[0].name;
    switch (t.name) {
      case 'Int':
      case 'Float':
        return 0;
      case 'Boolean':
        return false;
      default:
        return '';
    }
  };
  const stubFor = (type, path) => {
    const t = G.getNullableType(type);
    if (G.isListType(t)) {
      let n = 0;
      for (const ep of errPaths) {
        if (prefixOf(path, ep) && typeof ep[path.length] === 'number') n = Math.max(n, ep[path.length] + 1);
      }
      return Array.from({ length: n }, (_, i) =>
        below([...path, i]) ? stubFor(t.ofType, [...path, i]) : filler(t.ofType, [...path, i]),
      );
    }
    return stub(path);
  };

  const document = G.parse(c.query);
  const rootValue = aug.data ?? (below([]) ? stub([]) : null);
  const r = G.execute({
    schema,
    document,
    rootValue,
    variableValues: c.variables,
    operationName: c.operationName,
    fieldResolver(source, args, ctx, info) {
      const path = G.responsePathAsArray(info.path);
      const key = JSON.stringify(path);
      if (errs.has(key)) throw new G.GraphQLError(errs.get(key));
      const isStub = source[STUB] !== undefined;
      const v = isStub ? undefined : source[info.path.key];
      if ((v === null || v === undefined) && below(path)) return stubFor(info.returnType, path);
      if (isStub) return filler(info.returnType, path);
      return v;
    },
    typeResolver(value, ctx, info, abstractType) {
      const possible = info.schema.getPossibleTypes(abstractType);
      if (value && value[STUB] !== undefined) {
        // The type whose selection reaches the error below the stub.
        const path = value[STUB];
        const ep = errPaths.find((p) => prefixOf(path, p));
        if (ep) {
          for (const t of possible) {
            const fields = collectSubfields(info.schema, info.fragments, info.variableValues, t, info.fieldNodes);
            if (fields.has(ep[path.length])) return t.name;
          }
        }
        return possible[0].name;
      }
      if (value && typeof value[TYPENAME_ALIAS] === 'string') return value[TYPENAME_ALIAS];
      return undefined; // graphql-js reports the missing runtime type as an error
    },
  });
  return {
    name: c.name,
    data: 'data' in r ? JSON.stringify(r.data) : undefined,
    errors: (r.errors ?? []).map((e) => ({ path: e.path ?? null, message: e.message })),
  };
}

// ---------------------------------------------------------------- generation

// mulberry32: a small seeded PRNG, so every run generates the same documents.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(seed) {
    this.next = prng(seed);
  }
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(a) {
    return a[Math.floor(this.next() * a.length)];
  }
  shuffle(a) {
    const b = [...a];
    for (let i = b.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [b[i], b[j]] = [b[j], b[i]];
    }
    return b;
  }
}

// Values that mean something in the curated data, by argument name.
const IDS = ['smic', 'huawei', 'nvidia', 'ascend-910c', 'hisilicon', 'sk-hynix', 'cxmt', 'no-such-entity'];
const STRINGS = {
  text: ['Ascend', 'smic', 'hua', '中芯', 'HBM', 'a', 'Nvidia'],
  name: ['SMIC', '中芯国际', 'Huawei', 'no such name'],
  category: ['memory', 'foundry', 'equipment'],
  country: ['CN', 'US', 'KR', 'TW'],
  countries: ['CN', 'US', 'KR', 'TW'],
};
const DATES = ['2019', '2020-09', '2023-10-17', '2024', '2025-01'];
const INT_ARGS = { first: [1, 3], limit: [1, 8], hops: [1, 2], maxHops: [1, 4] };

const gqlString = (s) => JSON.stringify(s); // JSON string syntax is GraphQL string syntax for these

// byName sorts schema members by name: the generator must not depend on the
// order chipgraph's introspection lists them in (today it changes from one
// request to the next), or the same seed would give other documents.
const byName = (xs) => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

// Gen builds one random valid query from the schema, as source text and
// variables, keeping within chipgraph's default limits (depth 12, 30
// aliases, complexity 5000) so that a verdict difference is about the
// specification, not a configured limit.
class Gen {
  constructor(schema, r) {
    this.schema = schema;
    this.r = r;
    this.aliases = 0;
    this.vars = []; // {name, type, def, value, given}
    this.variables = {};
    this.fragments = []; // source text
    this.fragNames = new Set();
  }

  literal(argName, type) {
    const r = this.r;
    const t = G.getNullableType(type);
    if (G.isListType(t)) {
      const n = r.int(1, 2);
      const items = Array.from({ length: n }, () => this.literal(argName, t.ofType));
      if (n === 1 && r.chance(0.3)) return items[0]; // a single value stands for a list of one
      return { src: `[${items.map((i) => i.src).join(', ')}]`, json: items.map((i) => i.json) };
    }
    if (G.isEnumType(t)) {
      const v = r.pick(byName(t.getValues())).name;
      return { src: v, json: v };
    }
    switch (t.name) {
      case 'Int': {
        const [lo, hi] = INT_ARGS[argName] ?? [1, 3];
        const v = r.int(lo, hi);
        return { src: String(v), json: v };
      }
      case 'Boolean': {
        const v = r.chance(0.5);
        return { src: String(v), json: v };
      }
      case 'Date': {
        const v = r.pick(DATES);
        return { src: gqlString(v), json: v };
      }
      case 'ID': {
        const v = argName === 'key' ? r.pick(['seed-article', 'no-such-source']) : r.pick(IDS);
        return { src: gqlString(v), json: v };
      }
      default: {
        const v = r.pick(STRINGS[argName] ?? ['x']);
        return { src: gqlString(v), json: v };
      }
    }
  }

  // arg gives an argument's source, as a literal or through a new variable.
  arg(a) {
    const r = this.r;
    const lit = this.literal(a.name, a.type);
    if (!r.chance(0.25)) return `${a.name}: ${lit.src}`;
    const name = `v${this.vars.length}`;
    let vtype = String(a.type);
    const nonNull = !G.isNonNullType(a.type) && r.chance(0.2);
    if (nonNull) vtype += '!';
    let def = '';
    let give = true;
    // A default on a non-null variable is valid but rare here: the
    // coercion and hand-written cases cover it, and a document rejected
    // for it tells nothing about the rest of it.
    if (r.chance(nonNull || G.isNonNullType(a.type) ? 0.03 : 0.3)) {
      const d = this.literal(a.name, a.type);
      def = ` = ${d.src}`;
      give = r.chance(0.5);
    }
    this.vars.push(`$${name}: ${vtype}${def}`);
    if (give) this.variables[name] = lit.json;
    return `${a.name}: $${name}`;
  }

  args(field) {
    const r = this.r;
    const out = [];
    let argsList = byName(field.args);
    if (field.name === 'entity') {
      // exactly one of id and name, mostly
      const one = r.pick(argsList);
      argsList = r.chance(0.9) ? [one] : argsList;
      return argsList.map((a) => this.arg(a));
    }
    for (const a of r.shuffle(argsList)) {
      const required = G.isNonNullType(a.type) && a.defaultValue === undefined;
      const sized = a.name === 'first' || a.name === 'limit';
      if (a.name === 'after') continue;
      if (required || sized || r.chance(0.25)) out.push(this.arg(a));
    }
    return out;
  }

  directive() {
    const r = this.r;
    if (!r.chance(0.1)) return '';
    const name = r.pick(['include', 'skip']);
    if (r.chance(0.3)) {
      const v = `v${this.vars.length}`;
      const val = r.chance(0.5);
      if (r.chance(0.1)) {
        this.vars.push(`$${v}: Boolean! = ${val}`);
      } else {
        this.vars.push(`$${v}: Boolean!`);
        this.variables[v] = val;
      }
      return ` @${name}(if: $${v})`;
    }
    return ` @${name}(if: ${r.chance(0.5)})`;
  }

  // selection returns the selection set source for type t (composite), at
  // depth (objects above).
  selection(t, depth) {
    const r = this.r;
    const parts = [];
    const fields = byName(Object.values(t.getFields()));
    const leaves = fields.filter((f) => G.isLeafType(G.getNamedType(f.type)));
    const objects = fields.filter((f) => !G.isLeafType(G.getNamedType(f.type)));
    const n = r.int(1, 4);
    const chosen = new Set();
    for (let i = 0; i < n; i++) {
      const pool = depth >= 3 || objects.length === 0 || r.chance(0.6) ? leaves : objects;
      chosen.add(r.pick(pool.length ? pool : fields));
    }
    for (const f of chosen) parts.push(this.field(f, depth));
    if (r.chance(0.1)) parts.push('__typename');
    if (G.isAbstractType(t)) {
      for (const p of r.shuffle(byName(this.schema.getPossibleTypes(t))).slice(0, r.int(0, 2))) {
        parts.push(`... on ${p.name}${this.directive()} ${this.selection(p, depth)}`);
      }
    }
    const entity = this.schema.getType('Entity');
    if (depth < 3 && (t === entity || (G.isObjectType(t) && t.getInterfaces().includes(entity))) && r.chance(0.2)) {
      parts.push(`...${this.fragment(r.chance(0.5) ? entity : t, depth)}${this.directive()}`);
    }
    if (r.chance(0.01)) parts.push(`... @include(if: true) { __typename }`);
    return `{ ${r.shuffle(parts).join(' ')} }`;
  }

  fragment(on, depth) {
    const name = `F${this.fragNames.size}`;
    this.fragNames.add(name);
    this.fragments.push(`fragment ${name} on ${on.name} ${this.selection(on, depth + 1)}`);
    return name;
  }

  field(f, depth) {
    const r = this.r;
    let src = '';
    if (this.aliases < 8 && r.chance(0.12)) {
      this.aliases++;
      src += `a${this.aliases}_${f.name}: `;
    }
    src += f.name;
    const args = f.args.length ? this.args(f) : [];
    if (args.length) src += `(${args.join(', ')})`;
    src += this.directive();
    const nt = G.getNamedType(f.type);
    if (G.isCompositeType(nt)) src += ' ' + this.selection(nt, depth + 1);
    return src;
  }

  document() {
    const r = this.r;
    const q = this.schema.getQueryType();
    const roots = r.shuffle(byName(Object.values(q.getFields()))).slice(0, r.int(1, 3));
    const body = roots.map((f) => this.field(f, 0)).join(' ');
    const name = r.chance(0.4) ? ` Q${r.int(1, 99)}` : '';
    const vars = this.vars.length ? `(${this.vars.join(', ')})` : '';
    const head = name || vars || r.chance(0.3) ? `query${name}${vars} ` : '';
    return [`${head}{ ${body} }`, ...this.fragments].join('\n');
  }
}

// cost mirrors chipgraph's complexity estimate (schema/limits.go) closely
// enough to keep generated documents under its default 5000.
const PRESIZED = new Set([
  'EntityConnection.edges', 'EntityConnection.nodes', 'RelationConnection.edges', 'RelationConnection.nodes',
  'SourceConnection.edges', 'SourceConnection.nodes', 'Subgraph.nodes', 'Subgraph.relations',
]);
function cost(schema, doc, variables) {
  const frags = new Map(doc.definitions.filter((d) => d.kind === G.Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const op = doc.definitions.find((d) => d.kind === G.Kind.OPERATION_DEFINITION);
  const defaults = new Map((op.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.defaultValue]));
  const intArg = (node, def, name) => {
    const a = (node.arguments ?? []).find((x) => x.name.value === name);
    let v = a?.value;
    if (v?.kind === G.Kind.VARIABLE) {
      const n = v.variable ? v.variable.name.value : v.name.value;
      if (variables && n in variables) return Number(variables[n]);
      v = defaults.get(n);
    }
    if (v?.kind === G.Kind.INT) return Number(v.value);
    const d = def.args.find((x) => x.name === name)?.defaultValue;
    return typeof d === 'number' ? d : undefined;
  };
  const sel = (ss, parent, depth) => {
    let c = 0;
    let d = depth;
    for (const s of ss.selections) {
      if (s.kind === G.Kind.FIELD) {
        if (s.name.value.startsWith('__')) continue;
        const def = parent.getFields?.()[s.name.value];
        if (!def) continue;
        const nt = G.getNamedType(def.type);
        if (!s.selectionSet) continue;
        const [sub, subDepth] = sel(s.selectionSet, nt, depth + 1);
        d = Math.max(d, subDepth);
        const n = intArg(s, def, 'first') ?? intArg(s, def, 'limit');
        const isList = G.isListType(G.getNullableType(def.type));
        if (n !== undefined) c += 1 + n * sub;
        else if (!isList || PRESIZED.has(`${parent.name}.${s.name.value}`)) c += 1 + sub;
        else c += 10 * (1 + sub);
      } else {
        const ss2 = s.kind === G.Kind.INLINE_FRAGMENT ? s.selectionSet : frags.get(s.name.value)?.selectionSet;
        const on = s.kind === G.Kind.INLINE_FRAGMENT ? s.typeCondition : frags.get(s.name.value)?.typeCondition;
        const t = on ? schema.getType(on.name.value) : parent;
        const [sub, subDepth] = sel(ss2, t, depth);
        c += sub;
        d = Math.max(d, subDepth);
      }
    }
    return [c, d];
  };
  return sel(op.selectionSet, schema.getQueryType(), 0);
}

function validQuery(schema, seed) {
  for (let attempt = 0; ; attempt++) {
    const g = new Gen(schema, new Rand(seed * 1000 + attempt));
    const query = g.document();
    const doc = G.parse(query);
    const [c, depth] = cost(schema, doc, g.variables);
    if (c <= 4000 && depth <= 10) return { query, variables: g.variables };
  }
}

// ---------------------------------------------------------------- mutations of valid documents

// Each mutator takes a valid document (AST) and returns a changed one, or
// null when it does not apply. Whether the result is valid is graphql-js's
// call, not the mutator's.
const name = (value) => ({ kind: G.Kind.NAME, value });
const fieldsOf = (doc) => {
  const out = [];
  G.visit(doc, { Field: (n) => void out.push(n) });
  return out;
};
const selectionSets = (doc) => {
  const out = [];
  G.visit(doc, { SelectionSet: (n) => void out.push(n) });
  return out;
};
// editNode returns doc with the target node replaced by fn(node).
const editNode = (doc, target, fn) =>
  G.visit(doc, {
    enter(node) {
      if (node === target) return fn(node);
    },
  });
const lit = (src) => G.parseValue(src);
const OUT_OF_RANGE = ['2147483648', '-2147483649', '9007199254740993', '99999999999999999999'];

const MUTATORS = {
  'unknown-field': (doc, r) => {
    const ss = r.pick(selectionSets(doc));
    return editNode(doc, ss, (n) => ({ ...n, selections: [...n.selections, { kind: G.Kind.FIELD, name: name('noSuchField') }] }));
  },
  'unknown-argument': (doc, r) => {
    const f = r.pick(fieldsOf(doc).filter((f) => !f.name.value.startsWith('__')));
    if (!f) return null;
    return editNode(doc, f, (n) => ({
      ...n,
      arguments: [...(n.arguments ?? []), { kind: G.Kind.ARGUMENT, name: name('noSuchArg'), value: lit('1') }],
    }));
  },
  'wrong-literal': (doc, r) => {
    const args = [];
    G.visit(doc, { Argument: (n) => void args.push(n) });
    const a = r.pick(args.filter((a) => a.value.kind !== G.Kind.VARIABLE));
    if (!a) return null;
    const pool = ['"3"', '1.5', 'true', '123', 'CHIP', '"CHIP"', '[1]', '{a: 1}', '"2024"', '0', '-1', '"smic"', '[[CHIP]]'];
    return editNode(doc, a, (n) => ({ ...n, value: lit(r.pick(pool)) }));
  },
  'int-out-of-range': (doc, r) => {
    const args = [];
    G.visit(doc, { Argument: (n) => void args.push(n) });
    const a = r.pick(args.filter((a) => a.value.kind === G.Kind.INT));
    if (!a) return null;
    return editNode(doc, a, (n) => ({ ...n, value: lit(r.pick(OUT_OF_RANGE)) }));
  },
  'null-literal': (doc, r) => {
    const args = [];
    G.visit(doc, { Argument: (n) => void args.push(n) });
    const a = r.pick(args);
    if (!a) return null;
    // null for the argument (valid when it is nullable) or inside its list
    const v = a.value.kind === G.Kind.LIST && r.chance(0.5) ? lit('[null]') : lit('null');
    return editNode(doc, a, (n) => ({ ...n, value: v }));
  },
  'missing-required-argument': (doc, r) => {
    const f = r.pick(fieldsOf(doc).filter((f) => ['search', 'neighborhood', 'paths', 'source'].includes(f.name.value)));
    if (!f) return null;
    return editNode(doc, f, (n) => ({ ...n, arguments: n.arguments.slice(1) }));
  },
  'duplicate-argument': (doc, r) => {
    const f = r.pick(fieldsOf(doc).filter((f) => f.arguments?.length));
    if (!f) return null;
    return editNode(doc, f, (n) => ({ ...n, arguments: [...n.arguments, n.arguments[0]] }));
  },
  'leaf-selection': (doc, r) => {
    const f = r.pick(fieldsOf(doc).filter((f) => !f.selectionSet && f.name.value !== '__typename'));
    if (!f) return null;
    return editNode(doc, f, (n) => ({ ...n, selectionSet: G.parse('{ x }').definitions[0].selectionSet }));
  },
  'missing-selection': (doc, r) => {
    const f = r.pick(fieldsOf(doc).filter((f) => f.selectionSet));
    if (!f) return null;
    return editNode(doc, f, (n) => ({ ...n, selectionSet: undefined }));
  },
  'conflicting-alias': (doc, r) => {
    const ss = r.pick(selectionSets(doc));
    const [a, b] = r.shuffle(['id', 'name', '__typename', 'kind', 'totalCount', 'length']).slice(0, 2);
    const extra = G.parse(`{ dup: ${a} dup: ${b} }`).definitions[0].selectionSet.selections;
    return editNode(doc, ss, (n) => ({ ...n, selections: [...n.selections, ...extra] }));
  },
  'impossible-fragment': (doc, r) => {
    const ss = r.pick(selectionSets(doc));
    const on = r.pick(['Source', 'Relation', 'Chip', 'NoSuchType', 'String', 'Entity', 'Query']);
    const extra = G.parse(`{ ... on ${on} { __typename } }`).definitions[0].selectionSet.selections;
    return editNode(doc, ss, (n) => ({ ...n, selections: [...n.selections, ...extra] }));
  },
  'undefined-variable': (doc, r) => {
    const args = [];
    G.visit(doc, { Argument: (n) => void args.push(n) });
    const a = r.pick(args);
    if (!a) return null;
    return editNode(doc, a, (n) => ({ ...n, value: { kind: G.Kind.VARIABLE, name: name('undefinedVar') } }));
  },
  'unused-variable': (doc) => {
    const op = doc.definitions.find((d) => d.kind === G.Kind.OPERATION_DEFINITION);
    const vd = G.parse('query($unusedVar: Int) { x }').definitions[0].variableDefinitions[0];
    return editNode(doc, op, (n) => ({ ...n, variableDefinitions: [...(n.variableDefinitions ?? []), vd] }));
  },
  'repeated-directive': (doc, r) => {
    const f = r.pick(fieldsOf(doc));
    const dirs = r.pick([
      '@include(if: true) @include(if: true)',
      '@skip(if: false) @skip(if: false)',
      '@skip(if: false) @include(if: true)',
      '@include(if: true) @skip(if: true)',
      '@deprecated',
      '@noSuchDirective',
      '@include',
      '@include(if: "yes")',
      '@specifiedBy(url: "x")',
    ]);
    const parsed = G.parse(`{ x ${dirs} }`).definitions[0].selectionSet.selections[0].directives;
    return editNode(doc, f, (n) => ({ ...n, directives: [...(n.directives ?? []), ...parsed] }));
  },
  'type-system-definition': (doc, r) => {
    const extra = r.pick([
      'type Extra { a: Int }',
      'scalar Extra',
      'extend type Query { extra: Int }',
      'schema { query: Query }',
      'directive @extra on FIELD',
      'input Extra { a: Int }',
      'enum Extra { A }',
    ]);
    return { ...doc, definitions: [...doc.definitions, ...G.parse(extra).definitions] };
  },
  'fragment-cycle': (doc, r) => {
    const op = doc.definitions.find((d) => d.kind === G.Kind.OPERATION_DEFINITION);
    const cyc = r.pick([
      'fragment CycA on Query { __typename ...CycA }',
      'fragment CycA on Query { __typename ...CycB } fragment CycB on Query { ...CycA }',
      'fragment CycA on Query { ...CycB } fragment CycB on Query { ...CycC } fragment CycC on Query { __typename ...CycA }',
      'fragment CycA on Query { ... on Query { ...CycA } }',
    ]);
    const spread = G.parse('{ ...CycA }').definitions[0].selectionSet.selections[0];
    const withSpread = editNode(doc, op, (n) => ({ ...n, selectionSet: { ...n.selectionSet, selections: [...n.selectionSet.selections, spread] } }));
    return { ...withSpread, definitions: [...withSpread.definitions, ...G.parse(cyc).definitions] };
  },
  'variable-type-mismatch': (doc, r) => {
    const op = doc.definitions.find((d) => d.kind === G.Kind.OPERATION_DEFINITION);
    const vds = op.variableDefinitions ?? [];
    if (!vds.length) return null;
    const vd = r.pick(vds);
    const t = G.parseType(r.pick(['String', 'Int', 'Boolean', 'ID', '[String]', 'EntityKind', 'Entity', 'NoSuchType', 'EntityInput']));
    return editNode(doc, vd, (n) => ({ ...n, type: t, defaultValue: undefined }));
  },
};

// Syntax damage is done on the text: the parser has to find it.
function damage(query, r) {
  const i = r.int(0, query.length);
  switch (r.int(0, 4)) {
    case 0:
      return query.slice(0, i); // truncated
    case 1:
      return query.slice(0, i) + query.slice(i + 1); // a character lost
    case 2:
      return query.slice(0, i) + r.pick(['{', '}', '(', ')', ':', '$', '!', '@', '...', '"', '=', '[', '|', '&', '\u0007']) + query.slice(i);
    case 3:
      return query.replace(/\{ /, '{ {');
    default:
      return query.replace(/(\w+)\(/, '$1((');
  }
}

// ---------------------------------------------------------------- variable coercion

// Each template has one variable $v; the values are tried one at a time
// (`undefined` means the variable is not sent).
const COERCION = [
  ['query($v: Int) { search(text: "Ascend", first: $v) { id } }', [2, '2', 1.5, true, 2.0, 2147483648, -1, null, { a: 1 }, [2], undefined]],
  ['query($v: Int = 2) { search(text: "Ascend", first: $v) { id } }', [3, null, undefined, '3', 1e3]],
  ['query($v: Int! = 2) { search(text: "Ascend", first: $v) { id } }', [3, null, undefined, 2.5]],
  ['query($v: Int!) { search(text: "Ascend", first: $v) { id } }', [1, null, undefined, '1', false]],
  ['query($v: String!) { search(text: $v, first: 2) { id } }', ['smic', 123, { a: 1 }, true, ['smic'], null, undefined, 1.5, '']],
  ['query($v: String) { entity(name: $v) { id } }', ['SMIC', 123, null, undefined, ['SMIC'], { a: 1 }]],
  ['query($v: ID) { entity(id: $v) { id } }', ['smic', 123, 1.5, true, null, undefined, ['smic'], -7]],
  ['query($v: ID!) { source(key: $v) { key } }', ['seed-article', 42, undefined, null, false]],
  ['query($v: [EntityKind!]) { search(text: "a", kinds: $v, first: 3) { id kind } }', [['CHIP'], 'CHIP', ['chip'], [null], ['CHIP', 'NOPE'], 1, [], null, undefined, [['CHIP']], ['CHIP', 'COMPANY']]],
  ['query($v: [RelationType!]!) { relations(types: $v, first: 2) { totalCount } }', [['SUPPLIES'], 'SUPPLIES', [], null, undefined, ['SUPPLIES', 'supplies'], [1]]],
  ['query($v: Direction) { neighborhood(ids: ["smic"], direction: $v, limit: 3) { truncated } }', ['OUT', 'out', 0, null, undefined, ['OUT'], true]],
  ['query($v: Boolean!) { __typename @include(if: $v) }', [true, false, 'true', 0, null, undefined]],
  ['query($v: Boolean = false) { __typename @skip(if: $v) }', [true, undefined, null]],
  ['query($v: [ID!]!) { neighborhood(ids: $v, limit: 2) { nodes { id } } }', [['smic'], 'smic', 7, [7], ['smic', null], []]],
  ['query($v: Int, $w: Int) { a: search(text: "Ascend", first: $v) { id } b: search(text: "smic", first: $w) { id } }', [1, '1']],
];

// ---------------------------------------------------------------- hand-written cases

// Each: [name, query, variables?, operationName?, sameDataAs?]. sameDataAs
// is a second document whose data must equal this one's: it spells the
// feature under test in a form chipgraph already answers, so a document the
// data oracle cannot judge (a coerced argument value) still gets checked.
const SRC = (title) =>
  `mutation { upsertSource(input: {key: "cg-conformance-surrogate", title: ${title}, url: "https://example.org/cg", publisher: "chipgraph tests", published: "2025"}) { key title } }`;
const HAND = [
  // basics and ignored tokens
  ['typename', '{ __typename }'],
  ['typename-query-keyword', 'query { __typename }'],
  ['typename-aliases', '{ b: __typename a: __typename __typename }'],
  ['commas-everywhere', '{,,, __typename ,,, a: __typename,,}'],
  ['byte-order-mark', '\uFEFF{ __typename }'],
  ['comments', '# a comment\n{ # another\n __typename # and one more\n}'],
  ['tabs-and-crlf', '{\t__typename\r\n\ta: __typename\r}'],
  ['empty-document', ''],
  ['whitespace-only', '   \n  '],
  ['comment-only', '# nothing here'],
  ['empty-selection', '{}'],
  ['unclosed-brace', '{ __typename'],
  ['extra-brace', '{ __typename }}'],
  ['unknown-root-field', '{ id }'],
  ['missing-selection', '{ search(text: "a") }'],
  ['selection-on-leaf', '{ stats { entities { x } } }'],
  ['field-order-kept', '{ stats { version sources relations entities } }'],
  ['field-order-with-aliases', '{ z: stats { entities } a: stats { relations } m: __typename }'],
  // numbers
  ['int-leading-zero', '{ search(text: "a", first: 01) { id } }'],
  ['int-trailing-dot', '{ search(text: "a", first: 1.) { id } }'],
  ['int-hex', '{ search(text: "a", first: 0x1) { id } }'],
  ['int-exponent-is-float', '{ search(text: "a", first: 1e1) { id } }'],
  ['int-float-literal', '{ search(text: "a", first: 1.0) { id } }'],
  ['int-negative-zero', '{ search(text: "a", first: -0) { id } }'],
  ['int-max', '{ paths(from: "smic", to: "huawei", maxHops: 2147483647) { length } }'],
  ['int-max-plus-one', '{ paths(from: "smic", to: "huawei", maxHops: 2147483648) { length } }'],
  ['int-min', '{ paths(from: "smic", to: "huawei", maxHops: -2147483648) { length } }'],
  ['int-min-minus-one', '{ paths(from: "smic", to: "huawei", maxHops: -2147483649) { length } }'],
  ['int-huge', '{ neighborhood(ids: ["smic"], hops: 99999999999999999999) { truncated } }'],
  ['int-for-id', '{ entity(id: 123) { id } }'],
  ['float-for-id', '{ entity(id: 1.5) { id } }'],
  // null
  ['null-for-nullable-arg', '{ entity(id: null, name: "SMIC") { id } }'],
  ['null-for-non-null-arg', '{ search(text: null) { id } }'],
  ['null-for-nullable-list', '{ search(text: "a", kinds: null, first: 1) { id } }'],
  ['null-in-non-null-list', '{ search(text: "a", kinds: [null], first: 1) { id } }'],
  ['null-for-defaulted-arg', '{ search(text: "Ascend", first: null) { id } }'],
  ['null-in-input-object', 'mutation { upsertSource(input: {key: "cg-conformance-null", title: "t", url: "https://example.org/n", publisher: "p", published: "2025", quote: null}) { key quote } }'],
  ['null-for-required-input-field', 'mutation { upsertSource(input: {key: "cg-conformance-null", title: null, url: "https://example.org/n", publisher: "p", published: "2025"}) { key } }'],
  ['null-as-variable-default', 'query($v: ID = null) { entity(id: $v, name: "SMIC") { id } }', undefined, undefined, '{ entity(name: "SMIC") { id } }'],
  ['null-for-non-null-var-default', 'query($v: String! = null) { search(text: $v) { id } }'],
  // variable defaults and explicit null
  ['non-null-var-with-default', 'query($f: Int! = 2) { search(text: "Ascend", first: $f) { id } }', undefined, undefined, '{ search(text: "Ascend", first: 2) { id } }'],
  ['default-used-when-absent', 'query($f: Int = 2) { search(text: "Ascend", first: $f) { id } }', undefined, undefined, '{ search(text: "Ascend", first: 2) { id } }'],
  ['explicit-null-beats-default', 'query($f: ID = "huawei") { entity(id: $f, name: "SMIC") { id } }', { f: null }, undefined, '{ entity(name: "SMIC") { id } }'],
  ['nullable-var-with-default-in-non-null-position', 'query($t: String = "Ascend") { search(text: $t, first: 2) { id } }', undefined, undefined, '{ search(text: "Ascend", first: 2) { id } }'],
  ['nullable-var-in-non-null-position', 'query($t: String) { search(text: $t) { id } }', { t: 'a' }],
  ['var-in-fragment', 'query($k: [EntityKind!]) { ...F } fragment F on Query { search(text: "a", kinds: $k, first: 2) { id } }', { k: ['CHIP'] }],
  ['var-of-output-type', 'query($e: Entity) { __typename }'],
  ['var-unknown-type', 'query($e: NoSuchType) { __typename }'],
  ['var-duplicate', 'query($v: Int, $v: Int) { search(text: "a", first: $v) { id } }'],
  ['input-object-var', 'mutation($in: SourceInput!) { upsertSource(input: $in) { key title } }', { in: { key: 'cg-conformance-var', title: 'via a variable', url: 'https://example.org/v', publisher: 'p', published: '2025' } }],
  ['input-object-var-unknown-field', 'mutation($in: SourceInput!) { upsertSource(input: $in) { key } }', { in: { key: 'cg-conformance-var', title: 't', url: 'https://example.org/v', publisher: 'p', published: '2025', nope: 1 } }],
  ['input-object-var-missing-field', 'mutation($in: SourceInput!) { upsertSource(input: $in) { key } }', { in: { key: 'cg-conformance-var', url: 'https://example.org/v', publisher: 'p' } }],
  ['input-object-var-wrong-type', 'mutation($in: SourceInput!) { upsertSource(input: $in) { key } }', { in: { key: 'cg-conformance-var', title: 5, url: 'https://example.org/v', publisher: 'p', published: '2025' } }],
  ['input-object-literal-unknown-field', 'mutation { upsertSource(input: {key: "k", title: "t", url: "u", publisher: "p", nope: 1}) { key } }'],
  ['input-object-literal-duplicate-field', 'mutation { upsertSource(input: {key: "k", key: "k2", title: "t", url: "u", publisher: "p"}) { key } }'],
  // strings
  ['surrogate-pair', SRC('"\\uD83D\\uDE00 ok"'), undefined, undefined, SRC('"😀 ok"')],
  ['surrogate-pair-raw', SRC('"😀 ok"')],
  ['lone-high-surrogate', SRC('"\\uD83D ok"')],
  ['lone-low-surrogate', SRC('"\\uDE00 ok"')],
  ['reversed-surrogates', SRC('"\\uDE00\\uD83D"')],
  ['braced-unicode-escape', SRC('"\\u{1F600} ok"'), undefined, undefined, SRC('"😀 ok"')],
  ['bmp-escape', SRC('"\\u00e9t\\u00E9"'), undefined, undefined, SRC('"été"')],
  ['escapes', SRC('"q\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f"'), undefined, undefined, SRC(JSON.stringify('q"b\\s/n\nt\tr\rb\bf\f'))],
  ['bad-escape', SRC('"\\x41"')],
  ['short-unicode-escape', SRC('"\\u12"')],
  ['unterminated-string', '{ search(text: "abc) { id } }'],
  ['newline-in-string', '{ search(text: "a\nb") { id } }'],
  ['control-char-in-string', '{ search(text: "a\u0007b") { id } }'],
  // BlockStringValue: the first line keeps its indentation; the common indentation (4) comes from the lines after it.
  ['block-string', SRC('"""  block\n    string "quoted" \\""" end\n  """'), undefined, undefined, SRC(JSON.stringify('  block\nstring "quoted" """ end'))],
  ['string-in-enum-position', '{ search(text: "a", kinds: "CHIP") { id } }'],
  ['enum-in-string-position', '{ search(text: Ascend) { id } }'],
  ['enum-true-is-not-boolean', '{ __typename @include(if: TRUE) }'],
  // directives
  ['include-twice', '{ __typename @include(if: true) @include(if: true) }'],
  ['skip-twice', '{ __typename @skip(if: false) @skip(if: false) }'],
  ['skip-and-include', '{ a: __typename @skip(if: false) @include(if: true) b: __typename @skip(if: true) @include(if: true) }'],
  ['skip-everything', '{ __typename @skip(if: true) }'],
  ['skip-on-fragment-spread', '{ ...F @skip(if: true) stats { entities } } fragment F on Query { __typename }'],
  ['include-on-inline-fragment', '{ ... @include(if: false) { __typename } stats { entities } }'],
  ['directive-on-operation', 'query @skip(if: true) { __typename }'],
  ['directive-on-fragment-definition', '{ ...F } fragment F on Query @include(if: true) { __typename }'],
  ['directive-on-variable-definition', 'query($v: Int @skip(if: true)) { search(text: "a", first: $v) { id } }'],
  ['deprecated-on-field', '{ __typename @deprecated }'],
  ['unknown-directive', '{ __typename @nope }'],
  ['include-without-if', '{ __typename @include }'],
  ['same-field-skip-and-not', '{ stats { entities @skip(if: true) } stats { entities relations } }'],
  // type-system definitions
  ['type-definition', '{ __typename } type T { a: Int }'],
  ['scalar-definition', '{ __typename } scalar S'],
  ['type-extension', '{ __typename } extend type Query { x: Int }'],
  ['schema-definition', '{ __typename } schema { query: Query }'],
  ['directive-definition', '{ __typename } directive @d on FIELD'],
  ['only-type-definition', 'type T { a: Int }'],
  // fragments
  ['fragment-self-cycle', '{ __typename ...A } fragment A on Query { ...A }'],
  ['fragment-two-cycle', '{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }'],
  ['fragment-cycle-via-inline', '{ ...A } fragment A on Query { ... on Query { ...A } }'],
  ['fragment-cycle-unused', '{ __typename } fragment A on Query { ...A }'],
  ['fragment-unused', '{ __typename } fragment F on Query { __typename }'],
  ['fragment-unknown', '{ ...Nope }'],
  ['fragment-on-scalar', '{ ...F } fragment F on String { length }'],
  ['fragment-on-unknown-type', '{ ...F } fragment F on Nope { x }'],
  ['fragment-duplicate-name', '{ ...F } fragment F on Query { __typename } fragment F on Query { __typename }'],
  ['fragment-spread-on-interface', '{ entity(id: "smic") { ...E } } fragment E on Entity { id name }'],
  ['fragment-object-in-interface', '{ entity(id: "ascend-910c") { id ...C ...S } } fragment C on Chip { designer { id } } fragment S on Company { parent { id } }'],
  ['inline-fragment-impossible', '{ entity(id: "smic") { ... on Source { key } } }'],
  ['inline-fragment-interface-in-object', '{ entity(id: "smic") { ... on Company { ... on Entity { id } } } }'],
  ['fragment-merge-order', '{ entity(id: "smic") { name ... on Company { id name } id ... on Entity { kind name } } }'],
  ['fragment-merge-nested', '{ entity(id: "ascend-910c") { ... on Chip { designer { id } } ... on Chip { designer { name id } } } }'],
  ['field-conflict-args', '{ search(text: "a", first: 1) { id } search(text: "b", first: 1) { id } }'],
  ['field-conflict-alias', '{ x: stats { entities } x: __typename }'],
  ['field-merge-same', '{ stats { entities } stats { relations entities } }'],
  // operations
  ['two-anonymous', '{ __typename } { __typename }'],
  ['anonymous-and-named', '{ __typename } query Q { __typename }'],
  ['duplicate-operation-name', 'query Q { __typename } query Q { __typename }'],
  ['choose-operation', 'query A { a: __typename } query B { stats { entities } }', undefined, 'B'],
  ['choose-missing-operation', 'query A { __typename } query B { __typename }', undefined, 'C'],
  ['no-operation-name', 'query A { __typename } query B { __typename }'],
  ['operation-name-for-anonymous', '{ __typename }', undefined, 'A'],
  ['subscription', 'subscription { __typename }'],
  ['shorthand-mutation-field', '{ deleteSource(key: "x") { id } }'],
  // introspection (chipgraph's own introspection answer is the client schema)
  ['introspection-typename-root', '{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }'],
  ['introspection-type', '{ __type(name: "Chip") { name kind interfaces { name } fields { name type { name kind ofType { name kind } } } } }'],
  ['introspection-unknown-type', '{ __type(name: "NoSuchType") { name } }'],
  ['introspection-enum', '{ __type(name: "EntityKind") { enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } } }'],
  ['introspection-input', '{ __type(name: "SourceInput") { inputFields { name defaultValue type { kind name ofType { name } } } } }'],
  ['introspection-args', '{ __type(name: "Query") { fields { name args { name defaultValue } } } }'],
  ['introspection-possible-types', '{ __type(name: "Entity") { possibleTypes { name } } }'],
  ['introspection-specified-by', '{ __type(name: "Date") { name specifiedByURL } }'],
  ['introspection-is-one-of', '{ __type(name: "EntityInput") { name isOneOf } }'],
  ['introspection-schema-description', '{ __schema { description } }'],
  ['introspection-directives', '{ __schema { directives { name isRepeatable locations args { name } } } }'],
  ['introspection-input-deprecation', '{ __type(name: "EntityInput") { inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } }'],
  ['introspection-arg-deprecation', '{ __type(name: "Query") { fields { name args(includeDeprecated: true) { name isDeprecated } } } }'],
  ['introspection-aliased', '{ t: __type(name: "Company") { n: name k: kind } s: __schema { q: queryType { name } } }'],
  ['introspection-with-data', '{ stats { entities } __type(name: "Stats") { name } search(text: "smic", first: 1) { id __typename } }'],
  ['typename-on-interface', '{ search(text: "Ascend", first: 3) { __typename id } }'],
  // field errors: partial data, error paths and key order around them
  ['error-ambiguous-args', '{ z: stats { entities } entity(id: "smic", name: "SMIC") { id } a: stats { relations } }'],
  ['error-negative-first', '{ b: __typename search(text: "smic", first: -1) { id } a: __typename }'],
  ['error-hops', '{ stats { entities } neighborhood(ids: ["smic"], hops: 99) { truncated } }'],
  ['error-bad-cursor', '{ relations(first: 1, after: "not-a-cursor") { totalCount } z: __typename }'],
  ['error-unknown-path-endpoint', '{ y: __typename paths(from: "no-such-entity", to: "smic") { length } }'],
  ['error-nested', '{ entity(id: "smic") { id relations(first: -1) { totalCount } name } }'],
  ['error-nested-list', '{ search(text: "smic", first: 2) { id relations(first: -5) { totalCount } } }'],
  ['error-in-fragment', '{ entity(id: "smic") { ...R id } } fragment R on Entity { relations(first: -1, after: "x") { totalCount } }'],
  ['error-two-fields', '{ a: search(text: "a", first: -1) { id } b: entity(id: "smic", name: "x") { id } c: __typename }'],
  ['error-page-too-big', '{ entities(first: 100000) { totalCount } }'],
  ['error-bad-date', '{ relations(asOf: "yesterday", first: 1) { totalCount } }'],
  ['null-entity', '{ entity(id: "no-such-entity") { id } stats { entities } }'],
  // mutations (idempotent, so every run sees the same store)
  ['mutation-upsert-source', 'mutation { b: upsertSource(input: {key: "cg-conformance-m", title: "m", url: "https://example.org/m", publisher: "p", published: "2025-01"}) { title key __typename } a: __typename }'],
  ['mutation-delete-missing', 'mutation { deleteRelation(id: "no-such-relation") { id deleted } }'],
  ['mutation-serial-order', 'mutation { z: deleteSource(key: "no-such-source") { deleted } a: deleteEntity(id: "no-such-entity") { deleted } }'],
  ['mutation-bad-input', 'mutation { upsertEntity(input: {id: "Bad Id", kind: CHIP, name: "x", sources: []}) { id } }'],
  ['mutation-and-query', 'query Q { __typename } mutation M { deleteRelation(id: "no-such-relation") { deleted } }', undefined, 'M'],
];

function prepare(input) {
  const schema = clientSchema(input.introspection);
  const cases = [];
  const add = (c) => cases.push({ ...c, ...verdict(schema, c) });

  // Random valid queries, fixed seeds.
  const VALID = 320;
  const valid = [];
  for (let seed = 1; seed <= VALID; seed++) {
    const v = validQuery(schema, seed);
    valid.push(v);
    add({ name: `generated/random/${seed}`, category: 'generated/random', query: v.query, variables: v.variables });
  }

  // Mutations of them: each mutator on a run of the valid documents.
  const names = Object.keys(MUTATORS);
  let k = 0;
  for (const m of names) {
    // Fragment cycles crash graphql-go's validator today (stack overflow
    // after seconds of work), so fewer of them keep the run short.
    const n = m === 'fragment-cycle' ? 4 : 16;
    for (let i = 0; i < n; i++, k++) {
      const r = new Rand(100000 + k);
      const base = valid[(k * 7) % valid.length];
      const doc = MUTATORS[m](G.parse(base.query), r);
      if (!doc) continue;
      add({ name: `generated/${m}/${i}`, category: `generated/${m}`, query: G.print(doc), variables: base.variables });
    }
  }
  for (let i = 0; i < 40; i++) {
    const r = new Rand(200000 + i);
    const base = valid[(i * 11) % valid.length];
    add({ name: `generated/syntax/${i}`, category: 'generated/syntax', query: damage(base.query, r), variables: base.variables });
  }

  // Variable coercion.
  COERCION.forEach(([query, values], t) => {
    values.forEach((v, i) => {
      const variables = v === undefined ? {} : { v, ...(query.includes('$w') ? { w: 1 } : {}) };
      add({ name: `coercion/${t}/${i}`, category: 'coercion', query, variables });
    });
  });

  // Hand-written edge cases.
  for (const [n, query, variables, operationName, sameDataAs] of HAND) {
    add({ name: `hand/${n}`, category: 'hand', query, variables, operationName, sameDataAs });
  }
  return cases;
}

// ---------------------------------------------------------------- audit

async function audit(url) {
  const results = await auditServer({ url });
  return results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason }));
}

// ---------------------------------------------------------------- main

const cmd = process.argv[2];
let out;
switch (cmd) {
  case 'introspection-queries':
    out = introspectionQueries();
    break;
  case 'build-client-schema':
    out = buildClientSchemas(JSON.parse(await readStdin()));
    break;
  case 'prepare':
    out = prepare(JSON.parse(await readStdin()));
    break;
  case 'expect': {
    const input = JSON.parse(await readStdin());
    const schema = clientSchema(input.introspection);
    out = input.cases.map((c) => {
      try {
        return expectResponse(schema, c);
      } catch (e) {
        return { name: c.name, oracleError: String(e.stack ?? e) };
      }
    });
    break;
  }
  case 'audit':
    out = await audit(process.argv[3]);
    break;
  default:
    console.error('usage: node conformance.mjs introspection-queries|build-client-schema|prepare|expect|audit URL');
    process.exit(2);
}
process.stdout.write(JSON.stringify(out));
