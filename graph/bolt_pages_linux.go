package graph

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropPages releases the pages of the bbolt file this process has mapped
// and touched (MADV_DONTNEED). bbolt reads the file through a shared
// read-only mapping, so every page a read or a write's lookups touch
// stays in the process's resident memory until the kernel needs it:
// reading the graph at open, or a load's index lookups, would keep the
// file's size resident on top of the heap. The pages stay in the page
// cache; a later read maps them again. It runs inside a read transaction,
// which keeps bbolt from remapping meanwhile.
func dropPages(db *bolt.DB) {
	_ = db.View(func(tx *bolt.Tx) error {
		size := tx.Size()
		if size <= 0 {
			return nil
		}
		// The address stays a uintptr: the mapping is not Go memory.
		_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, db.Info().Data, uintptr(size), syscall.MADV_DONTNEED)
		if errno != 0 {
			return errno
		}
		return nil
	})
}
