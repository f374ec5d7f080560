// Package lru is the least-recently-used cache chipgraph's caches share:
// the schema's parsed documents (bounded by count) and the server's
// responses (bounded by bytes).
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values, bounded by the total cost of its values:
// adding past the bound evicts the least recently used entries. It is
// safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	maxCost int64
	cost    func(V) int64
	total   int64
	ll      *list.List // of *entry[K, V], most recent first
	items   map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	cost int64
}

// New returns a cache holding values of total cost at most maxCost (at
// least 1). cost gives a value's cost; nil counts every value as 1, which
// bounds the number of entries.
func New[K comparable, V any](maxCost int64, cost func(V) int64) *Cache[K, V] {
	if cost == nil {
		cost = func(V) int64 { return 1 }
	}
	return &Cache[K, V]{maxCost: max(1, maxCost), cost: cost, ll: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value under k and marks it most recently used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Add stores v under k, replacing what was there. A value costing more
// than an eighth of the bound is not stored: it would evict too much.
func (c *Cache[K, V]) Add(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

// AddIfAbsent stores v under k unless k is there, and returns the value
// under k: the one already there, else v (also when v was too costly to
// keep).
func (c *Cache[K, V]) AddIfAbsent(k K, v V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*entry[K, V]).val
	}
	c.putLocked(k, v)
	return v
}

func (c *Cache[K, V]) putLocked(k K, v V) {
	cost := c.cost(v)
	if cost > max(1, c.maxCost/8) {
		return
	}
	if el, ok := c.items[k]; ok {
		old := el.Value.(*entry[K, V])
		c.total -= old.cost
		old.val, old.cost = v, cost
		c.ll.MoveToFront(el)
	} else {
		c.items[k] = c.ll.PushFront(&entry[K, V]{key: k, val: v, cost: cost})
	}
	c.total += cost
	for c.total > c.maxCost {
		el := c.ll.Back()
		old := el.Value.(*entry[K, V])
		c.ll.Remove(el)
		delete(c.items, old.key)
		c.total -= old.cost
	}
}

// Len returns the number of entries and their total cost.
func (c *Cache[K, V]) Len() (entries int, cost int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len(), c.total
}
