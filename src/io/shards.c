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
 * shard holds that the index does not list are shown too.
 */
#include "source_impl.h"

#include <dirent.h>
#include <jansson.h>
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

/* Parses an index's bytes; returns the root object with a "weight_map"
 * object, or NULL with a message. */
static json_t *parse_index(const uint8_t *text, uint64_t n, ql_error *err)
{
	if (n > INDEX_MAX) {
		ql_error_set(err, "index is larger than 100 MB");
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb((const char *)text, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ql_error_set(err, "index is not valid JSON: %s (line %d)", jerr.text, jerr.line);
		return NULL;
	}
	json_t *wm = json_object_get(root, "weight_map");
	if (!json_is_object(root) || !json_is_object(wm)) {
		json_decref(root);
		ql_error_set(err, "index has no \"weight_map\" object");
		return NULL;
	}
	return root;
}

/* probing: the index was found by looking in the folder, not named by the
 * user, so only a regular file is opened (a FIFO there must not hang us). */
static json_t *load_index(const char *path, bool probing, ql_error *err)
{
	const uint8_t *map;
	uint64_t size;
	if ((probing ? ql_map_regular : ql_map_file)(path, &map, &size, err))
		return NULL;
	json_t *root = map ? parse_index(map, size, err) : NULL;
	if (!map)
		ql_error_set(err, "%s: index is empty", path);
	ql_unmap_file(map, size);
	return root;
}

/* True if the index's weight_map names `file` as a shard. */
static bool index_lists(json_t *root, const char *file)
{
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(root, "weight_map"), key, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), file) == 0)
			return true;
	}
	return false;
}

/* For a shard path: the index next to it that lists it (malloc'd), or NULL. */
static char *find_index_for(const char *shard_path)
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
			json_t *root = p ? load_index(p, true, NULL) : NULL;
			if (root && index_lists(root, base_name(shard_path)))
				found = p;
			else
				free(p);
			json_decref(root);
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
	char *idx = find_index_for(path);
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
}

/* Opens shard k (already mapped) with the safetensors backend and moves its
 * tensors into src. */
static int add_shard(ql_source *src, shards_state *st, size_t k, json_t *wm, const char *path,
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
		json_t *where = json_object_get(wm, te->t.name);
		if (where && (!json_is_string(where) || strcmp(json_string_value(where), sh->name) != 0)) {
			ql_error_set(err, "tensor '%s' is in shard %s, but the index says %s", te->t.name,
				     sh->name, json_is_string(where) ? json_string_value(where) : "(not a string)");
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
static int add_index_meta(ql_source *src, json_t *root, ql_error *err)
{
	json_t *meta = json_object_get(root, "metadata");
	if (!json_is_object(meta))
		return 0;
	const char *key;
	json_t *v;
	json_object_foreach(meta, key, v) {
		char buf[64];
		const char *text = buf;
		char *dumped = NULL;
		if (json_is_string(v))
			text = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
		else
			text = dumped = json_dumps(v, JSON_COMPACT);
		int rc = ql_source_add_meta(src, key, text ? text : "", err);
		free(dumped);
		if (rc)
			return -1;
	}
	return 0;
}

static void shards_close(ql_source *src)
{
	shards_state *st = src->priv;
	if (!st)
		return;
	for (size_t i = 0; i < st->count; i++) {
		ql_unmap_file(st->shards[i].map, st->shards[i].size);
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
	json_t *root;
	if (ends_with(src->path, ".index.json")) {
		if (!src->map)
			return ql_error_set(err, "index is empty");
		root = parse_index(src->map, src->size, err);
	} else {
		index_path = find_index_for(src->path);
		if (!index_path)
			return ql_error_set(err, "the index next to this shard has gone");
		root = load_index(index_path, true, err);
		if (!root)
			ql_error_prefix(err, "%s", index_path);
	}
	if (!root) {
		free(index_path);
		return -1;
	}
	int rc = -1;
	char *dir = dir_of(index_path ? index_path : src->path);
	json_t *wm = json_object_get(root, "weight_map");
	size_t n = json_object_size(wm);
	const char **names = calloc(n ? n : 1, sizeof *names);
	const char **sorted = NULL;
	shards_state *st = calloc(1, sizeof *st);
	if (!dir || !names || !st) {
		free(st);
		ql_error_set(err, "out of memory");
		goto out;
	}
	src->priv = st;

	/* The distinct shard files, sorted. */
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach(wm, key, v) {
		if (!json_is_string(v)) {
			ql_error_set(err, "index: weight_map[\"%s\"] is not a file name", key);
			goto out;
		}
		if (!safe_name(json_string_value(v))) {
			ql_error_set(err, "index: shard name \"%s\" leaves the index's folder",
				     json_string_value(v));
			goto out;
		}
		names[k++] = json_string_value(v);
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
		    add_shard(src, st, i, wm, path, err)) {
			free(path);
			goto out;
		}
		free(path);
	}
	/* Every tensor the index lists must have been found (names sorted, so
	 * this stays fast for an index of any size). */
	sorted = malloc((src->count ? src->count : 1) * sizeof *sorted);
	if (!sorted) {
		ql_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < src->count; i++)
		sorted[i] = src->tensors[i].t.name;
	qsort(sorted, src->count, sizeof *sorted, cmp_str);
	json_object_foreach(wm, key, v) {
		if (!bsearch(&key, sorted, src->count, sizeof *sorted, cmp_str)) {
			ql_error_set(err, "index lists tensor '%s' in %s, which does not hold it", key,
				     json_string_value(v));
			goto out;
		}
	}
	rc = 0;
out:
	free(sorted);
	free(names);
	free(dir);
	free(index_path);
	json_decref(root);
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
	ql_map_release(sh->map, sh->size, e->t.data, e->t.nbytes);
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
