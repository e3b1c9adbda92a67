/* testutil.h — small helpers the suites share (tests/testutil.c, linked
 * into every test program): reading golden-vector files, whole-file read
 * and write with cmocka assertions, a scratch folder, and the random
 * byte-flip test. */
#ifndef QLENS_TESTUTIL_H
#define QLENS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Golden-vector text files (tests/golden/NAME, found under $QLENS_SRCDIR):
 *
 *   FILE *f = tu_golden_open("valueinfo.txt");   // fails the test if missing
 *   char line[512];
 *   while (tu_golden_line(f, line, sizeof line)) ...sscanf(line, ...)...
 *   fclose(f);
 *
 * tu_golden_line gives the next data line without its newline, skipping
 * blank lines and '#' comments, and fails the test on a line longer than
 * the buffer (never a silently cut line). */
FILE *tu_golden_open(const char *name);
bool tu_golden_line(FILE *f, char *buf, size_t n);
/* A double written by Python's float.hex(), or inf, -inf, nan, -nan. */
double tu_golden_double(const char *text);

/* Fails the test unless a and b hold the same n floats bit for bit (NaN
 * equals NaN of any payload: PyTorch canonicalises them); `what` names the
 * array in the message. */
void tu_assert_same_floats(const float *a, const float *b, int64_t n, const char *what);

/* The whole file (malloc'd; NULL if it cannot be opened) and its size. */
uint8_t *tu_slurp(const char *path, size_t *n);
/* Writes n bytes to path (asserts on failure). */
void tu_spew(const char *path, const void *data, size_t n);
/* Creates path as a .npy (version 1.0) of dtype descr ("<f4", ">f8", ...),
 * rows x cols (cols <= 0: a 1-D array of rows), Fortran order if asked,
 * its header written and padded to 64 bytes; the caller writes the data
 * and closes the file. Fails the test if path cannot be made. */
FILE *tu_npy_create(const char *path, const char *descr, bool fortran, int64_t rows,
		    int64_t cols);
/* Makes the open file fd hold exactly data[0..n) (pwrite, then ftruncate
 * to n: never a truncation to zero, which ext4 flushes to disk on close). */
void tu_rewrite_fd(int fd, const void *data, size_t n);
/* Makes /tmp/qlens-TAG-XXXXXX into dir[size]; 0 or -1. */
int tu_make_tmpdir(char *dir, size_t size, const char *tag);
/* Removes the files in dir, then dir. */
void tu_remove_tmpdir(const char *dir);
/* Opens `rounds` copies of the valid file `golden`, each with 1-4 random bit
 * flips (fixed seed; half of them in the first 160 bytes, where headers
 * are), written as DIR/mut.EXT, and decodes every tensor of those that
 * open. Each must open or fail with a message naming the file; ASan and
 * UBSan watch the rest. Asserts that both outcomes happened. */
void tu_byte_flips(const char *golden, const char *dir, const char *ext, int rounds);

/* The kernel tests' pseudo-random numbers (xorshift64, state *s, any
 * nonzero seed): the next 32 bits, a float in [0, 1) with 24 random bits,
 * and the float of a bit pattern. */
/* A screen row r shows text whole, or its beginning to the end of a word
 * and then the ellipsis ell ("…", "..."), nothing after it: never a cut
 * word. -1: text's first 12 bytes are not on the row; 0: cut elsewhere;
 * 1: as it should be. */
int tu_fitted(const char *r, const char *text, const char *ell);

/* Two screen rows read as one text into out (a's trailing blanks and b's
 * leading ones as one space, b's trailing blanks dropped): a message
 * wrapped over two rows. Returns out. */
const char *tu_join_rows(const char *a, const char *b, char *out, size_t n);

uint32_t tu_next_u32(uint64_t *s);
float tu_uniform(uint64_t *s);
float tu_bits_f(uint32_t u);

#endif
