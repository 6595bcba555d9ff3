package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram records non-negative durations (nanoseconds) in log-linear buckets: exact below 256 ns,
// then 128 buckets per power of two, so a quantile is within 0.4% of the recorded value.
// Record is safe for concurrent use and does not allocate; the zero value is ready.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
}

const (
	subBits     = 7
	subCount    = 1 << subBits // buckets per power of two
	histBuckets = 2*subCount + (64-subBits-1)*subCount
)

// bucketOf maps v to its bucket index.
func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1) // ≥ 1
	top := v >> uint(shift)                // in [subCount, 2*subCount)
	return 2*subCount + (shift-1)*subCount + int(top-subCount)
}

// bucketRange returns the smallest value of bucket i and its width.
func bucketRange(i int) (lo, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	k := i - 2*subCount
	shift := uint(k/subCount + 1)
	top := uint64(k%subCount + subCount)
	return top << shift, 1 << shift
}

// Record adds one sample; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
}

// Count is the number of samples recorded.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Quantile returns the value at quantile q (0 < q ≤ 1): the midpoint of the bucket holding the
// sample of rank ceil(q·count), or 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	rank = min(rank, n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, w := bucketRange(i)
			return time.Duration(lo + (w-1)/2)
		}
	}
	lo, w := bucketRange(histBuckets - 1)
	return time.Duration(lo + w - 1)
}
