package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chipgraph/chipgraph/graph"
)

// metrics lives in its own registry, so several Servers (tests) coexist.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	graphql    *prometheus.CounterVec
	executions prometheus.Counter
	latency    *prometheus.HistogramVec
	inflight   prometheus.Gauge

	// Series already looked up (routes, methods, statuses and codes are
	// few: a bounded set).
	series    sync.Map // seriesKey -> prometheus.Counter
	observers sync.Map // route -> prometheus.Observer
}

func newMetrics(store graph.Store) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chipgraph_http_requests_total",
			Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		graphql: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chipgraph_graphql_requests_total",
			Help: "GraphQL requests by operation type (query, mutation, or none when it never got that far), HTTP status and first error code.",
		}, []string{"operation", "status", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chipgraph_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipgraph_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.executions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "chipgraph_graphql_executions_total",
		Help: "GraphQL operations executed (not answered from the response cache or refused before execution).",
	})
	m.reg.MustRegister(m.requests, m.graphql, m.executions, m.latency, m.inflight,
		storeCollector{store},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	// The server's gzip middleware compresses every answer; promhttp's own
	// compression on top gave scrapers gzip inside gzip.
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true})
}

// instrument counts and times every request.
func (s *Server) instrument(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		s.metrics.counter(s.metrics.requests, route, c.Request().Method, status, "").Inc()
		s.metrics.observer(route).Observe(time.Since(start).Seconds())
		if route == "/graphql" {
			op, _ := c.Get(keyOperation).(string)
			if op == "" {
				op = "none"
			}
			code, _ := c.Get(keyCode).(string)
			s.metrics.counter(s.metrics.graphql, op, "", status, code).Inc()
		}
		return nil
	}
}

// seriesKey identifies a labelled series of the request metrics.
type seriesKey struct {
	vec        *prometheus.CounterVec
	a, b, code string
	status     int
}

// counter returns the series of vec with labels (a, b, status) for requests
// or (a, status, code) for graphql, cached: WithLabelValues hashes the
// labels on every call.
func (m *metrics) counter(vec *prometheus.CounterVec, a, b string, status int, code string) prometheus.Counter {
	k := seriesKey{vec: vec, a: a, b: b, status: status, code: code}
	if c, ok := m.series.Load(k); ok {
		return c.(prometheus.Counter)
	}
	var c prometheus.Counter
	if vec == m.graphql {
		c = vec.WithLabelValues(a, strconv.Itoa(status), code)
	} else {
		c = vec.WithLabelValues(a, b, strconv.Itoa(status))
	}
	m.series.Store(k, c)
	return c
}

// observer is latency.WithLabelValues(route), cached.
func (m *metrics) observer(route string) prometheus.Observer {
	if o, ok := m.observers.Load(route); ok {
		return o.(prometheus.Observer)
	}
	o := m.latency.WithLabelValues(route)
	m.observers.Store(route, o)
	return o
}

var (
	descEntities  = prometheus.NewDesc("chipgraph_store_entities", "Entities in the store.", nil, nil)
	descRelations = prometheus.NewDesc("chipgraph_store_relations", "Relations in the store.", nil, nil)
	descSources   = prometheus.NewDesc("chipgraph_store_sources", "Sources in the store.", nil, nil)
	descByKind    = prometheus.NewDesc("chipgraph_store_entities_by_kind", "Entities in the store by kind.", []string{"kind"}, nil)
	descByType    = prometheus.NewDesc("chipgraph_store_relations_by_type", "Relations in the store by type.", []string{"type"}, nil)
	descVersion   = prometheus.NewDesc("chipgraph_store_version", "The store's version; changes on every write.", nil, nil)
	descUp        = prometheus.NewDesc("chipgraph_store_up", "1 when the store answered Stats.", nil, nil)
)

// storeCollector reads the store's Stats at scrape time.
type storeCollector struct{ store graph.Store }

func (storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEntities, descRelations, descSources, descByKind, descByType, descVersion, descUp} {
		ch <- d
	}
}

func (sc storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := sc.store.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descEntities, prometheus.GaugeValue, float64(st.Entities))
	ch <- prometheus.MustNewConstMetric(descRelations, prometheus.GaugeValue, float64(st.Relations))
	ch <- prometheus.MustNewConstMetric(descSources, prometheus.GaugeValue, float64(st.Sources))
	ch <- prometheus.MustNewConstMetric(descVersion, prometheus.GaugeValue, float64(st.Version))
	for _, k := range graph.Kinds {
		ch <- prometheus.MustNewConstMetric(descByKind, prometheus.GaugeValue, float64(st.ByKind[k]), string(k))
	}
	for _, t := range graph.RelationTypes {
		ch <- prometheus.MustNewConstMetric(descByType, prometheus.GaugeValue, float64(st.ByType[t]), string(t))
	}
}
