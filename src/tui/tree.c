/* tree.c — the inspector's tensor tree (see inspect.h).
 *
 * Names are split at dots; every part but the last two is a group, the last
 * two stay one leaf ("q_proj.weight", "attn_q.weight"), so the leaves read
 * as the layer's weight and bias, as a model's code names them; but a
 * number is always a group ("layers.0.w": layers > 0 > w). A name with no
 * dot is a leaf of its own. Each group keeps the totals of what is below
 * it: tensors, elements, bytes, and the set of dtypes; with a filter, the
 * totals of the tensors the filter keeps too.
 */
#include "inspect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int add_node(ql_ttree *t, int parent, const char *label, size_t len, long tensor)
{
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		ql_tnode *nn = realloc(t->nodes, (size_t)cap * sizeof *nn);
		if (!nn)
			return -1;
		t->nodes = nn;
		t->cap = cap;
	}
	ql_tnode *n = &t->nodes[t->n];
	memset(n, 0, sizeof *n);
	n->label = strndup(label, len);
	if (!n->label)
		return -1;
	n->parent = parent;
	n->tensor = tensor;
	if (parent >= 0) {
		ql_tnode *p = &t->nodes[parent];
		if (p->nkids == p->capkids) {
			int cap = p->capkids ? p->capkids * 2 : 4;
			int *k = realloc(p->kids, (size_t)cap * sizeof *k);
			if (!k) {
				free(n->label);
				return -1;
			}
			p->kids = k;
			p->capkids = cap;
		}
		p->kids[p->nkids++] = t->n;
	}
	return t->n++;
}

/* The groups made so far, by (parent, label), while the tree is built:
 * open addressing over a power of two slots of 1 + node index. A parent
 * with 80,000 numbered children ("layers.0" ... "layers.79999") made the
 * scan of its children quadratic. */
typedef struct gindex {
	int *slots;
	size_t cap, used;
} gindex;

static uint64_t ghash(int parent, const char *label, size_t len)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)(unsigned)parent;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)label[i]) * 1099511628211ull;
	return h;
}

static bool gindex_put(gindex *g, const ql_ttree *t, int node);

static bool gindex_grow(gindex *g, const ql_ttree *t)
{
	gindex bigger = { .cap = g->cap ? g->cap * 2 : 256 };
	bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
	if (!bigger.slots)
		return false;
	for (size_t i = 0; i < g->cap; i++)
		if (g->slots[i])
			gindex_put(&bigger, t, g->slots[i] - 1);
	free(g->slots);
	*g = bigger;
	return true;
}

static bool gindex_put(gindex *g, const ql_ttree *t, int node)
{
	if (2 * (g->used + 1) > g->cap && !gindex_grow(g, t))
		return false;
	const ql_tnode *n = &t->nodes[node];
	size_t k = (size_t)ghash(n->parent, n->label, strlen(n->label)) & (g->cap - 1);
	while (g->slots[k])
		k = (k + 1) & (g->cap - 1);
	g->slots[k] = node + 1;
	g->used++;
	return true;
}

/* The group called label[0..len) under parent, made if missing. */
static int group(ql_ttree *t, gindex *g, int parent, const char *label, size_t len)
{
	if (g->cap) {
		size_t k = (size_t)ghash(parent, label, len) & (g->cap - 1);
		for (; g->slots[k]; k = (k + 1) & (g->cap - 1)) {
			const ql_tnode *n = &t->nodes[g->slots[k] - 1];
			if (n->parent == parent && strncmp(n->label, label, len) == 0 && n->label[len] == '\0')
				return g->slots[k] - 1;
		}
	}
	int node = add_node(t, parent, label, len, -1);
	if (node >= 0 && !gindex_put(g, t, node))
		return -1;
	return node;
}

int ql_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			size_t la = 0, lb = 0;
			while (isdigit((unsigned char)a[la]))
				la++;
			while (isdigit((unsigned char)b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = memcmp(a, b, la);
			if (c)
				return c < 0 ? -1 : 1;
			a += la;
			b += lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static const ql_ttree *sort_tree; /* qsort has no user pointer */

static int cmp_kids(const void *pa, const void *pb)
{
	const ql_tnode *a = &sort_tree->nodes[*(const int *)pa];
	const ql_tnode *b = &sort_tree->nodes[*(const int *)pb];
	if (sort_tree->sort == QL_TSORT_SIZE) {
		uint64_t x = sort_tree->filter[0] ? a->f_bytes : a->bytes;
		uint64_t y = sort_tree->filter[0] ? b->f_bytes : b->bytes;
		if (x != y)
			return x > y ? -1 : 1;
	}
	int c = ql_natural_cmp(a->label, b->label);
	return c ? c : (a->tensor < 0) - (b->tensor < 0);
}

static void sort_all(ql_ttree *t)
{
	sort_tree = t;
	for (int i = 0; i < t->n; i++)
		if (t->nodes[i].nkids > 1)
			qsort(t->nodes[i].kids, (size_t)t->nodes[i].nkids, sizeof(int), cmp_kids);
	sort_tree = NULL;
}

static bool matches(const char *name, const char *filter)
{
	if (!filter[0])
		return true;
	size_t fl = strlen(filter);
	for (const char *p = name; *p; p++)
		if (strncasecmp(p, filter, fl) == 0)
			return true;
	return false;
}

/* The filtered totals, bottom up (children always follow their parents). */
static void filter_totals(ql_ttree *t, const ql_source *src)
{
	for (int i = 0; i < t->n; i++) {
		ql_tnode *n = &t->nodes[i];
		n->f_ntensors = n->f_nelem = 0;
		n->f_bytes = n->f_dtypes = 0;
	}
	for (int i = t->n - 1; i >= 0; i--) {
		ql_tnode *n = &t->nodes[i];
		if (n->tensor >= 0) {
			const ql_tensor *x = ql_source_tensor(src, (size_t)n->tensor);
			if (matches(x->name, t->filter)) {
				n->f_ntensors = 1;
				n->f_nelem = n->nelem;
				n->f_bytes = n->bytes;
				n->f_dtypes = n->dtypes;
			}
		}
		if (n->parent >= 0) {
			ql_tnode *p = &t->nodes[n->parent];
			p->f_ntensors += n->f_ntensors;
			p->f_nelem += n->f_nelem;
			p->f_bytes += n->f_bytes;
			p->f_dtypes |= n->f_dtypes;
		}
	}
}

static int push_row(ql_ttree *t, int node, int depth)
{
	if (t->nrows == t->caprows) {
		int cap = t->caprows ? t->caprows * 2 : 256;
		int *r = realloc(t->rows, (size_t)cap * sizeof *r);
		if (!r)
			return -1;
		t->rows = r;
		int *d = realloc(t->depth, (size_t)cap * sizeof *d);
		if (!d)
			return -1;
		t->depth = d;
		t->caprows = cap;
	}
	t->rows[t->nrows] = node;
	t->depth[t->nrows] = depth;
	t->nrows++;
	return 0;
}

static void layout_kids(ql_ttree *t, int node, int depth)
{
	ql_tnode *n = &t->nodes[node];
	bool filtering = t->filter[0] != '\0';
	for (int i = 0; i < n->nkids; i++) {
		int k = n->kids[i];
		ql_tnode *kn = &t->nodes[k];
		if (filtering && kn->f_ntensors == 0)
			continue;
		if (push_row(t, k, depth))
			return;
		/* a filter opens every group that holds a match */
		if (kn->tensor < 0 && (kn->open || filtering))
			layout_kids(t, k, depth + 1);
	}
}

void ql_ttree_layout(ql_ttree *t)
{
	t->nrows = 0;
	if (t->n > 0)
		layout_kids(t, 0, 0);
}

int ql_ttree_build(ql_ttree *t, const ql_source *src, ql_error *err)
{
	memset(t, 0, sizeof *t);
	gindex gi = { 0 };
	if (add_node(t, -1, "", 0, -1) < 0)
		goto oom;
	size_t count = ql_source_count(src);
	for (size_t i = 0; i < count; i++) {
		const ql_tensor *x = ql_source_tensor(src, i);
		const char *name = x->name;
		/* the start of the leaf: after the second-to-last dot */
		const char *leaf = name;
		const char *last = strrchr(name, '.');
		if (last) {
			const char *p = last;
			while (p > name && p[-1] != '.')
				p--;
			leaf = p > name ? p : name;
			/* a number before the last part is a layer, not a module:
			 * "layers.0.w" is layers > 0 > w */
			bool digits = p < last;
			for (const char *q = p; q < last; q++)
				digits &= *q >= '0' && *q <= '9';
			if (digits)
				leaf = last + 1;
		}
		int parent = 0;
		const char *s = name;
		while (s < leaf) {
			const char *dot = strchr(s, '.');
			if (!dot || dot >= leaf)
				break;
			if (dot > s) /* empty parts ("a..b") are skipped */
				if ((parent = group(t, &gi, parent, s, (size_t)(dot - s))) < 0)
					goto oom;
			s = dot + 1;
		}
		int node = add_node(t, parent, leaf, strlen(leaf), (long)i);
		if (node < 0)
			goto oom;
		ql_tnode *n = &t->nodes[node];
		n->ntensors = 1;
		n->nelem = x->nelem;
		n->bytes = x->nbytes;
		n->dtypes = (uint64_t)1 << (x->dtype < 64 ? x->dtype : 63);
		for (int p = parent; p >= 0; p = t->nodes[p].parent) {
			ql_tnode *g = &t->nodes[p];
			g->ntensors++;
			g->nelem += x->nelem;
			g->bytes += x->nbytes;
			g->dtypes |= n->dtypes;
		}
	}
	t->nodes[0].open = true;
	/* open the groups of the first level when there are few */
	if (t->nodes[0].nkids <= 3)
		for (int i = 0; i < t->nodes[0].nkids; i++)
			t->nodes[t->nodes[0].kids[i]].open = true;
	free(gi.slots);
	filter_totals(t, src);
	sort_all(t);
	ql_ttree_layout(t);
	return 0;
oom:
	free(gi.slots);
	ql_ttree_free(t);
	return ql_error_set(err, "out of memory for the tensor tree");
}

void ql_ttree_free(ql_ttree *t)
{
	for (int i = 0; i < t->n; i++) {
		free(t->nodes[i].label);
		free(t->nodes[i].kids);
	}
	free(t->nodes);
	free(t->rows);
	free(t->depth);
	memset(t, 0, sizeof *t);
}

void ql_ttree_set_sort(ql_ttree *t, const ql_source *src, ql_tsort s)
{
	(void)src;
	t->sort = s;
	sort_all(t);
	ql_ttree_layout(t);
}

void ql_ttree_set_filter(ql_ttree *t, const ql_source *src, const char *filter)
{
	snprintf(t->filter, sizeof t->filter, "%s", filter ? filter : "");
	filter_totals(t, src);
	if (t->sort == QL_TSORT_SIZE)
		sort_all(t);
	ql_ttree_layout(t);
}

int ql_ttree_reveal(ql_ttree *t, long tensor)
{
	int node = -1;
	for (int i = 0; i < t->n; i++)
		if (t->nodes[i].tensor == tensor)
			node = i;
	if (node < 0)
		return -1;
	for (int p = t->nodes[node].parent; p >= 0; p = t->nodes[p].parent)
		t->nodes[p].open = true;
	ql_ttree_layout(t);
	for (int r = 0; r < t->nrows; r++)
		if (t->rows[r] == node)
			return r;
	return -1;
}

void ql_ttree_open_all(ql_ttree *t, bool open)
{
	for (int i = 1; i < t->n; i++)
		if (t->nodes[i].tensor < 0)
			t->nodes[i].open = open;
	ql_ttree_layout(t);
}

void ql_fmt_count(int64_t n, char *buf, size_t sz)
{
	static const char suf[] = " kMGTP";
	double v = (double)n;
	int i = 0;
	while (v >= 999.5 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, sz, "%lld", (long long)n);
	else
		snprintf(buf, sz, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" : "%.0f%c", v, suf[i]);
}

void ql_fmt_bytes(uint64_t n, char *buf, size_t sz)
{
	static const char *const suf[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	int i = 0;
	while (v >= 1023.5 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, sz, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, sz, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s", v, suf[i]);
}

void ql_fmt_fit(double v, int width, char *buf, size_t sz)
{
	for (int p = 4; p >= 1; p--) {
		snprintf(buf, sz, "%.*g", p, v);
		if ((int)strlen(buf) <= width)
			return;
	}
}
