/* testutil.c — helpers shared by the suites (see testutil.h). */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qlens/io.h"

FILE *tu_golden_open(const char *name)
{
	const char *dir = getenv("QLENS_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/golden/%s", dir && *dir ? dir : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

bool tu_golden_line(FILE *f, char *buf, size_t n)
{
	while (fgets(buf, (int)n, f)) {
		size_t len = strlen(buf);
		if (len + 1 >= n && buf[len - 1] != '\n')
			fail_msg("golden line longer than %zu bytes", n - 2);
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		return true;
	}
	return false;
}

double tu_golden_double(const char *text)
{
	if (!strcmp(text, "nan"))
		return NAN;
	if (!strcmp(text, "-nan"))
		return -NAN;
	if (!strcmp(text, "inf"))
		return INFINITY;
	if (!strcmp(text, "-inf"))
		return -INFINITY;
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end)
		fail_msg("'%s' is not a golden double", text);
	return v;
}

void tu_assert_same_floats(const float *a, const float *b, int64_t n, const char *what)
{
	for (int64_t i = 0; i < n; i++) {
		if (isnan(a[i]) && isnan(b[i]))
			continue;
		if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
			fail_msg("%s[%lld]: %a (%.9g), the reference has %a (%.9g)", what, (long long)i,
				 (double)a[i], (double)a[i], (double)b[i], (double)b[i]);
	}
}

uint8_t *tu_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Rewrites the file in place: write, then cut to n. Not O_TRUNC (fopen
 * "wb"): on ext4 a file truncated to zero and written again is flushed to
 * disk when closed (auto_da_alloc), a real disk write for every call, which
 * made the byte-flip and truncation loops I/O-bound (seconds of iowait per
 * suite). The content afterwards is the same: exactly data[0..n). */
void tu_rewrite_fd(int fd, const void *data, size_t n)
{
	if (n)
		assert_int_equal(pwrite(fd, data, n, 0), (ssize_t)n);
	assert_int_equal(ftruncate(fd, (off_t)n), 0);
}

void tu_spew(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	tu_rewrite_fd(fd, data, n);
	assert_int_equal(close(fd), 0);
}

int tu_make_tmpdir(char *dir, size_t size, const char *tag)
{
	snprintf(dir, size, "/tmp/qlens-%s-XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

void tu_remove_tmpdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

void tu_byte_flips(const char *golden, const char *dir, const char *ext, int rounds)
{
	size_t n;
	uint8_t *data = tu_slurp(golden, &n);
	assert_non_null(data);
	uint8_t *m = malloc(n);
	assert_non_null(m);
	char path[256];
	snprintf(path, sizeof path, "%s/mut.%s", dir, ext);
	uint64_t seed = 0x9E3779B97F4A7C15u;
	int opened = 0, refused = 0;
	for (int round = 0; round < rounds; round++) {
		memcpy(m, data, n);
		int flips = 1 + round % 4;
		for (int k = 0; k < flips; k++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			size_t at = (size_t)(seed >> 33) % (round % 2 ? n : (n < 160 ? n : 160));
			m[at] ^= (uint8_t)(1u << ((seed >> 29) & 7));
		}
		tu_spew(path, m, n);
		ql_source *src;
		ql_error err;
		if (ql_source_open(path, NULL, &src, &err) != 0) {
			assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
			refused++;
			continue;
		}
		opened++;
		for (size_t i = 0; i < ql_source_count(src); i++) {
			float *x;
			if (ql_source_read_f32(src, i, &x, &err) == 0)
				free(x);
		}
		ql_source_close(src);
	}
	assert_true(opened > 0 && refused > 0);
	free(m);
	free(data);
	unlink(path);
}

uint32_t tu_next_u32(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

float tu_uniform(uint64_t *s)
{
	return (float)(tu_next_u32(s) >> 8) * (1.0f / 16777216.0f);
}

float tu_bits_f(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

FILE *tu_npy_create(const char *path, const char *descr, bool fortran, int64_t rows,
		    int64_t cols)
{
	char header[160];
	int n;
	if (cols > 0)
		n = snprintf(header, sizeof header,
			     "{'descr': '%s', 'fortran_order': %s, 'shape': (%lld, %lld), }", descr,
			     fortran ? "True" : "False", (long long)rows, (long long)cols);
	else
		n = snprintf(header, sizeof header,
			     "{'descr': '%s', 'fortran_order': %s, 'shape': (%lld,), }", descr,
			     fortran ? "True" : "False", (long long)rows);
	int total = ((10 + n + 1) + 63) / 64 * 64;
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("%s: cannot create", path);
	fwrite("\x93NUMPY\x01\x00", 1, 8, f);
	uint16_t hl = (uint16_t)(total - 10);
	fwrite(&hl, 2, 1, f);
	fwrite(header, 1, (size_t)n, f);
	for (int i = 10 + n; i < total - 1; i++)
		fputc(' ', f);
	fputc('\n', f);
	return f;
}

int tu_fitted(const char *r, const char *text, const char *ell)
{
	char head[16];
	snprintf(head, sizeof head, "%.12s", text);
	const char *p = strstr(r, head);
	if (!p)
		return -1;
	size_t i = 0;
	while (text[i] && p[i] == text[i])
		i++;
	if (!text[i])
		return 1;
	bool at_word = text[i] == ' ' || (strchr(",;:(", text[i]) && text[i + 1] == ' ');
	const char *after = p + i + strlen(ell);
	return !(i < 4 || !at_word || strncmp(p + i, ell, strlen(ell)) != 0 ||
		 after[strspn(after, " ")]);
}

const char *tu_join_rows(const char *a, const char *b, char *out, size_t n)
{
	snprintf(out, n, "%s", a);
	size_t len = strlen(out);
	while (len > 0 && out[len - 1] == ' ')
		out[--len] = '\0';
	snprintf(out + len, n - len, " %s", b + strspn(b, " "));
	len = strlen(out);
	while (len > 0 && out[len - 1] == ' ')
		out[--len] = '\0';
	return out;
}
