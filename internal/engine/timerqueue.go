package engine

import "math/bits"

// timerQueue is a radix heap: a priority queue for keys that never go below the last
// one taken out, which is what due times are. Items go into one of 65 buckets by the
// highest bit in which their key differs from that last key; a push is an append,
// and a pop empties the lowest bucket into lower ones. Every access is an append to
// or a sweep through a short list of buckets, never a walk down a tree spread over
// memory: with 100k streams a binary heap's pop costs several cache misses, this one
// about none.
type timerQueue struct {
	last     int64 // no key in the queue is below it
	buckets  [65][]memItem
	mins     [65]int64 // the smallest key of each non-empty bucket
	nonEmpty uint64    // bit b set: buckets[b] has items (b < 64)
	n        int
}

type memItem struct {
	due int64
	s   *memStream
}

// bucketOf is the bucket of a key >= last: one past the highest bit in which it
// differs from last. A higher bucket holds only larger keys, also across zero (the
// bits that differ are the same whether or not the sign bit is flipped first).
func (q *timerQueue) bucketOf(key int64) int {
	return bits.Len64(uint64(key) ^ uint64(q.last))
}

func (q *timerQueue) add(b int, it memItem) {
	if len(q.buckets[b]) == 0 || it.due < q.mins[b] {
		q.mins[b] = it.due
	}
	q.buckets[b] = append(q.buckets[b], it)
	if b < 64 {
		q.nonEmpty |= 1 << b
	}
}

// push adds it and returns the key it was queued with: its due, or the last key
// taken out when its due is earlier (a late timer fires at the next chance).
func (q *timerQueue) push(it memItem) int64 {
	if it.due < q.last {
		it.due = q.last
	}
	q.add(q.bucketOf(it.due), it)
	q.n++
	return it.due
}

// lowest is the first non-empty bucket; call only when n > 0.
func (q *timerQueue) lowest() int {
	if q.nonEmpty != 0 {
		return bits.TrailingZeros64(q.nonEmpty)
	}
	return 64
}

// peek returns the smallest key; ok is false when the queue is empty.
func (q *timerQueue) peek() (int64, bool) {
	if q.n == 0 {
		return 0, false
	}
	return q.mins[q.lowest()], true
}

// pop removes an item with the smallest key; call only when n > 0.
func (q *timerQueue) pop() memItem {
	if b := q.lowest(); b > 0 {
		// Make the bucket's smallest key the new last: its items all fall into
		// lower buckets, the smallest ones into bucket 0.
		items := q.buckets[b]
		q.last = q.mins[b]
		q.buckets[b] = items[:0]
		if b < 64 {
			q.nonEmpty &^= 1 << b
		}
		for _, it := range items {
			q.add(q.bucketOf(it.due), it)
		}
		clear(items)
	}
	zero := q.buckets[0]
	it := zero[len(zero)-1]
	zero[len(zero)-1] = memItem{}
	q.buckets[0] = zero[:len(zero)-1]
	if len(q.buckets[0]) == 0 {
		q.nonEmpty &^= 1
	}
	q.n--
	return it
}
