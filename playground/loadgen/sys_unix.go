//go:build unix

package loadgen

import (
	"fmt"
	"syscall"
	"time"
)

// raiseNoFile raises RLIMIT_NOFILE's soft limit to the hard limit and fails if that is below need.
func raiseNoFile(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("setrlimit: %w", err)
		}
	}
	if uint64(lim.Cur) < need { // Cur is int64 on FreeBSD
		return fmt.Errorf("open file limit %d < %d needed: raise it (ulimit -n) or use fewer connections", lim.Cur, need)
	}
	return nil
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
