//go:build !unix

package loadgen

import "time"

func raiseNoFile(uint64) error { return nil }

func cpuTime() time.Duration { return 0 }
