/* npz.c — the .npz backend: NumPy's zip archive of .npy arrays.
 *
 * numpy.savez writes each array as a member "NAME.npy" stored uncompressed;
 * numpy.savez_compressed deflates them. Both may carry zip64 extra fields
 * (numpy asks for them so members can pass 4 GiB). This reader follows the
 * zip specification (PKWARE APPNOTE): it finds the end-of-central-directory
 * record at the end of the file (and the zip64 one when present), walks
 * the central directory, and takes every member whose name ends in ".npy"
 * as a tensor named without the suffix, like numpy.load does, and, as it
 * does too, a member of any other name that starts with the .npy magic, by
 * its whole name. Other members are counted and skipped.
 *
 * Opening reads headers only. A stored member's array is read straight from
 * the mmap (no copy); for a deflated one just enough is inflated to parse
 * its .npy header. Reading a deflated tensor inflates it whole into a buffer
 * that is kept until the next deflated tensor is read — so walking a file
 * tensor by tensor holds one tensor in memory, not the file; the previous
 * tensor's data pointer is reset to NULL at that moment. Each member's CRC-32
 * is checked when it is read.
 *
 * Refused with a message: encryption, compression methods other than stored
 * and deflate, split archives, array names that are not UTF-8 (numpy writes
 * ASCII; qlens prints names and writes them into JSON), and any size or offset that points outside
 * the file or disagrees with the .npy header inside the member. A deflated
 * member whose stated size exceeds what deflate can produce from its
 * compressed bytes (about 1032:1) is refused before anything is allocated.
 */
#include "source_impl.h"
#include "npy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u

#define LOCAL_FIXED 30
#define CENTRAL_FIXED 46
#define EOCD_FIXED 22
#define EOCD64_FIXED 56
#define EOCD64_LOC_SIZE 20

#define METHOD_STORED 0
#define METHOD_DEFLATE 8

#define DEFLATE_MAX_RATIO 1032u    /* deflate's best case: 258 bytes per 2 bits */
#define NPY_HEADER_PREFIX (128u * 1024) /* bytes inflated at open for the header */

typedef struct npz_member {
	int method;
	uint64_t data;    /* offset of the member's (compressed) bytes in the file */
	uint64_t csize;
	uint64_t usize;
	uint32_t crc;
	uint64_t npy_data; /* where the array starts inside the uncompressed member */
	bool crc_checked;
	bool suffix;       /* the member is "NAME.npy" (else named NAME whole) */
} npz_member;

typedef struct npz_state {
	npz_member *members; /* one per tensor, same index */
	uint8_t *cache;      /* the last deflated member read */
	size_t cached;       /* its tensor index, or SIZE_MAX */
} npz_state;

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool npz_probe(const char *path, const uint8_t *head, size_t n, const ql_open_opts *opts)
{
	(void)path;
	(void)opts;
	return n >= 4 && head[0] == 'P' && head[1] == 'K' &&
	       ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

/* --- finding the central directory --------------------------------------- */

typedef struct zip_dir {
	uint64_t entries, offset, size;
} zip_dir;

static int find_directory(const uint8_t *m, uint64_t size, zip_dir *dir, ql_error *err)
{
	if (size < EOCD_FIXED)
		return ql_error_set(err, "zip archive is truncated (%llu bytes, no end-of-directory record)",
				    (unsigned long long)size);
	/* The record is 22 bytes plus a comment of up to 65535; search back. */
	uint64_t lowest = size > EOCD_FIXED + 65535u ? size - EOCD_FIXED - 65535u : 0;
	uint64_t at = UINT64_MAX;
	for (uint64_t p = size - EOCD_FIXED + 1; p-- > lowest;) {
		if (le(m + p, 4) == SIG_EOCD && p + EOCD_FIXED + le(m + p + 20, 2) <= size) {
			at = p;
			break;
		}
	}
	if (at == UINT64_MAX)
		return ql_error_set(err, "zip end-of-central-directory record not found (truncated archive?)");
	const uint8_t *e = m + at;
	if (le(e + 4, 2) != 0 || le(e + 6, 2) != 0)
		return ql_error_set(err, "split (multi-disk) zip archives are not supported");
	dir->entries = le(e + 10, 2);
	dir->size = le(e + 12, 4);
	dir->offset = le(e + 16, 4);
	if (le(e + 8, 2) != dir->entries)
		return ql_error_set(err, "zip end record: entry counts disagree");

	/* zip64: a locator right before the record points at the zip64 record. */
	if (at >= EOCD64_LOC_SIZE && le(m + at - EOCD64_LOC_SIZE, 4) == SIG_EOCD64_LOC) {
		const uint8_t *l = m + at - EOCD64_LOC_SIZE;
		uint64_t off64 = le(l + 8, 8);
		if (le(l + 4, 4) != 0 || le(l + 16, 4) > 1)
			return ql_error_set(err, "split (multi-disk) zip archives are not supported");
		if (off64 > size || size - off64 < EOCD64_FIXED || off64 > at - EOCD64_LOC_SIZE)
			return ql_error_set(err, "zip64 end record offset %llu lies outside the archive",
					    (unsigned long long)off64);
		const uint8_t *z = m + off64;
		if (le(z, 4) != SIG_EOCD64)
			return ql_error_set(err, "zip64 end record not found where the locator points");
		if (le(z + 16, 4) != 0 || le(z + 20, 4) != 0)
			return ql_error_set(err, "split (multi-disk) zip archives are not supported");
		if (le(z + 24, 8) != le(z + 32, 8))
			return ql_error_set(err, "zip64 end record: entry counts disagree");
		dir->entries = le(z + 32, 8);
		dir->size = le(z + 40, 8);
		dir->offset = le(z + 48, 8);
	} else if (dir->entries == 0xFFFF || dir->size == 0xFFFFFFFFu || dir->offset == 0xFFFFFFFFu) {
		return ql_error_set(err, "zip end record needs a zip64 record, which is missing");
	}
	if (dir->offset > size || dir->size > size - dir->offset || dir->offset + dir->size > at)
		return ql_error_set(err, "zip central directory [%llu, +%llu) lies outside the archive",
				    (unsigned long long)dir->offset, (unsigned long long)dir->size);
	if (dir->entries > dir->size / CENTRAL_FIXED)
		return ql_error_set(err, "zip end record claims %llu entries, more than the directory "
				    "of %llu bytes can hold", (unsigned long long)dir->entries,
				    (unsigned long long)dir->size);
	return 0;
}

/* --- one member -------------------------------------------------------------- */

typedef struct central_entry {
	const uint8_t *name;
	size_t name_len;
	int method;
	unsigned flags;
	uint32_t crc;
	uint64_t csize, usize, local;
} central_entry;

/* Reads the central entry at *pos (inside [dir_start, dir_end)); advances. */
static int read_central(const uint8_t *m, uint64_t *pos, uint64_t dir_end, uint64_t k,
			central_entry *ce, ql_error *err)
{
	uint64_t p = *pos;
	if (dir_end - p < CENTRAL_FIXED || le(m + p, 4) != SIG_CENTRAL)
		return ql_error_set(err, "zip central directory entry %llu is damaged", (unsigned long long)k);
	const uint8_t *c = m + p;
	ce->flags = (unsigned)le(c + 8, 2);
	ce->method = (int)le(c + 10, 2);
	ce->crc = (uint32_t)le(c + 16, 4);
	ce->csize = le(c + 20, 4);
	ce->usize = le(c + 24, 4);
	uint64_t nlen = le(c + 28, 2), xlen = le(c + 30, 2), clen = le(c + 32, 2);
	uint64_t disk = le(c + 34, 2);
	ce->local = le(c + 42, 4);
	if (dir_end - p - CENTRAL_FIXED < nlen + xlen + clen)
		return ql_error_set(err, "zip central directory entry %llu runs past the directory",
				    (unsigned long long)k);
	ce->name = c + CENTRAL_FIXED;
	ce->name_len = (size_t)nlen;

	/* zip64 extra field: the 64-bit values, in this order, for those whose
	 * 32-bit field is all ones. */
	const uint8_t *x = c + CENTRAL_FIXED + nlen, *xend = x + xlen;
	bool need_u = ce->usize == 0xFFFFFFFFu, need_c = ce->csize == 0xFFFFFFFFu;
	bool need_o = ce->local == 0xFFFFFFFFu, need_d = disk == 0xFFFF;
	while (xend - x >= 4) {
		unsigned id = (unsigned)le(x, 2);
		uint64_t len = le(x + 2, 2);
		x += 4;
		if ((uint64_t)(xend - x) < len)
			return ql_error_set(err, "zip entry %llu: an extra field runs past its end",
					    (unsigned long long)k);
		if (id == 0x0001) {
			const uint8_t *z = x, *zend = x + len;
			if (need_u) {
				if (zend - z < 8)
					goto short64;
				ce->usize = le(z, 8), z += 8, need_u = false;
			}
			if (need_c) {
				if (zend - z < 8)
					goto short64;
				ce->csize = le(z, 8), z += 8, need_c = false;
			}
			if (need_o) {
				if (zend - z < 8)
					goto short64;
				ce->local = le(z, 8), z += 8, need_o = false;
			}
			if (need_d) {
				if (zend - z < 4)
					goto short64;
				disk = le(z, 4), need_d = false;
			}
		}
		x += len;
	}
	if (need_u || need_c || need_o || need_d)
		goto short64;
	if (disk != 0)
		return ql_error_set(err, "split (multi-disk) zip archives are not supported");
	*pos = p + CENTRAL_FIXED + nlen + xlen + clen;
	return 0;
short64:
	return ql_error_set(err, "zip entry %llu: the zip64 extra field is missing or short",
			    (unsigned long long)k);
}

/* Feeds the next piece of src[0..csize) to zlib (avail_in is 32-bit). */
static void feed(z_stream *zs, const uint8_t *in, uint64_t csize, uint64_t *in_done)
{
	if (zs->avail_in || *in_done == csize)
		return;
	uint64_t chunk = csize - *in_done;
	if (chunk > UINT_MAX)
		chunk = UINT_MAX;
	zs->next_in = (Bytef *)(uintptr_t)(in + *in_done);
	zs->avail_in = (uInt)chunk;
	*in_done += chunk;
}

/* Inflates the raw deflate stream in[0..csize) into out[0..want). With
 * whole = true the stream must produce exactly `want` bytes and end there;
 * otherwise it stops after `want` bytes. Returns the bytes produced, or -1. */
static int64_t inflate_member(const uint8_t *in, uint64_t csize, uint8_t *out, uint64_t want,
			      bool whole, const char *name, ql_error *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
		return ql_error_set(err, "zlib could not start");
	uint64_t in_done = 0, out_done = 0;
	int rc = Z_OK;
	bool too_long = false;
	while (out_done < want) {
		feed(&zs, in, csize, &in_done);
		uint64_t room = want - out_done;
		if (room > UINT_MAX)
			room = UINT_MAX;
		zs.next_out = out + out_done;
		zs.avail_out = (uInt)room;
		rc = inflate(&zs, Z_NO_FLUSH);
		out_done += room - zs.avail_out;
		if (rc != Z_OK)
			break; /* Z_STREAM_END, or an error, or no input left */
	}
	if (whole && rc == Z_OK) {
		/* The output is full: the stream must end without another byte. */
		uint8_t extra;
		do {
			feed(&zs, in, csize, &in_done);
			zs.next_out = &extra;
			zs.avail_out = 1;
			rc = inflate(&zs, Z_NO_FLUSH);
			if (zs.avail_out == 0)
				too_long = true;
		} while (rc == Z_OK && !too_long);
	}
	const char *zmsg = zs.msg ? zs.msg : "zlib error";
	char why[128];
	snprintf(why, sizeof why, "%s", zmsg);
	inflateEnd(&zs);
	if (too_long)
		return ql_error_set(err, "member '%s' inflates to more than its stated %llu bytes",
				    name, (unsigned long long)want);
	if (rc == Z_DATA_ERROR || rc == Z_STREAM_ERROR || rc == Z_MEM_ERROR || rc == Z_NEED_DICT)
		return ql_error_set(err, "member '%s': deflate data is corrupt (%s)", name, why);
	if (whole && (rc != Z_STREAM_END || out_done != want))
		return ql_error_set(err, "member '%s' inflates to %llu bytes, but the directory says %llu",
				    name, (unsigned long long)out_done, (unsigned long long)want);
	if (!whole && out_done < want)
		return ql_error_set(err, "member '%s': deflate data ends after %llu bytes",
				    name, (unsigned long long)out_done);
	return (int64_t)out_done;
}

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t b = s[i];
		size_t len;
		uint32_t cp;
		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xE0) == 0xC0) {
			len = 2, cp = b & 0x1F;
		} else if ((b & 0xF0) == 0xE0) {
			len = 3, cp = b & 0x0F;
		} else if ((b & 0xF8) == 0xF0) {
			len = 4, cp = b & 0x07;
		} else {
			return false;
		}
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static bool ends_with_npy(const uint8_t *name, size_t n)
{
	return n >= 4 && memcmp(name + n - 4, ".npy", 4) == 0;
}

/* Adds the member of central entry ce as a tensor, or returns 1 if it is
 * not an array (skipped). */
static int add_member(ql_source *src, npz_state *st, const central_entry *ce, uint64_t k,
		      ql_error *err)
{
	const uint8_t *m = src->map;
	uint64_t size = src->size;
	char name[256];
	if (ce->name_len == 0 || ce->name[ce->name_len - 1] == '/')
		return 1; /* a directory */
	/* "NAME.npy" is tensor NAME; a member of another name is an array too
	 * when it starts with the .npy magic, named whole, as numpy.load does */
	bool suffix = ends_with_npy(ce->name, ce->name_len);
	size_t base_len = suffix ? ce->name_len - 4 : ce->name_len;
	if (base_len >= sizeof name)
		return ql_error_set(err, "zip entry %llu: name of %zu bytes is too long",
				    (unsigned long long)k, ce->name_len);
	if (memchr(ce->name, '\0', base_len) || !utf8_valid(ce->name, base_len))
		return ql_error_set(err, "zip entry %llu: the name is not valid UTF-8 text",
				    (unsigned long long)k);
	memcpy(name, ce->name, base_len);
	name[base_len] = '\0';
	if (base_len == 0)
		snprintf(name, sizeof name, "arr");

	if (!suffix && ((ce->flags & 1) || (ce->method != METHOD_STORED &&
					   ce->method != METHOD_DEFLATE)))
		return 1; /* not readable here, so not taken for an array */
	if (ce->flags & 1)
		return ql_error_set(err, "member '%s' is encrypted", name);
	if (ce->method != METHOD_STORED && ce->method != METHOD_DEFLATE)
		return ql_error_set(err, "member '%s' uses compression method %d (only stored and "
				    "deflate are supported)", name, ce->method);
	if (ce->local > size || size - ce->local < LOCAL_FIXED || le(m + ce->local, 4) != SIG_LOCAL)
		return ql_error_set(err, "member '%s': local header at %llu is missing or outside the "
				    "archive", name, (unsigned long long)ce->local);
	uint64_t data = ce->local + LOCAL_FIXED + le(m + ce->local + 26, 2) + le(m + ce->local + 28, 2);
	if (data > size || ce->csize > size - data)
		return ql_error_set(err, "member '%s': its %llu bytes at %llu run past the end of the "
				    "archive", name, (unsigned long long)ce->csize,
				    (unsigned long long)data);
	if (ce->method == METHOD_STORED && ce->csize != ce->usize)
		return ql_error_set(err, "member '%s' is stored, but its sizes differ (%llu and %llu)",
				    name, (unsigned long long)ce->csize, (unsigned long long)ce->usize);
	if (ce->method == METHOD_DEFLATE &&
	    ce->usize / DEFLATE_MAX_RATIO > ce->csize + 1)
		return ql_error_set(err, "member '%s' claims %llu bytes from %llu compressed, more "
				    "than deflate can produce", name, (unsigned long long)ce->usize,
				    (unsigned long long)ce->csize);

	/* The .npy header: in place for stored members, a prefix inflated for
	 * deflated ones. */
	static const uint8_t magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };
	ql_npy_header h;
	if (ce->method == METHOD_STORED) {
		if (!suffix && (ce->usize < 6 || memcmp(m + data, magic, 6) != 0))
			return 1;
		if (ql_npy_parse_header(m + data, ce->usize, &h, err))
			return ql_error_prefix(err, "member '%s'", name);
	} else {
		uint64_t want = ce->usize < NPY_HEADER_PREFIX ? ce->usize : NPY_HEADER_PREFIX;
		uint8_t *buf = malloc(want ? (size_t)want : 1);
		if (!buf)
			return ql_error_set(err, "out of memory");
		int64_t got = inflate_member(m + data, ce->csize, buf, want, want == ce->usize, name, err);
		if (!suffix && (got < 6 || memcmp(buf, magic, 6) != 0)) {
			free(buf);
			return 1; /* not an array (or not inflatable): skipped, as before */
		}
		int rc = got < 0 ? -1 : ql_npy_parse_header(buf, (uint64_t)got, &h, err);
		free(buf);
		if (rc)
			return got < 0 ? -1 : ql_error_prefix(err, "member '%s'", name);
	}

	ql_source_entry *e = ql_source_add(src, err);
	if (!e)
		return -1;
	ql_tensor *t = &e->t;
	memcpy(t->name, name, sizeof name);
	t->dtype = h.dtype;
	t->ndim = h.ndim;
	memcpy(t->shape, h.shape, sizeof h.shape);
	t->big_endian = h.big;
	t->fortran_order = h.fortran;
	t->nelem = ql_shape_elems(h.shape, h.ndim);
	if (t->nelem < 0)
		return ql_error_set(err, "member '%s': shape has more elements than fit in 64 bits", name);
	int64_t nbytes = ql_dtype_bytes(h.dtype, t->nelem);
	if (nbytes < 0)
		return ql_error_set(err, "member '%s': array is too large", name);
	t->nbytes = (uint64_t)nbytes;
	uint64_t avail = ce->usize - h.data_offset; /* data_offset <= usize: parse checked */
	if (t->nbytes != avail)
		return ql_error_set(err, "member '%s': the shape needs %llu bytes of data, the member "
				    "has %llu", name, (unsigned long long)t->nbytes,
				    (unsigned long long)avail);
	e->offset = ce->method == METHOD_STORED ? data + h.data_offset : 0;

	npz_member *mem = &st->members[src->count - 1];
	*mem = (npz_member){ .method = ce->method, .data = data, .csize = ce->csize,
			     .usize = ce->usize, .crc = ce->crc, .npy_data = h.data_offset,
			     .suffix = suffix };
	return 0;
}

static void npz_close(ql_source *src)
{
	npz_state *st = src->priv;
	if (!st)
		return;
	free(st->members);
	free(st->cache);
	free(st);
	src->priv = NULL;
}

static int npz_open(ql_source *src, ql_error *err)
{
	zip_dir dir = {0};
	if (!src->map)
		return ql_error_set(err, "zip archive is empty");
	if (find_directory(src->map, src->size, &dir, err))
		return -1;
	npz_state *st = calloc(1, sizeof *st);
	if (!st)
		return ql_error_set(err, "out of memory");
	src->priv = st;
	st->cached = SIZE_MAX;
	if (dir.entries) {
		st->members = calloc((size_t)dir.entries, sizeof *st->members);
		if (!st->members)
			return ql_error_set(err, "out of memory");
	}
	uint64_t pos = dir.offset, end = dir.offset + dir.size;
	uint64_t skipped = 0;
	bool any_stored = false, any_deflated = false;
	for (uint64_t k = 0; k < dir.entries; k++) {
		central_entry ce = {0};
		if (read_central(src->map, &pos, end, k, &ce, err))
			return -1;
		int rc = add_member(src, st, &ce, k, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			skipped++;
			continue;
		}
		if (ce.method == METHOD_STORED)
			any_stored = true;
		else
			any_deflated = true;
	}
	const char *how = any_stored && any_deflated ? "stored and deflated"
			  : any_deflated ? "deflated (savez_compressed)"
			  : any_stored ? "stored (savez)" : "no arrays";
	if (ql_source_add_meta(src, "members", how, err))
		return -1;
	if (skipped) {
		char msg[64];
		snprintf(msg, sizeof msg, "%llu %s", (unsigned long long)skipped,
			 skipped == 1 ? "member that is not a .npy array"
				      : "members that are not .npy arrays");
		if (ql_source_add_meta(src, "skipped", msg, err))
			return -1;
	}
	return 0;
}

static int npz_read(ql_source *src, size_t i, ql_error *err)
{
	npz_state *st = src->priv;
	if (!st || i >= src->count)
		return ql_error_set(err, "no tensor number %zu", i);
	npz_member *mem = &st->members[i];
	ql_tensor *t = &src->tensors[i].t;
	const uint8_t *in = src->map + mem->data;
	if (mem->method == METHOD_STORED) {
		if (!mem->crc_checked) {
			uLong crc = crc32(0L, Z_NULL, 0);
			for (uint64_t done = 0; done < mem->csize;) {
				uint64_t chunk = mem->csize - done;
				if (chunk > UINT_MAX)
					chunk = UINT_MAX;
				crc = crc32(crc, in + done, (uInt)chunk);
				done += chunk;
			}
			if ((uint32_t)crc != mem->crc)
				return ql_error_set(err, "member '%s%s' fails its CRC-32 check "
						    "(the archive is damaged)", t->name,
						    mem->suffix ? ".npy" : "");
			mem->crc_checked = true;
		}
		t->data = src->map + src->tensors[i].offset;
		return 0;
	}
	/* Deflated: drop the previous tensor's buffer, inflate this one. */
	if (st->cached != SIZE_MAX) {
		src->tensors[st->cached].t.data = NULL;
		free(st->cache);
		st->cache = NULL;
		st->cached = SIZE_MAX;
	}
	if (mem->usize > SIZE_MAX)
		return ql_error_set(err, "member '%s%s' is too large", t->name,
				    mem->suffix ? ".npy" : "");
	uint8_t *buf = malloc(mem->usize ? (size_t)mem->usize : 1);
	if (!buf)
		return ql_error_set(err, "member '%s%s': out of memory (%llu bytes)", t->name,
				    mem->suffix ? ".npy" : "",
				    (unsigned long long)mem->usize);
	char name[sizeof t->name + 4];
	snprintf(name, sizeof name, "%s%s", t->name, mem->suffix ? ".npy" : "");
	if (inflate_member(in, mem->csize, buf, mem->usize, true, name, err) < 0) {
		free(buf);
		return -1;
	}
	uLong crc = crc32(0L, Z_NULL, 0);
	for (uint64_t done = 0; done < mem->usize;) {
		uint64_t chunk = mem->usize - done;
		if (chunk > UINT_MAX)
			chunk = UINT_MAX;
		crc = crc32(crc, buf + done, (uInt)chunk);
		done += chunk;
	}
	if ((uint32_t)crc != mem->crc) {
		free(buf);
		return ql_error_set(err, "member '%s' fails its CRC-32 check (the archive is damaged)",
				    name);
	}
	st->cache = buf;
	st->cached = i;
	t->data = buf + mem->npy_data;
	return 0;
}

const ql_source_backend ql_backend_npz = {
	.name = "npz",
	.probe = npz_probe,
	.open = npz_open,
	.read = npz_read,
	.close = npz_close,
};
