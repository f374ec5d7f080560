//go:build !linux

package graph

import bolt "go.etcd.io/bbolt"

// dropPages does nothing off Linux (see bolt_pages_linux.go).
func dropPages(*bolt.DB) {}
