package server

import (
	"bytes"
	"testing"
)

func TestResponseCacheBounded(t *testing.T) {
	if newResponseCache(0) != nil || newResponseCache(-1) != nil {
		t.Fatal("a cache of 0 or fewer bytes is not disabled")
	}
	body := bytes.Repeat([]byte("x"), 824) // 1 KiB an entry with overhead
	one := (&cachedResponse{body: body}).size()
	c := newResponseCache(10 * one)
	key := func(i int) cacheKey {
		return makeCacheKey(1, mediaJSON, &request{Query: "q", Variables: map[string]any{"i": i}})
	}
	for i := range 25 {
		c.Add(key(i), &cachedResponse{body: body})
		if i == 5 {
			c.Get(key(0)) // recently used: survives
		}
	}
	n, size := c.Len()
	if n != 10 || size != 10*one {
		t.Errorf("%d entries of %d bytes, want 10 of %d", n, size, 10*one)
	}
	if _, ok := c.Get(key(24)); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.Get(key(1)); ok {
		t.Error("an old entry survived")
	}
	// Too large for the cache: not stored, nothing evicted.
	c.Add(key(100), &cachedResponse{body: bytes.Repeat([]byte("x"), int(2*one))})
	if _, ok := c.Get(key(100)); ok {
		t.Error("an entry over an eighth of the bound was stored")
	}
	// Replacing an entry keeps the accounting right.
	c.Add(key(24), &cachedResponse{body: body[:100]})
	if _, size := c.Len(); size != 9*one+(&cachedResponse{body: body[:100]}).size() {
		t.Errorf("size %d after a replacement", size)
	}
}

func TestCacheKey(t *testing.T) {
	base := request{Query: "query($a: Int, $b: Int){x}", Variables: map[string]any{"a": 1.0, "b": 2.0}}
	k := makeCacheKey(1, mediaJSON, &base)
	same := request{Query: base.Query, Variables: map[string]any{"b": 2.0, "a": 1.0}}
	if makeCacheKey(1, mediaJSON, &same) != k {
		t.Error("variable order changes the key")
	}
	for name, other := range map[string]cacheKey{
		"version":   makeCacheKey(2, mediaJSON, &base),
		"media":     makeCacheKey(1, mediaGraphQLResponse, &base),
		"variables": makeCacheKey(1, mediaJSON, &request{Query: base.Query, Variables: map[string]any{"a": 1.0, "b": 3.0}}),
		"operation": makeCacheKey(1, mediaJSON, &request{Query: base.Query, OperationName: "Q", Variables: base.Variables}),
		"query":     makeCacheKey(1, mediaJSON, &request{Query: base.Query + " ", Variables: base.Variables}),
		// no collision from moving bytes between fields
		"shifted": makeCacheKey(1, mediaJSON, &request{Query: "Q" + base.Query, Variables: base.Variables}),
	} {
		if other == k {
			t.Errorf("%s does not change the key", name)
		}
	}
	if makeCacheKey(1, mediaJSON, &request{Query: "q"}) != makeCacheKey(1, mediaJSON, &request{Query: "q", Variables: map[string]any{}}) {
		t.Error("no variables and {} differ")
	}
}
