/* select.c — order statistics of a float array in two passes
 * (qlens/calib.h: ql_select_ranks).
 *
 * A float's bits, flipped as radix sorts flip them (all bits of a negative
 * one, the sign bit of the rest), order as the floats do: their top 16
 * bits name one of 65,536 buckets in value order (1/128 of an octave
 * each). Pass 1 counts the values per bucket; the running sums then tell
 * in which bucket each wanted rank lies and at which rank within it. Pass
 * 2 copies the values of those few buckets out, and each rank is selected
 * within its bucket's values (quickselect on a small array). Two reads of
 * the data instead of the several that a quickselect per rank makes on
 * the whole array: the 10 ranks of the tensor statistics' percentiles on
 * 16M values took 1.1 s that way.
 *
 * The order among equal floats of different bits (-0 and +0, the only
 * such finite pair) is the bits' (-0 first); any order gives the same
 * values. When the wanted buckets hold more than a quarter of the values
 * (a tensor of few distinct values), the copy would cost more than it
 * saves and the ranks are selected in a itself, one quickselect each; so
 * they are below 16,384 values, where clearing the counts would cost more
 * than the quickselects (per-channel percentiles select in short rows).
 */
#include "qlens/calib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB 65536 /* buckets: the top 16 bits */
#define SMALL 16384

static inline uint32_t key_of(float v)
{
	uint32_t u;
	memcpy(&u, &v, sizeof u);
	return u ^ ((uint32_t)-(int32_t)(u >> 31) | 0x80000000u);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* The fallback: ranks in increasing order, each by quickselect on the part
 * of a not yet ordered (a[0..from) are then the `from` smallest). */
static void select_in_place(float *a, size_t n, const size_t *sorted, int nr, float *val)
{
	size_t from = 0;
	for (int r = 0; r < nr; r++) {
		size_t k = sorted[r];
		if (k >= from) {
			ql_select_kth(a + from, n - from, k - from);
			from = k + 1;
		}
		val[r] = a[k];
	}
}

int ql_select_ranks(float *a, size_t n, const size_t *ranks, int nr, float *out, ql_error *err)
{
	if (nr <= 0)
		return 0;
	if (nr > QL_SELECT_MAX)
		return ql_error_set(err, "select: %d ranks, at most %d", nr, QL_SELECT_MAX);
	for (int r = 0; r < nr; r++)
		if (ranks[r] >= n)
			return ql_error_set(err, "select: rank %zu of %zu values", ranks[r], n);
	size_t sorted[QL_SELECT_MAX];
	memcpy(sorted, ranks, (size_t)nr * sizeof *sorted);
	qsort(sorted, (size_t)nr, sizeof *sorted, cmp_size);
	float val[QL_SELECT_MAX]; /* the value of sorted[r] */
	int r;

	/* Below SMALL values a quickselect per rank costs less than clearing
	 * the counts (per-channel percentiles select in rows of a few
	 * thousand); counts are 32-bit. */
	uint32_t *count = n >= SMALL && n <= UINT32_MAX ? calloc(NB, sizeof *count) : NULL;
	if (!count) { /* small, huge or no memory for the counts: in place */
		select_in_place(a, n, sorted, nr, val);
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		count[key_of(a[i]) >> 16]++;
	/* each sorted rank's bucket and its rank within it */
	uint32_t bucket[QL_SELECT_MAX];
	size_t within[QL_SELECT_MAX];
	size_t below = 0;
	r = 0;
	for (uint32_t b = 0; b < NB && r < nr; b++) {
		while (r < nr && sorted[r] < below + count[b]) {
			bucket[r] = b;
			within[r] = sorted[r] - below;
			r++;
		}
		below += count[b];
	}
	/* the distinct wanted buckets, a slot each: where its values go */
	uint32_t slot_bucket[QL_SELECT_MAX];
	size_t slot_start[QL_SELECT_MAX + 1], total = 0;
	int ns = 0;
	for (r = 0; r < nr; r++) {
		if (ns && slot_bucket[ns - 1] == bucket[r])
			continue;
		slot_bucket[ns] = bucket[r];
		slot_start[ns] = total;
		total += count[bucket[r]];
		ns++;
	}
	slot_start[ns] = total;
	float *buf = total <= n / 4 ? malloc((total ? total : 1) * sizeof *buf) : NULL;
	if (!buf) {
		free(count);
		select_in_place(a, n, sorted, nr, val);
		goto done;
	}
	/* the counts become each bucket's slot + 1 (0: not wanted) */
	memset(count, 0, NB * sizeof *count);
	for (int s = 0; s < ns; s++)
		count[slot_bucket[s]] = (uint32_t)s + 1;
	size_t fill[QL_SELECT_MAX];
	memcpy(fill, slot_start, (size_t)ns * sizeof *fill);
	for (size_t i = 0; i < n; i++) {
		uint32_t s = count[key_of(a[i]) >> 16];
		if (s)
			buf[fill[s - 1]++] = a[i];
	}
	/* within each slot, its ranks in increasing order */
	for (int s = 0, r0 = 0; s < ns; s++) {
		float *v = buf + slot_start[s];
		size_t m = slot_start[s + 1] - slot_start[s], from = 0;
		for (; r0 < nr && bucket[r0] == slot_bucket[s]; r0++) {
			size_t k = within[r0];
			if (k >= from) {
				ql_select_kth(v + from, m - from, k - from);
				from = k + 1;
			}
			val[r0] = v[k];
		}
	}
	free(buf);
	free(count);
done:
	/* back in the caller's order */
	for (int i = 0; i < nr; i++)
		for (r = 0; r < nr; r++)
			if (sorted[r] == ranks[i]) {
				out[i] = val[r];
				break;
			}
	return 0;
}
