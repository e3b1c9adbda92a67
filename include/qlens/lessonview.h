/* lessonview.h — a lesson being played: its widgets run through the command
 * table, its steps laid out as lines for a width (src/cli/lesson_view.c).
 *
 * Shared by `qlens lesson N --print` (plain text), `qlens lessons`, and the
 * TUI's player (src/tui/screen_lesson.c), so the handout, the lint and the
 * screen show the same text. A widget's command runs once and its output is
 * kept; it runs qlens's own commands only (never a shell), with data paths
 * ("assets/...") found by ql_data_path, and one that writes a file runs
 * only once the player confirmed it (never in print mode).
 */
#ifndef QLENS_LESSONVIEW_H
#define QLENS_LESSONVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qlens/error.h"
#include "qlens/lesson.h"

typedef enum ql_lv_role {
	QL_LV_TEXT,    /* prose: may hold *emphasis* and `code` markers */
	QL_LV_TITLE,   /* the step's title */
	QL_LV_HEADING,
	QL_LV_CODE,    /* a code block's line */
	QL_LV_OUTPUT,  /* a widget's output line */
	QL_LV_WIDGET,  /* a widget's frame line ("$ bits 1/3", "Enter opens ...") */
	QL_LV_QUIZ,    /* a question, a task's goal */
	QL_LV_CHOICE,  /* a choice (choice = its index) */
	QL_LV_RIGHT,   /* right answer, task met, explanation */
	QL_LV_WRONG,   /* wrong answer, hint */
	QL_LV_DIM,     /* secondary */
	QL_LV_ERROR,   /* a widget that failed */
} ql_lv_role;

typedef struct ql_lv_line {
	ql_lv_role role;
	int block;  /* the step's block it belongs to, -1: none */
	int choice; /* QL_LV_CHOICE: the choice's index */
	unsigned attrs; /* QL_LV_TEXT: markup state at the line's start */
	char *text;
} ql_lv_line;

typedef struct ql_lv_lines {
	ql_lv_line *v;
	int n, cap;
} ql_lv_lines;

void ql_lv_lines_free(ql_lv_lines *ls);

/* Per widget: its output, and a task's current command. */
typedef struct ql_lv_block {
	bool ran;
	int rc;
	char *out;   /* stdout and stderr of the run */
	int argc;    /* a task's words as edited (starts as @try) */
	char **argv;
	bool checked, met;
	double value;  /* the task's number found */
	char *check_err;
	char *entered; /* a numeric quiz's last answer, as typed */
	int picked;    /* a multiple-choice quiz's last choice, -1 none */
} ql_lv_block;

typedef struct ql_lesson_run {
	ql_lesson *l;
	ql_lesson_progress prog;
	bool print;          /* handout: writes never run, answers shown */
	bool save;           /* save progress on every change */
	ql_lv_block **blocks; /* [step][block] */
} ql_lesson_run;

/* Finds a lesson by number ("1"), name ("01-datatypes", "datatypes") or
 * path (a file ending in .lesson), and loads it. -1 with err. */
int ql_lesson_find(const char *which, ql_lesson **out, ql_error *err);

/* Loads a lesson file and checks its widgets' commands (file:line). */
int ql_lesson_open_file(const char *path, ql_lesson **out, ql_error *err);

/* A player over a loaded lesson (taken over: freed with the run). Loads
 * the learner's progress when save is true. */
ql_lesson_run *ql_lesson_run_new(ql_lesson *l, bool print, bool save, ql_error *err);
void ql_lesson_run_free(ql_lesson_run *r);

/* Whether argv[0] may be a widget's command (in the table, not `lesson`). */
bool ql_lesson_command_ok(const char *name);

/* Runs a command the way a widget does (output captured, data paths
 * found): returns its exit status, *out malloc'd text. */
int ql_lesson_exec(int argc, char **argv, bool json, char **out);

/* A widget's output (run once; a writing widget only when confirm is
 * true, else NULL). *rc gets the exit status. */
const char *ql_lesson_output(ql_lesson_run *r, int step, int block, bool confirm, int *rc);

/* A quiz answered: a choice index, or the typed text of a numeric answer.
 * Returns the mark ('r' or 'w'), saved in the progress. */
char ql_lesson_answer_choice(ql_lesson_run *r, int step, int block, int choice);
char ql_lesson_answer_text(ql_lesson_run *r, int step, int block, const char *text);
/* The right value of a numeric quiz (computed by the core). */
int ql_lesson_quiz_value(const ql_lesson_block *b, double *v, ql_error *err);

/* A task's command edited to `line`: runs it (when it keeps the @keep
 * words), checks it, marks the task done when met. Returns 0, or -1 with
 * err (the line does not split, is another command, drops a @keep word,
 * or writes a file). */
int ql_lesson_task_try(ql_lesson_run *r, int step, int block, const char *line, ql_error *err);
/* The task's current command as one line (malloc'd). */
char *ql_lesson_task_line(ql_lesson_run *r, int step, int block);

/* Moves to a step and records it (seen, saved). */
void ql_lesson_goto(ql_lesson_run *r, int step);

/* Lays out a step for `width` columns (prose wrapped, output clipped by the
 * drawer). The sources are the last step (the parser adds it). */
int ql_lesson_render(ql_lesson_run *r, int step, int width, ql_lv_lines *out, ql_error *err);

/* The width of text as drawn: *emphasis* and `code` markers not counted,
 * UTF-8 sequences once. */
int ql_lv_width(const char *s);

/* Walks text's spans: fn gets each run of visible characters with its
 * attributes (QL_LV_EMPH, QL_LV_CODE); the markers themselves are not
 * passed. A '*' opens emphasis before a non-blank and closes it after one;
 * inside `code` nothing is a marker. *attrs is the state at the start and
 * is left at the end (for a wrapped paragraph's next line). */
enum { QL_LV_EMPH = 1, QL_LV_INLINE_CODE = 2 };
typedef void (*ql_lv_span_fn)(void *ctx, const char *s, size_t n, unsigned attrs);
void ql_lv_spans(const char *text, unsigned *attrs, ql_lv_span_fn fn, void *ctx);

/* The whole lesson as plain text (for --print). */
int ql_lesson_print(ql_lesson_run *r, int width, FILE *out, ql_error *err);

#endif
