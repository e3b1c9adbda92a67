/* lesson.h — lessons: plain-text files in lessons/, parsed here (no curses).
 *
 * The format is documented for teachers in lessons/README.md. In short:
 *
 *   title: Data types                header lines (before the first step)
 *   summary: one line for the course list
 *   --- A step's title               a step starts with three dashes
 *   Prose, *emphasis*, `code`.       text; blank lines separate paragraphs
 *   # Heading   - list item          light markup; ``` fences a code block
 *   1/3 as fp32 is {=.60 cast(fp32, 1/3)}.     a number computed by the core
 *   @run bits 1/3 --types fp32       a command's output, in place
 *   @run lines=1-12 quantize ...     only lines 1 to 12 of its output
 *   @open bits 0.1                   a screen, entered with Enter
 *   @note Ask who has used fp16.     speaker notes (qlens lesson N --notes)
 *   @quiz Question?  @choice A  @right B  @answer EXPR  @hint H  @explain E
 *   @task Goal  @try COMMAND  @check KEY OP EXPR  @keep WORD...
 *   @source Name, URL                the lesson's sources: the parser adds
 *                                    them as a last step, "Sources"
 *   ; a comment
 *
 * Widgets name qlens's own commands and screens only; the words are split
 * here (quotes, no shell), and the UI layer checks the names against its
 * tables. A widget whose words write a file (-o, --output) is flagged so the
 * player asks first and --print never runs it.
 */
#ifndef QLENS_LESSON_H
#define QLENS_LESSON_H

#include <stdbool.h>
#include <stddef.h>

#include "qlens/error.h"

typedef enum ql_lesson_kind {
	QL_LB_TEXT,    /* a paragraph (lines joined by spaces) */
	QL_LB_HEADING, /* # or ## */
	QL_LB_LIST,    /* one list item */
	QL_LB_CODE,    /* a fenced block, lines kept */
	QL_LB_RUN,     /* a command, its output shown in place */
	QL_LB_OPEN,    /* a screen, entered with Enter */
	QL_LB_QUIZ,    /* a question */
	QL_LB_TASK,    /* a goal checked on a command's result */
} ql_lesson_kind;

typedef enum ql_check_op { QL_OP_LT, QL_OP_LE, QL_OP_GT, QL_OP_GE, QL_OP_EQ, QL_OP_NE } ql_check_op;

typedef struct ql_lesson_block {
	ql_lesson_kind kind;
	int line;   /* where it starts in the file */
	char *text; /* text, heading, list item, code; quiz question; task goal */
	int level;  /* heading: 1 or 2 */
	/* RUN, OPEN, TASK (@try): the words, argv[0] the command or screen */
	int argc;
	char **argv;
	bool writes; /* the words ask for a file to be written */
	int from, to; /* @run lines=A-B: only output lines A..B (1-based); 0: all */
	/* QUIZ */
	char **choices;
	int nchoices;
	int right;      /* index of the right choice; -1: numeric */
	char *answer;   /* numeric: an expression the core evaluates */
	double tol;     /* numeric: accepted absolute difference */
	char *hint, *explain;
	/* TASK */
	char *check_key; /* a dotted path in the command's --json result */
	ql_check_op check_op;
	char *check_expr;
	char **keep; /* words the edited command must still hold */
	int nkeep;
} ql_lesson_block;

typedef struct ql_lesson_step {
	char *title;
	int line;
	ql_lesson_block *blocks;
	int nblocks;
	char *notes; /* speaker notes, lines joined by '\n'; NULL if none */
} ql_lesson_step;

typedef struct ql_lesson {
	char *path;    /* as given */
	char *name;    /* the file's stem: "01-datatypes" */
	int number;    /* the NN of NN-name, or -1 */
	char *title, *summary;
	ql_lesson_step *steps;
	int nsteps;
	char **sources;
	int nsources;
} ql_lesson;

/* Parses a lesson from memory; `path` names it in messages and gives its
 * name and number. On error, -1 with err "PATH:LINE: what is wrong". */
int ql_lesson_parse(const char *path, const char *text, size_t len, ql_lesson **out,
		    ql_error *err);
/* Reads and parses a file (at most 1 MiB). */
int ql_lesson_load(const char *path, ql_lesson **out, ql_error *err);
void ql_lesson_free(ql_lesson *l);

/* The lesson files of a folder: names matching NN-*.lesson, sorted. *out is
 * malloc'd, each entry too (free with ql_lesson_list_free). */
int ql_lesson_list(const char *dir, char ***out, int *n, ql_error *err);
void ql_lesson_list_free(char **names, int n);

/* ---- numbers computed by the core ---------------------------------------- */

/* Evaluates an expression: numbers (1/3 is a division), + - * / ^, ( ),
 * and functions over the core (formats by name: fp32, int8, ...):
 *   cast(T, x)          the value T stores for x (integers: the cast,
 *                        truncation toward zero; floats: nearest even)
 *   round(T, x)         the same, but integers round to nearest even
 *   quant(x, s, z, T)   the affine code clamp(z + rint(x/s)), float32, as
 *                        torch.quantize_per_tensor
 *   dequant(q, s, z)    (q - z) * s in float32
 *   symscale(a, T)      absmax a over T's qmax, float32 (qlens --sym)
 *   ascale(lo, hi, T), azp(lo, hi, T)   PyTorch's MinMaxObserver, asym
 *   max(T) min(T) eps(T) tiny(T) subnormal(T) bits(T)   finfo/iinfo
 *   pack(b, c0, c1, ...) codes of b bits packed lowest first into a byte
 *   abs sqrt ln log2 log10 exp floor ceil rint   of one number
 * Returns 0, or -1 with err saying where. */
int ql_lesson_calc(const char *expr, double *out, ql_error *err);

/* Formats v as {=SPEC expr} asks: SPEC "" integers plainly and others with
 * 6 significant digits; ".N" N decimals, exactly; "gN" N significant
 * digits; "exact" every digit; "," an integer with thousands separators. */
int ql_lesson_format(double v, const char *spec, char *buf, size_t n, ql_error *err);

/* Replaces every {=SPEC EXPR} of text by its value (malloc'd result).
 * SPEC may end in >N: padded on the left to N columns ({=g3>8 x}). */
int ql_lesson_expand(const char *text, char **out, ql_error *err);

/* ---- tasks ----------------------------------------------------------------- */

/* Looks b's check_key up in a command's --json output and compares it with
 * the value of b's check_expr. *met tells the result; *value (may be NULL)
 * gets the number found. -1 with err when the JSON or the key is not there. */
int ql_lesson_check(const ql_lesson_block *b, const char *json, bool *met, double *value,
		    ql_error *err);

/* Whether edited words still hold every @keep word of b (as a word, or as
 * a word and its value: "--dtype int4"). */
bool ql_lesson_keeps(const ql_lesson_block *b, int argc, char **argv);

/* Whether words ask for a file to be written (-o, --output, -oFILE). */
bool ql_lesson_words_write(int argc, char **argv);

/* Splits a line into words: blanks separate, single and double quotes
 * group, backslash escapes. No shell: nothing is expanded. */
int ql_lesson_split(const char *line, int *argc, char ***argv, ql_error *err);
void ql_lesson_free_words(int argc, char **argv);

/* ---- progress -------------------------------------------------------------- */

/* What a learner has done in one lesson: where they are, how far they got,
 * and each quiz's and task's result (by step and block). */
typedef struct ql_lesson_mark {
	int step, block;
	char result; /* 'r' right, 'w' wrong (quiz); 'd' done (task) */
} ql_lesson_mark;

typedef struct ql_lesson_progress {
	int step, seen; /* current step; number of steps seen (max + 1) */
	ql_lesson_mark marks[256];
	int nmarks;
} ql_lesson_progress;

/* The state folder: $XDG_STATE_HOME/qlens, or ~/.local/state/qlens. */
int ql_lesson_state_dir(char *out, size_t n, ql_error *err);
/* Loads NAME's progress (all zero when there is none). */
int ql_lesson_progress_load(const char *name, ql_lesson_progress *p, ql_error *err);
/* Saves it (the folder is made; written to a temporary file and renamed). */
int ql_lesson_progress_save(const char *name, const ql_lesson_progress *p, ql_error *err);
/* The mark of (step, block), or 0. Setting replaces. */
char ql_lesson_mark_get(const ql_lesson_progress *p, int step, int block);
void ql_lesson_mark_set(ql_lesson_progress *p, int step, int block, char result);

/* The presenter's position, for `qlens lesson N --notes` in another
 * terminal: a small file "NAME STEP BLANK" in the state folder. */
int ql_lesson_present_write(const char *name, int step, bool blank, ql_error *err);
int ql_lesson_present_read(char *name, size_t n, int *step, bool *blank, ql_error *err);

#endif
