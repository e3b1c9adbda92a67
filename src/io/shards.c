/* shards.c — the sharded-safetensors backend: a Hugging Face checkpoint split
 * over several .safetensors files.
 *
 * Such a checkpoint has an index, "model.safetensors.index.json":
 *
 *   {"metadata": {"total_size": 13476839424},
 *    "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors", ...}}
 *
 * Opening the index, or any one shard that an index in the same folder
 * lists, opens every shard it names and shows all their tensors as one
 * source (shard by shard, in file-name order; each shard's tensors in data
 * order). Each shard is parsed by the safetensors backend itself, with all
 * of that reader's checks, and mapped read-only; nothing is copied.
 *
 * Checks of its own: the index is a JSON object (at most 100 MB) whose
 * "weight_map" maps names to file names; a file name is relative to the
 * index's folder and may not be absolute or climb out with "..";
 * every tensor the index lists is found in the shard it names. Tensors a
 * shard holds that the index does not list are shown too. Duplicate keys
 * in the index (at its top, in "weight_map", in "metadata") are refused.
 *
 * The index is read by the strict JSON pull parser of jsonp.h into one
 * arena (every decoded string fits in the bytes it was read from), with
 * "weight_map" sorted by tensor name for lookups.
 */
#include "source_impl.h"
#include "jsonp.h"

#include <dirent.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ql_source_backend ql_backend_safetensors;

#define INDEX_MAX 100000000u
#define INDEX_SUFFIX ".safetensors.index.json"

typedef struct shard {
	char *name;          /* as the index spells it */
	const uint8_t *map;
	uint64_t size;
} shard;

typedef struct shards_state {
	shard *shards;
	size_t count;
	size_t *tensor_shard; /* per tensor: its shard */
} shards_state;

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* "dir/x" -> "dir/" (malloc'd); "x" -> "". */
static char *dir_of(const char *path)
{
	size_t n = (size_t)(base_name(path) - path);
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 1);
	if (p) {
		memcpy(p, dir, a);
		memcpy(p + a, name, b + 1);
	}
	return p;
}

/* One "weight_map" entry. */
typedef struct wm_entry {
	const char *name;
	const char *file;    /* NULL if the value is not a string */
} wm_entry;

/* A parsed index. */
typedef struct index_data {
	char *arena;         /* every decoded string */
	size_t used, size;
	wm_entry *wm;        /* in the file's order */
	size_t wm_count;
	uint32_t *slots;     /* hash index of wm by name: 0 or 1 + position */
	size_t slots_cap;    /* a power of two */
	ql_meta *meta;       /* "metadata" as text (strings in the arena) */
	size_t meta_count;
} index_data;

static void index_free(index_data *ix)
{
	if (!ix)
		return;
	free(ix->arena);
	free(ix->wm);
	free(ix->slots);
	free(ix->meta);
	free(ix);
}

/* A decoded copy of s in the arena (which is never short: a string's
 * decoded bytes and NUL fit in its text with the quotes). */
static const char *arena_str(index_data *ix, const ql_jp_str *s)
{
	char *out = ix->arena + ix->used;
	ql_jp_decode(s, out);
	ix->used += s->len + 1;
	return out;
}

/* Compacted copy of a JSON value's text: blanks outside strings dropped
 * (what jansson's JSON_COMPACT printed for arrays, objects and literals). */
static const char *arena_compact(index_data *ix, const uint8_t *t, size_t n)
{
	char *out = ix->arena + ix->used, *o = out;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = t[i];
		if (in_str) {
			*o++ = (char)c;
			if (c == '\\' && i + 1 < n)
				*o++ = (char)t[++i];
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			*o++ = (char)c;
			in_str = true;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	ix->used += (size_t)(o - out) + 1;
	return out;
}

/* Indexes ix->wm by name; returns a name that appears twice, or NULL
 * (also when out of memory: *oom is then set). */
static const char *index_wm(index_data *ix, bool *oom)
{
	size_t cap = 16;
	while (cap < 2 * ix->wm_count)
		cap *= 2;
	*oom = ix->wm_count > UINT32_MAX - 1 || !(ix->slots = calloc(cap, sizeof *ix->slots));
	if (*oom)
		return NULL;
	ix->slots_cap = cap;
	for (size_t i = 0; i < ix->wm_count; i++) {
		const char *name = ix->wm[i].name;
		for (size_t k = (size_t)ql_name_hash(name) & (cap - 1);; k = (k + 1) & (cap - 1)) {
			if (!ix->slots[k]) {
				ix->slots[k] = (uint32_t)i + 1;
				break;
			}
			if (strcmp(ix->wm[ix->slots[k] - 1].name, name) == 0)
				return name;
		}
	}
	return NULL;
}

static int cmp_meta_key(const void *a, const void *b)
{
	return strcmp(((const ql_meta *)a)->key, ((const ql_meta *)b)->key);
}

/* arr (of `size`-byte elements, *cap of them allocated) with room for
 * element `count`: as it is, or grown (first `first`, then doubling).
 * NULL: out of memory, arr untouched. */
static void *room_for_one(void *arr, size_t count, size_t *cap, size_t size, size_t first)
{
	if (count < *cap)
		return arr;
	size_t n = *cap ? *cap * 2 : first;
	void *p = realloc(arr, n * size);
	if (p)
		*cap = n;
	return p;
}

static int parse_weight_map(ql_jp *j, index_data *ix)
{
	size_t cap = 0;
	bool first = true;
	ql_jp_str key, val;
	int r;
	if (ql_jp_begin(j, '{'))
		return -1;
	while ((r = ql_jp_next_key(j, &first, &key)) == 1) {
		wm_entry *w = room_for_one(ix->wm, ix->wm_count, &cap, sizeof *w, 256);
		if (!w)
			return ql_jp_fail(j, "out of memory");
		ix->wm = w;
		wm_entry *e = &ix->wm[ix->wm_count++];
		e->name = arena_str(ix, &key);
		e->file = NULL;
		if (ql_jp_peek(j) == '"') {
			if (ql_jp_string(j, &val))
				return -1;
			/* a name with a NUL in it would open the file its first
			 * part names: no file name, as a number is not */
			e->file = val.has_nul ? NULL : arena_str(ix, &val);
		} else if (ql_jp_skip(j, NULL, NULL)) {
			return -1;
		}
	}
	return r;
}

/* "metadata" values as text: strings as they are, integers as written,
 * reals as %.17g, anything else as compact JSON. */
static int parse_index_meta(ql_jp *j, index_data *ix)
{
	size_t cap = 0;
	bool first = true;
	ql_jp_str key, val;
	int r;
	if (ql_jp_begin(j, '{'))
		return -1;
	while ((r = ql_jp_next_key(j, &first, &key)) == 1) {
		ql_meta *mp = room_for_one(ix->meta, ix->meta_count, &cap, sizeof *mp, 8);
		if (!mp)
			return ql_jp_fail(j, "out of memory");
		ix->meta = mp;
		ql_meta *m = &ix->meta[ix->meta_count++];
		m->key = (char *)arena_str(ix, &key);
		int c = ql_jp_peek(j);
		if (c == '"') {
			if (ql_jp_string(j, &val))
				return -1;
			m->value = (char *)arena_str(ix, &val);
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			ql_jp_num kind;
			const uint8_t *t;
			size_t n;
			if (ql_jp_number(j, &kind, NULL, &t, &n))
				return -1;
			if (kind == QL_JP_REAL) {
				char num[400];
				snprintf(num, sizeof num, "%.*s", (int)(n < sizeof num ? n : sizeof num - 1),
					 (const char *)t);
				m->value = ix->arena + ix->used;
				ix->used += (size_t)snprintf(m->value, 32, "%.17g", strtod(num, NULL)) + 1;
			} else {
				m->value = (char *)arena_compact(ix, t, n);
			}
		} else {
			const uint8_t *t;
			size_t n;
			if (ql_jp_skip(j, &t, &n))
				return -1;
			m->value = (char *)arena_compact(ix, t, n);
		}
	}
	return r;
}

/* Parses an index's bytes; NULL with a message if it is not JSON or has
 * no "weight_map" object. */
static index_data *parse_index(const uint8_t *text, uint64_t n, ql_error *err)
{
	if (n > INDEX_MAX) {
		ql_error_set(err, "index is larger than 100 MB");
		return NULL;
	}
	index_data *ix = calloc(1, sizeof *ix);
	/* Room for every decoded string (it fits in its quoted text) and a
	 * %.17g real (at most 24 bytes and a NUL) for each real in "metadata"
	 * (each takes at least 8 bytes of text: ,"":1e5): 4n + 64 is enough;
	 * pages never written are never touched. */
	if (ix) {
		ix->size = 4 * (size_t)n + 64;
		ix->arena = malloc(ix->size);
	}
	if (!ix || !ix->arena) {
		index_free(ix);
		ql_error_set(err, "out of memory");
		return NULL;
	}
	ql_jp j;
	ql_jp_init(&j, text, (size_t)n);
	bool root_object = ql_jp_peek(&j) == '{';
	bool have_wm = false, have_meta = false, wm_object = false;
	if (root_object) {
		bool first = true;
		ql_jp_str key;
		int r;
		ql_jp_begin(&j, '{');
		while ((r = ql_jp_next_key(&j, &first, &key)) == 1) {
			bool is_wm = ql_jp_str_is(&key, "weight_map");
			bool is_meta = !is_wm && ql_jp_str_is(&key, "metadata");
			if ((is_wm && have_wm) || (is_meta && have_meta)) {
				ql_jp_fail(&j, is_wm ? "duplicate key \"weight_map\"" : "duplicate key \"metadata\"");
				break;
			}
			int c = ql_jp_peek(&j);
			if (is_wm && c == '{') {
				have_wm = wm_object = true;
				if (parse_weight_map(&j, ix))
					break;
			} else if (is_meta && c == '{') {
				have_meta = true;
				if (parse_index_meta(&j, ix))
					break;
			} else {
				have_wm |= is_wm; /* not an object: refused below */
				have_meta |= is_meta;
				if (ql_jp_skip(&j, NULL, NULL))
					break;
			}
		}
	} else {
		ql_jp_skip(&j, NULL, NULL);
	}
	ql_jp_finish(&j);
	if (j.msg) {
		ql_error_set(err, "index is not valid JSON: %s (at byte %zu)", j.msg, j.at);
		index_free(ix);
		return NULL;
	}
	bool oom;
	const char *dup = index_wm(ix, &oom);
	if (dup || oom) {
		if (oom)
			ql_error_set(err, "out of memory");
		else
			ql_error_set(err, "index is not valid JSON: duplicate key '%s' in \"weight_map\"", dup);
		index_free(ix);
		return NULL;
	}
	if (ix->meta_count > 1) {
		ql_meta *sorted = malloc(ix->meta_count * sizeof *sorted);
		if (!sorted) {
			ql_error_set(err, "out of memory");
			index_free(ix);
			return NULL;
		}
		memcpy(sorted, ix->meta, ix->meta_count * sizeof *sorted);
		qsort(sorted, ix->meta_count, sizeof *sorted, cmp_meta_key);
		for (size_t i = 1; i < ix->meta_count; i++)
			if (strcmp(sorted[i - 1].key, sorted[i].key) == 0) {
				ql_error_set(err, "index is not valid JSON: duplicate key '%s' in \"metadata\"",
					     sorted[i].key);
				free(sorted);
				index_free(ix);
				return NULL;
			}
		free(sorted);
	}
	if (!root_object || !wm_object) {
		index_free(ix);
		ql_error_set(err, "index has no \"weight_map\" object");
		return NULL;
	}
	return ix;
}

/* The tensor's entry in the index, or NULL. */
static const wm_entry *index_find(const index_data *ix, const char *name)
{
	size_t cap = ix->slots_cap;
	for (size_t k = (size_t)ql_name_hash(name) & (cap - 1); ix->slots[k]; k = (k + 1) & (cap - 1))
		if (strcmp(ix->wm[ix->slots[k] - 1].name, name) == 0)
			return &ix->wm[ix->slots[k] - 1];
	return NULL;
}

/* probing: the index was found by looking in the folder, not named by the
 * user, so only a regular file is opened (a FIFO there must not hang us). */
static index_data *load_index(const char *path, bool probing, ql_error *err)
{
	const uint8_t *map;
	uint64_t size;
	if ((probing ? ql_map_regular : ql_map_file)(path, &map, &size, err))
		return NULL;
	index_data *ix = map ? parse_index(map, size, err) : NULL;
	if (!map)
		ql_error_set(err, "%s: index is empty", path);
	ql_unmap_file(map, size, 1);
	return ix;
}

/* True if the index's weight_map names `file` as a shard. */
static bool index_lists(const index_data *ix, const char *file)
{
	for (size_t i = 0; i < ix->wm_count; i++)
		if (ix->wm[i].file && strcmp(ix->wm[i].file, file) == 0)
			return true;
	return false;
}

/* For a shard path: the index next to it that lists it (malloc'd), or NULL;
 * with ixp, also that index, parsed (the caller frees it), so that opening
 * a shard reads its index once. */
static char *find_index_for(const char *shard_path, index_data **ixp)
{
	char *dir = dir_of(shard_path);
	if (!dir)
		return NULL;
	DIR *d = opendir(*dir ? dir : ".");
	char *found = NULL;
	if (d) {
		struct dirent *de;
		while (!found && (de = readdir(d)) != NULL) {
			if (!ends_with(de->d_name, INDEX_SUFFIX))
				continue;
			char *p = join(dir, de->d_name);
			index_data *ix = p ? load_index(p, true, NULL) : NULL;
			if (ix && index_lists(ix, base_name(shard_path))) {
				found = p;
				if (ixp) {
					*ixp = ix;
					ix = NULL;
				}
			} else {
				free(p);
			}
			index_free(ix);
		}
		closedir(d);
	}
	free(dir);
	return found;
}

static bool shards_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	if (opts && opts->raw_dtype)
		return false;
	if (ends_with(path, ".index.json")) {
		size_t i = 0;
		while (i < n && i < 64 && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' ||
					   head[i] == '\t'))
			i++;
		return i < n && head[i] == '{';
	}
	if (!ends_with(path, ".safetensors"))
		return false;
	char *idx = find_index_for(path, NULL);
	free(idx);
	return idx != NULL;
}

/* A shard file name must stay inside the index's folder. */
static bool safe_name(const char *s)
{
	if (!*s || s[0] == '/')
		return false;
	for (const char *p = s; *p;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len + (slash ? 1 : 0);
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void free_temp(ql_source *tmp)
{
	for (size_t i = 0; i < tmp->meta_count; i++) {
		free(tmp->meta[i].key);
		free(tmp->meta[i].value);
	}
	free(tmp->meta);
	free(tmp->tensors);
	ql_source_unindex_names(tmp);
}

/* Opens shard k (already mapped) with the safetensors backend and moves its
 * tensors into src. */
static int add_shard(ql_source *src, shards_state *st, size_t k, const index_data *ix, const char *path,
		     ql_error *err)
{
	shard *sh = &st->shards[k];
	ql_source tmp = { 0 };
	tmp.path = (char *)path;
	tmp.format = ql_backend_safetensors.name;
	tmp.backend = &ql_backend_safetensors;
	tmp.map = sh->map;
	tmp.size = sh->size;
	int rc = -1;
	if (!sh->map) {
		ql_error_set(err, "shard %s is empty", sh->name);
		goto out;
	}
	if (ql_backend_safetensors.open(&tmp, err)) {
		ql_error_prefix(err, "shard %s", sh->name);
		goto out;
	}
	size_t *ts = realloc(st->tensor_shard, (src->count + tmp.count) * sizeof *ts);
	if (!ts) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	st->tensor_shard = ts;
	for (size_t i = 0; i < tmp.count; i++) {
		const ql_source_entry *te = &tmp.tensors[i];
		const wm_entry *where = index_find(ix, te->t.name);
		if (where && (!where->file || strcmp(where->file, sh->name) != 0)) {
			ql_error_set(err, "tensor '%s' is in shard %s, but the index says %s", te->t.name,
				     sh->name, where->file ? where->file : "(not a string)");
			goto out;
		}
		if (te->offset > sh->size || te->t.nbytes > sh->size - te->offset) {
			ql_error_set(err, "shard %s: tensor '%s' lies outside the file", sh->name, te->t.name);
			goto out;
		}
		ql_source_entry *e = ql_source_add(src, err);
		if (!e)
			goto out;
		*e = *te;
		st->tensor_shard[src->count - 1] = k;
	}
	/* The shard's own __metadata__, where the index has not said it already. */
	for (size_t i = 0; i < tmp.meta_count; i++) {
		bool have = false;
		for (size_t j = 0; j < src->meta_count && !have; j++)
			have = strcmp(src->meta[j].key, tmp.meta[i].key) == 0;
		if (!have && ql_source_add_meta(src, tmp.meta[i].key, tmp.meta[i].value, err))
			goto out;
	}
	rc = 0;
out:
	free_temp(&tmp);
	return rc;
}

/* The index's "metadata" values as text. */
static int add_index_meta(ql_source *src, const index_data *ix, ql_error *err)
{
	for (size_t i = 0; i < ix->meta_count; i++)
		if (ql_source_add_meta(src, ix->meta[i].key, ix->meta[i].value, err))
			return -1;
	return 0;
}

static void shards_close(ql_source *src)
{
	shards_state *st = src->priv;
	if (!st)
		return;
	for (size_t i = 0; i < st->count; i++) {
		ql_unmap_file(st->shards[i].map, st->shards[i].size, src->threads);
		free(st->shards[i].name);
	}
	free(st->shards);
	free(st->tensor_shard);
	free(st);
	src->priv = NULL;
}

static int shards_open(ql_source *src, ql_error *err)
{
	char *index_path = NULL;
	index_data *root;
	if (ends_with(src->path, ".index.json")) {
		if (!src->map)
			return ql_error_set(err, "index is empty");
		root = parse_index(src->map, src->size, err);
	} else {
		root = NULL;
		index_path = find_index_for(src->path, &root);
		if (!index_path)
			return ql_error_set(err, "the index next to this shard has gone");
	}
	if (!root) {
		free(index_path);
		return -1;
	}
	int rc = -1;
	char *dir = dir_of(index_path ? index_path : src->path);
	size_t n = root->wm_count;
	const char **names = calloc(n ? n : 1, sizeof *names);
	shards_state *st = calloc(1, sizeof *st);
	if (!dir || !names || !st) {
		free(st);
		ql_error_set(err, "out of memory");
		goto out;
	}
	src->priv = st;

	/* The distinct shard files, sorted. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const wm_entry *w = &root->wm[i];
		if (!w->file) {
			ql_error_set(err, "index: weight_map[\"%s\"] is not a file name", w->name);
			goto out;
		}
		if (!safe_name(w->file)) {
			ql_error_set(err, "index: shard name \"%s\" leaves the index's folder", w->file);
			goto out;
		}
		/* a file like the last one's adds nothing (entries of one shard
		 * usually come together): the sort below gets one per run */
		if (k == 0 || strcmp(names[k - 1], w->file) != 0)
			names[k++] = w->file;
	}
	qsort(names, k, sizeof *names, cmp_str);
	size_t distinct = 0;
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			names[distinct++] = names[i];
	if (distinct == 0) {
		ql_error_set(err, "index: weight_map is empty");
		goto out;
	}
	st->shards = calloc(distinct, sizeof *st->shards);
	if (!st->shards) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	if (add_index_meta(src, root, err))
		goto out;
	/* the index names every tensor (shards may hold a few more) */
	if (ql_source_reserve(src, root->wm_count, err))
		goto out;
	char count[32];
	snprintf(count, sizeof count, "%zu", distinct);
	if (ql_source_add_meta(src, "shards", count, err))
		goto out;
	for (size_t i = 0; i < distinct; i++) {
		shard *sh = &st->shards[i];
		sh->name = strdup(names[i]);
		char *path = join(dir, names[i]);
		if (!sh->name || !path) {
			free(path);
			ql_error_set(err, "out of memory");
			goto out;
		}
		st->count = i + 1;
		if (ql_map_regular(path, &sh->map, &sh->size, err) ||
		    add_shard(src, st, i, root, path, err)) {
			free(path);
			goto out;
		}
		free(path);
	}
	/* Every tensor the index lists must have been found (the list is
	 * final: its name index answers each in O(1)). */
	long dup = ql_source_index_names(src, err);
	if (dup == -2)
		goto out;
	if (dup >= 0) {
		ql_error_set(err, "tensor name '%s' appears twice", src->tensors[dup].t.name);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (ql_source_find(src, root->wm[i].name) < 0) {
			ql_error_set(err, "index lists tensor '%s' in %s, which does not hold it",
				     root->wm[i].name, root->wm[i].file);
			goto out;
		}
	}
	rc = 0;
out:
	free(names);
	free(dir);
	free(index_path);
	index_free(root);
	return rc;
}

static int shards_read(ql_source *src, size_t i, ql_error *err)
{
	shards_state *st = src->priv;
	if (!st || i >= src->count)
		return ql_error_set(err, "no tensor number %zu", i);
	const shard *sh = &st->shards[st->tensor_shard[i]];
	const ql_source_entry *e = &src->tensors[i];
	if (e->offset > sh->size || e->t.nbytes > sh->size - e->offset)
		return ql_error_set(err, "tensor '%s' lies outside shard %s", e->t.name, sh->name);
	src->tensors[i].t.data = sh->map + e->offset;
	return 0;
}

static void shards_release(ql_source *src, size_t i)
{
	shards_state *st = src->priv;
	ql_source_entry *e = &src->tensors[i];
	if (!st || !e->t.data)
		return;
	const shard *sh = &st->shards[st->tensor_shard[i]];
	ql_map_release(sh->map, sh->size, e->t.data, e->t.nbytes, src->threads);
	e->t.data = NULL;
}

const ql_source_backend ql_backend_shards = {
	.name = "safetensors-sharded",
	.probe = shards_probe,
	.open = shards_open,
	.read = shards_read,
	.release = shards_release,
	.close = shards_close,
};
