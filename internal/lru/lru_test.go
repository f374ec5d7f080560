package lru

import "testing"

func TestCountBounded(t *testing.T) {
	c := New[string, int](2, nil)
	c.AddIfAbsent("a", 1)
	c.AddIfAbsent("b", 2)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatal("a missing")
	}
	c.AddIfAbsent("c", 3) // evicts b, the least recently used
	if _, ok := c.Get("b"); ok {
		t.Error("b not evicted")
	}
	if _, ok := c.Get("a"); !ok {
		t.Error("a evicted")
	}
	if v := c.AddIfAbsent("a", 4); v != 1 {
		t.Errorf("AddIfAbsent gave %d, want the value there, 1", v)
	}
	if n, cost := c.Len(); n != 2 || cost != 2 {
		t.Errorf("%d entries costing %d, want 2 and 2", n, cost)
	}
}

func TestCostBounded(t *testing.T) {
	c := New[int, string](80, func(s string) int64 { return int64(len(s)) })
	for i := range 10 {
		c.Add(i, "0123456789") // 10 each: 8 fit
		if i == 7 {
			c.Get(0) // recently used: survives the next two
		}
	}
	if n, cost := c.Len(); n != 8 || cost != 80 {
		t.Errorf("%d entries costing %d, want 8 costing 80", n, cost)
	}
	if _, ok := c.Get(0); !ok {
		t.Error("a recently used entry was evicted")
	}
	if _, ok := c.Get(1); ok {
		t.Error("an old entry survived")
	}
	c.Add(100, "01234567890") // 11 > 80/8: not stored, nothing evicted
	if _, ok := c.Get(100); ok {
		t.Error("an entry over an eighth of the bound was stored")
	}
	c.Add(9, "x") // replacing keeps the accounting right
	if _, cost := c.Len(); cost != 71 {
		t.Errorf("cost %d after a replacement, want 71", cost)
	}
}
