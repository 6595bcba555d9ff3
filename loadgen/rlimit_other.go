//go:build !unix

package loadgen

func raiseNoFile(uint64) error { return nil }
