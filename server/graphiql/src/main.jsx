// chipgraph's GraphiQL: GraphiQL 5 (React 19, Monaco) bundled for offline use.
// Everything it needs is served by the chipgraph server from the same origin:
// no CDN, no web fonts, no remote schema. build.mjs bundles this file.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import './chipgraph.css';

import memorySuppliers from './queries/1-memory-suppliers.graphql';
import ascendFoundries from './queries/2-ascend-foundries.graphql';
import smicSanctions from './queries/3-smic-sanctions.graphql';
import hynixToCloudMatrix from './queries/4-hynix-to-cloudmatrix.graphql';
import cambriconNeighborhood from './queries/5-cambricon-neighborhood.graphql';
import cloudmatrixExposure from './queries/6-cloudmatrix-exposure.graphql';

// Monaco runs its language services in web workers. They are bundled as
// separate same-origin scripts (see build.mjs, which defines the URLs), so
// no blob: or data: workers and no CDN are needed.
globalThis.MonacoEnvironment = {
  getWorkerUrl(_moduleId, label) {
    switch (label) {
      case 'json':
        return WORKER_JSON;
      case 'graphql':
        return WORKER_GRAPHQL;
      default:
        return WORKER_EDITOR;
    }
  },
};

const fetcher = createGraphiQLFetcher({
  url: new URL('/graphql', window.location.href).toString(),
});

const defaultTabs = [
  memorySuppliers,
  ascendFoundries,
  smicSanctions,
  hynixToCloudMatrix,
  cambriconNeighborhood,
  cloudmatrixExposure,
].map((query) => ({ query }));

// A query shared as a link, /graphiql?query=...&variables=..., opens in the
// first tab (or, when the browser remembers tabs, in a tab of its own), and
// the address follows the active tab, so that it can be copied and shared.
const params = new URLSearchParams(window.location.search);
const urlQuery = params.get('query') ?? undefined;
const urlVariables = params.get('variables') ?? undefined;
const tabs = urlQuery ? [{ query: urlQuery, variables: urlVariables }, ...defaultTabs] : defaultTabs;

function shareActiveTab(state) {
  const tab = state.tabs[state.activeTabIndex];
  if (!tab) return;
  const p = new URLSearchParams();
  if (tab.query) p.set('query', tab.query);
  if (tab.variables && tab.variables.trim()) p.set('variables', tab.variables);
  const q = p.toString();
  window.history.replaceState(null, '', q ? `?${q}` : window.location.pathname);
}

function App() {
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={tabs}
      initialQuery={urlQuery}
      initialVariables={urlVariables}
      onTabChange={shareActiveTab}
      defaultEditorToolsVisibility={false}
      isHeadersEditorEnabled={true}
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>
        <a className="chipgraph-logo" href="/graphiql">
          chipgraph
        </a>
        <a className="chipgraph-explore-link" href="/explore">
          Graph explorer
        </a>
      </GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')).render(<App />);
